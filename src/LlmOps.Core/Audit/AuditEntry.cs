namespace LlmOps.Audit;

/// <summary>One append-only audit record; <see cref="Hash"/> chains it to the previous record.</summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset At,
    string ActorId,
    string Action,
    string EntityType,
    string EntityId,
    string? Before,
    string? After,
    string PreviousHash,
    string Hash);

/// <summary>The outcome of checking the chain: intact, or the first broken link and why.</summary>
public sealed record AuditVerification(bool IsIntact, long EntriesChecked, long? FirstBrokenSequence, string? Problem);
