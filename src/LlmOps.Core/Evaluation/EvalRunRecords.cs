namespace LlmOps.Evaluation;

/// <summary>A stored evaluation run: what was evaluated against what, the gate's verdict and the summary (gate checks,
/// comparisons, per-provider summaries) as JSON.</summary>
public sealed record EvalRunRecord(
    string Id,
    string Suite,
    string SuiteSha256,
    string Candidate,
    string CandidateVersion,
    string? Baseline,
    string? BaselineVersion,
    bool GatePassed,
    int Cases,
    int Passed,
    string SummaryJson,
    DateTimeOffset StartedAt,
    double Seconds,
    string CreatedBy)
{
    /// <summary>How an approval request cites this run.</summary>
    public string EvidenceReference => $"eval-run:{Id}";
}

/// <summary>One stored case of a run; <see cref="Role"/> is <c>candidate</c> or <c>baseline</c>; <see cref="Prompt"/> is the rendered
/// prompt (runs recorded before it was kept have none).</summary>
public sealed record EvalCaseRecord(
    string RunId,
    string Role,
    int Ordinal,
    string PromptId,
    int TestIndex,
    string TestName,
    int Repeat,
    bool Passed,
    double Score,
    string? Output,
    string? Error,
    double LatencyMs,
    string AssertionsJson,
    string? Prompt = null);
