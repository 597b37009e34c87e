using System.Data.Common;
using Dapper;
using LlmOps.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace LlmOps.Storage.Sqlite;

/// <summary>The embedded default: one SQLite file in WAL mode. Writers take SQLite's write lock up front
/// (<c>BEGIN IMMEDIATE</c>) and wait for it up to the busy timeout.</summary>
public sealed class SqliteStore : SqlStore
{
    const int SqliteBusy = 5;
    const int SqliteLocked = 6;
    static readonly Lock PoolGate = new();
    readonly string connectionString;

    static SqliteStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public SqliteStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        Path = System.IO.Path.GetFullPath(databasePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public override string Provider => "sqlite";

    protected override DbConnection CreateConnection() => new SqliteConnection(connectionString);

    /// <summary>Opens and closes take turns in the process. Microsoft.Data.Sqlite 10's pool can lend one connection to two owners:
    /// an open that finds no idle connection reclaims any it takes for leaked (active, owner gone), and a connection looks like
    /// that for a moment while another thread activates it (dotnet/efcore#39008) or returns it. Both owners then share one
    /// transaction: "Safety level may not be changed inside a transaction", "not an error" (seen at 200 requests/s beside the
    /// trace writer's own thread, then at nice 10). Taking a pooled connection or giving it back takes microseconds.</summary>
    protected override Task OpenConnectionCoreAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (PoolGate) connection.Open();
        return Task.CompletedTask;
    }

    protected internal override ValueTask CloseConnectionAsync(DbConnection connection)
    {
        lock (PoolGate) connection.Dispose();
        return ValueTask.CompletedTask;
    }

    protected override async Task OnOpenedAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;", cancellationToken: cancellationToken));

    protected override async Task OnMigratingAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: cancellationToken));

    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // Not deferred: BEGIN IMMEDIATE takes the write lock now, so a session's reads and writes see no other writer.
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override bool IsTransient(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked };

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return base.DisposeAsync();
    }
}
