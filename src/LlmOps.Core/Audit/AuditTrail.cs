using System.Text.Json;
using LlmOps.Identity;
using LlmOps.Storage;

namespace LlmOps.Audit;

/// <summary>Writes audit entries inside a change's own write session, and verifies the chain.</summary>
public sealed class AuditTrail(IStore store, Actor actor) : IAuditTrail
{
    /// <summary>Appends an entry chained to the last one. Call inside the write session that makes the change.</summary>
    public static async Task AppendAsync(IStoreSession session, TimeProvider timeProvider, Actor actor, string action, string entityType, string entityId, object? before, object? after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(actor);
        var last = await session.Audit.GetLastAsync(cancellationToken);
        var sequence = (last?.Sequence ?? 0) + 1;
        var previous = last?.Hash ?? AuditChain.Genesis;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        var beforeJson = before is null ? null : JsonSerializer.Serialize(before, LlmOpsJson.Options);
        var afterJson = after is null ? null : JsonSerializer.Serialize(after, LlmOpsJson.Options);
        var hash = AuditChain.ComputeHash(sequence, at, actor.Id, action, entityType, entityId, beforeJson, afterJson, previous);
        await session.Audit.AppendAsync(new AuditEntry(sequence, at, actor.Id, action, entityType, entityId, beforeJson, afterJson, previous, hash), cancellationToken);
    }

    /// <summary>Checks every link of the chain and that its newest entry is the recorded head.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Admin, "audit", Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var result = await AuditChain.VerifyAsync(session.Audit.ReadAllAsync(cancellationToken), cancellationToken);
        if (!result.IsIntact) return result;
        var head = await session.Audit.GetHeadAsync(cancellationToken);
        var last = await session.Audit.GetLastAsync(cancellationToken);
        if (head is { } h && (last is null || last.Sequence != h.Sequence || last.Hash != h.Hash))
        {
            var lastSequence = last?.Sequence ?? 0;
            return new AuditVerification(false, result.EntriesChecked, lastSequence + 1,
                $"the log ends at entry {lastSequence} but entry {h.Sequence} was recorded as its head: entries were removed from the end");
        }
        return result;
    }

    /// <summary>Entries after a sequence number, oldest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Admin, "audit", Access.Read);
        if (limit is < 1 or > 10_000) throw new InvalidInputException("limit", "must be between 1 and 10000.");
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Audit.ListAsync(afterSequence, limit, cancellationToken);
    }
}
