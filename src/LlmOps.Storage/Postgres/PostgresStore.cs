using System.Data.Common;
using Dapper;
using LlmOps.Storage.Sql;
using Npgsql;

namespace LlmOps.Storage.Postgres;

/// <summary>The scale-out store on PostgreSQL. Writers serialise on a transaction-scoped advisory lock,
/// which every process sharing the database respects.</summary>
public sealed class PostgresStore : SqlStore
{
    // Arbitrary but fixed: the key of the advisory lock that serialises LlmOps writers.
    const long WriterLockKey = 0x4C4C4D4F7073;
    readonly NpgsqlDataSource dataSource;

    static PostgresStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public PostgresStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public override string Provider => "postgres";

    protected override DbConnection CreateConnection() => dataSource.CreateConnection();

    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = WriterLockKey }, transaction, cancellationToken: cancellationToken));
        return transaction;
    }

    protected override bool IsTransient(DbException exception) => exception is NpgsqlException { IsTransient: true };

    public override async ValueTask DisposeAsync()
    {
        await dataSource.DisposeAsync();
        await base.DisposeAsync();
    }
}
