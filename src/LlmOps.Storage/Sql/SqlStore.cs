using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace LlmOps.Storage.Sql;

/// <summary>The store on an ADO.NET database; providers supply connections and their writer lock.</summary>
public abstract class SqlStore : IStore
{
    public abstract string Provider { get; }

    /// <summary>A new, unopened connection.</summary>
    protected abstract DbConnection CreateConnection();

    /// <summary>Begins a transaction that holds the store-wide writer lock (serialises writers across processes).</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Per-connection settings run after open (pragmas).</summary>
    protected virtual Task OpenConnectionCoreAsync(DbConnection connection, CancellationToken cancellationToken) => connection.OpenAsync(cancellationToken);

    /// <summary>Closes a connection (back to the provider's pool).</summary>
    protected internal virtual ValueTask CloseConnectionAsync(DbConnection connection) => connection.DisposeAsync();

    protected virtual Task OnOpenedAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One-time settings before migrations (journal mode).</summary>
    protected virtual Task OnMigratingAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether a provider exception is worth retrying.</summary>
    protected abstract bool IsTransient(DbException exception);

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await Guard(() => OnMigratingAsync(connection, cancellationToken));
        await using var transaction = await Guard(() => BeginWriteAsync(connection, cancellationToken));
        await Guard(() => connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            transaction: transaction, cancellationToken: cancellationToken)));
        var applied = (await Guard(() => connection.QueryAsync<(long Version, string Checksum)>(new CommandDefinition(
            "SELECT version, checksum FROM schema_migrations", transaction: transaction, cancellationToken: cancellationToken))))
            .ToDictionary(r => (int)r.Version, r => r.Checksum);
        foreach (var migration in Migrations.All.OrderBy(m => m.Version))
        {
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(migration.Sql)));
            if (applied.TryGetValue(migration.Version, out var existing))
            {
                if (existing != checksum)
                    throw new IntegrityException($"schema migration {migration.Version} ({migration.Name}) was changed after it was applied; add a new migration instead.");
                continue;
            }
            foreach (var statement in migration.Sql.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var sql = statement.TrimEnd(';');
                if (sql.Length == 0) continue;
                await Guard(() => connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, cancellationToken: cancellationToken)));
            }
            await Guard(() => connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@Version, @Name, @Checksum, @At)",
                new { migration.Version, migration.Name, Checksum = checksum, At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                transaction, cancellationToken: cancellationToken)));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IStoreSession> OpenAsync(bool write, CancellationToken cancellationToken = default)
    {
        var connection = await OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = write ? await Guard(() => BeginWriteAsync(connection, cancellationToken)) : null;
            return new SqlSession(this, connection, transaction);
        }
        catch
        {
            await CloseConnectionAsync(connection);
            throw;
        }
    }

    async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = CreateConnection();
        try
        {
            await Guard(() => OpenConnectionCoreAsync(connection, cancellationToken));
            await Guard(() => OnOpenedAsync(connection, cancellationToken));
            return connection;
        }
        catch
        {
            await CloseConnectionAsync(connection);
            throw;
        }
    }

    /// <summary>Runs a database call, turning provider exceptions into <see cref="StorageException"/>.</summary>
    internal async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (DbException exception)
        {
            throw new StorageException($"{Provider} store: {exception.Message}", exception, IsTransient(exception));
        }
    }

    internal async Task Guard(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (DbException exception)
        {
            throw new StorageException($"{Provider} store: {exception.Message}", exception, IsTransient(exception));
        }
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
