namespace LlmOps.DataPrep;

/// <summary>One step of a data preparation recipe.</summary>
public interface IRecipeStep
{
    /// <summary>The step's recipe name, e.g. <c>dedupe_exact</c>.</summary>
    string Name { get; }
}

/// <summary>A step that decides on each record alone; must be thread-safe and deterministic.</summary>
public interface IRecordStep : IRecipeStep
{
    StepOutcome Apply(DataRecord record);
}

/// <summary>
/// A step whose decision depends on the records before it (deduplication). The fingerprint is computed
/// in parallel; <see cref="Admit"/> is called in input order, one record at a time, so the output does not
/// depend on the thread count.
/// </summary>
public interface IOrderedRecordStep : IRecipeStep
{
    object Fingerprint(DataRecord record);

    StepOutcome Admit(DataRecord record, object fingerprint);
}

/// <summary>What a step did with a record: kept (possibly changed) or dropped with a reason, plus findings to count.</summary>
public readonly record struct StepOutcome(DataRecord? Record, string? DropReason, IReadOnlyList<KeyValuePair<string, int>>? Findings = null)
{
    public bool Kept => Record is not null;

    public static StepOutcome Keep(DataRecord record, IReadOnlyList<KeyValuePair<string, int>>? findings = null) => new(record, null, findings);

    public static StepOutcome Drop(string reason) => new(null, reason);
}
