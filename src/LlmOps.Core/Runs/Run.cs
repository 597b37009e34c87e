using LlmOps.Registry;

namespace LlmOps.Runs;

/// <summary>One tracked execution (a training, an evaluation): parameters, metric series, artifacts, status.</summary>
public sealed record Run(
    string Id,
    string Experiment,
    string? Name,
    RunStatus Status,
    string? ParentRunId,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    string CreatedBy)
{
    public bool IsFinished => Status is not RunStatus.Running;
}

/// <summary>A run's life cycle, as MLflow's.</summary>
public enum RunStatus
{
    Running,
    Finished,
    Failed,
    Killed,
}

/// <summary>One point of a metric series; an <see cref="At"/> left at default is stamped with the time it is logged.</summary>
public sealed record MetricPoint(string Name, long Step, double Value, DateTimeOffset At);

/// <summary>A run with its latest metric values and artifacts, as shown by <c>runs show</c>.</summary>
public sealed record RunDetails(Run Run, IReadOnlyDictionary<string, MetricPoint> LatestMetrics, IReadOnlyList<ArtifactFile> Artifacts);

/// <summary>Runs side by side: the union of their parameter and metric names with each run's value.</summary>
public sealed record RunComparison(
    IReadOnlyList<Run> Runs,
    IReadOnlyList<ComparedValue> Params,
    IReadOnlyList<ComparedMetric> Metrics);

/// <summary>A parameter across compared runs (null where a run lacks it); <see cref="Differs"/> when not all equal.</summary>
public sealed record ComparedValue(string Name, IReadOnlyList<string?> Values, bool Differs);

/// <summary>A metric's last value across compared runs, with the best run's index under <see cref="Goal"/>.</summary>
public sealed record ComparedMetric(string Name, IReadOnlyList<double?> Values, MetricGoal Goal, int? BestIndex);

/// <summary>Whether lower or higher values of a metric are better (by name: loss, perplexity and latency are lower-is-better).</summary>
public enum MetricGoal
{
    Minimize,
    Maximize,
}
