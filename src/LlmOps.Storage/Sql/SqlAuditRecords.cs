using LlmOps.Audit;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlAuditRecords(SqlSession session) : IAuditRecords
{
    const string Columns = "sequence, at, actor_id, action, entity_type, entity_id, before_json, after_json, previous_hash, hash";

    public async Task<AuditEntry?> GetLastAsync(CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<AuditRow>($"SELECT {Columns} FROM audit_log ORDER BY sequence DESC LIMIT 1", null, cancellationToken))?.ToEntry();

    public async Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        await session.ExecuteAsync($"""
            INSERT INTO audit_log ({Columns})
            VALUES (@Sequence, @At, @ActorId, @Action, @EntityType, @EntityId, @Before, @After, @PreviousHash, @Hash)
            """,
            new
            {
                entry.Sequence, At = Millis(entry.At), entry.ActorId, entry.Action, entry.EntityType, entry.EntityId,
                entry.Before, entry.After, entry.PreviousHash, entry.Hash,
            }, cancellationToken);
        await session.ExecuteAsync("""
            INSERT INTO audit_head (id, sequence, hash) VALUES (1, @Sequence, @Hash)
            ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash
            """, new { entry.Sequence, entry.Hash }, cancellationToken);
    }

    public async IAsyncEnumerable<AuditEntry> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var row in session.StreamAsync<AuditRow>($"SELECT {Columns} FROM audit_log ORDER BY sequence", null, cancellationToken))
            yield return row.ToEntry();
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<AuditRow>($"SELECT {Columns} FROM audit_log WHERE sequence > @afterSequence ORDER BY sequence LIMIT @limit",
            new { afterSequence, limit }, cancellationToken)).Select(r => r.ToEntry()).ToList();

    public async Task<(long Sequence, string Hash)?> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        var row = await session.QuerySingleOrDefaultAsync<HeadRow>("SELECT sequence, hash FROM audit_head WHERE id = 1", null, cancellationToken);
        return row is null ? null : (row.Sequence, row.Hash);
    }

    sealed class AuditRow
    {
        public long Sequence { get; set; }
        public long At { get; set; }
        public string ActorId { get; set; } = "";
        public string Action { get; set; } = "";
        public string EntityType { get; set; } = "";
        public string EntityId { get; set; } = "";
        public string? BeforeJson { get; set; }
        public string? AfterJson { get; set; }
        public string PreviousHash { get; set; } = "";
        public string Hash { get; set; } = "";

        public AuditEntry ToEntry() => new(Sequence, Time(At), ActorId, Action, EntityType, EntityId, BeforeJson, AfterJson, PreviousHash, Hash);
    }

    sealed class HeadRow
    {
        public long Sequence { get; set; }
        public string Hash { get; set; } = "";
    }
}
