using System.Data.Common;
using Dapper;

namespace LlmOps.Storage.Sql;

/// <summary>A connection, and for writers a transaction holding the writer lock.</summary>
internal sealed class SqlSession : IStoreSession
{
    readonly DbConnection connection;
    readonly DbTransaction? transaction;
    bool committed;

    public SqlSession(SqlStore store, DbConnection connection, DbTransaction? transaction)
    {
        Store = store;
        this.connection = connection;
        this.transaction = transaction;
        Models = new SqlModelRecords(this);
        Runs = new SqlRunRecords(this);
        Keys = new SqlApiKeyRecords(this);
        Audit = new SqlAuditRecords(this);
        Datasets = new SqlDatasetRecords(this);
        Pipelines = new SqlPipelineRecords(this);
        Events = new SqlEventRecords(this);
        Evals = new SqlEvalRecords(this);
        Deployments = new SqlDeploymentRecords(this);
        Traces = new SqlTraceRecords(this);
        Alerts = new SqlAlertRecords(this);
    }

    public SqlStore Store { get; }
    public IModelRecords Models { get; }
    public IRunRecords Runs { get; }
    public IApiKeyRecords Keys { get; }
    public IAuditRecords Audit { get; }
    public IDatasetRecords Datasets { get; }
    public IPipelineRecords Pipelines { get; }
    public IEventRecords Events { get; }
    public IEvalRecords Evals { get; }
    public IDeploymentRecords Deployments { get; }
    public ITraceRecords Traces { get; }
    public IAlertRecords Alerts { get; }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (transaction is null) throw new InvalidOperationException("A read session has nothing to commit.");
        if (committed) throw new InvalidOperationException("The session is already committed.");
        await Store.Guard(() => transaction.CommitAsync(cancellationToken));
        committed = true;
    }

    public Task<IEnumerable<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken cancellationToken) =>
        Store.Guard(() => connection.QueryAsync<T>(Command(sql, parameters, cancellationToken)));

    public Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? parameters, CancellationToken cancellationToken) =>
        Store.Guard(() => connection.QuerySingleOrDefaultAsync<T>(Command(sql, parameters, cancellationToken)));

    public Task<T> ExecuteScalarAsync<T>(string sql, object? parameters, CancellationToken cancellationToken) =>
        Store.Guard(async () => (await connection.ExecuteScalarAsync<T>(Command(sql, parameters, cancellationToken)))!);

    public Task<int> ExecuteAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        RequireWrite();
        return Store.Guard(() => connection.ExecuteAsync(Command(sql, parameters, cancellationToken)));
    }

    /// <summary>Streams rows one at a time (for the audit chain, which can be long).</summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(string sql, object? parameters, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var reader = await Store.Guard(() => connection.ExecuteReaderAsync(Command(sql, parameters, cancellationToken)));
        var parse = reader.GetRowParser<T>();
        while (await Store.Guard(() => reader.ReadAsync(cancellationToken)))
            yield return parse(reader);
    }

    /// <summary>The open connection (inside the session's transaction, for writers), for provider bulk paths such as PostgreSQL COPY.</summary>
    public DbConnection Connection
    {
        get
        {
            RequireWrite();
            return connection;
        }
    }

    /// <summary>A raw command on the session's connection and transaction, for bulk statements Dapper would make slow.</summary>
    public DbCommand CreateCommand(string sql)
    {
        RequireWrite();
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    void RequireWrite()
    {
        if (transaction is null) throw new InvalidOperationException("Writes need a session opened with write: true.");
    }

    CommandDefinition Command(string sql, object? parameters, CancellationToken cancellationToken) =>
        new(sql, parameters, transaction, cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (transaction is not null)
        {
            if (!committed)
            {
                try { await transaction.RollbackAsync(); }
                catch (DbException) { /* the connection is gone; the database rolls back by itself */ }
            }
            await transaction.DisposeAsync();
        }
        await Store.CloseConnectionAsync(connection);
    }
}
