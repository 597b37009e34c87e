namespace LlmOps.Monitoring;

/// <summary>What a person (an end user's thumbs, a reviewer) said about one traced answer.</summary>
/// <param name="Id">The feedback's own id.</param>
/// <param name="TraceId">The trace record's id (the response id, <c>chatcmpl-…</c>).</param>
/// <param name="Deployment">Copied from the trace, so aggregates need no join.</param>
/// <param name="Version">Copied from the trace.</param>
/// <param name="Score">A number, e.g. 1 for thumbs up and 0 for down, or a 1–5 rating.</param>
/// <param name="Label">A category, e.g. <c>helpful</c>, <c>wrong</c>, <c>unsafe</c>.</param>
/// <param name="Comment">Free text.</param>
/// <param name="Source"><c>user</c>, <c>review</c> or what the caller names.</param>
/// <param name="CreatedBy">The API key that posted it.</param>
/// <param name="At">When it was posted.</param>
public sealed record TraceFeedback(
    string Id,
    string TraceId,
    string Deployment,
    string Version,
    double? Score,
    string? Label,
    string? Comment,
    string Source,
    string CreatedBy,
    DateTimeOffset At);

/// <summary>A score an online evaluation (or any evaluator) attached to a trace: one per trace and assertion.</summary>
/// <param name="TraceId">The trace record's id.</param>
/// <param name="Name">The assertion, e.g. <c>not-contains</c> or a judge's metric name.</param>
/// <param name="Score">0–1.</param>
/// <param name="Passed">Whether the assertion passed.</param>
/// <param name="Reason">Why, as the assertion said.</param>
/// <param name="Deployment">Copied from the trace.</param>
/// <param name="Version">Copied from the trace.</param>
/// <param name="At">When it was scored.</param>
public sealed record TraceScore(string TraceId, string Name, double Score, bool Passed, string? Reason, string Deployment, string Version, DateTimeOffset At);

/// <summary>Feedback per version (or deployment) over a window.</summary>
public sealed record FeedbackSummary(string Deployment, string Version, int Count, int Scored, double? AverageScore, IReadOnlyDictionary<string, int> Labels);

/// <summary>Online evaluation scores per version and assertion over a window.</summary>
public sealed record ScoreSummary(string Deployment, string Version, string Name, int Count, double AverageScore, double PassRate);
