namespace LlmOps.Evaluation;

/// <summary>One problem in a suite: where (file and line), which test and field, and what to change.</summary>
public sealed record SuiteError(string Location, string? Test, string Field, string Message)
{
    public override string ToString() => Test is null ? $"{Location}: {Field}: {Message}" : $"{Location}: test '{Test}': {Field}: {Message}";
}

/// <summary>A suite failed its checks; every problem found is listed, and no model was called.</summary>
public sealed class EvalSuiteException(IReadOnlyList<SuiteError> errors)
    : LlmOpsException($"the suite has {errors.Count} error{(errors.Count == 1 ? "" : "s")}:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}")
{
    public IReadOnlyList<SuiteError> Errors { get; } = errors;
}
