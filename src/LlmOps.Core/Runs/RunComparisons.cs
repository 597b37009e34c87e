namespace LlmOps.Runs;

/// <summary>Builds a side-by-side comparison of runs.</summary>
public static class RunComparisons
{
    static readonly string[] LowerIsBetter = ["loss", "perplexity", "ppl", "latency", "error", "time", "cost"];

    /// <summary>Whether a metric is minimised, judged by its name (<c>val_loss</c> → minimise, <c>accuracy</c> → maximise).</summary>
    public static MetricGoal GoalOf(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return LowerIsBetter.Any(word => metric.Contains(word, StringComparison.OrdinalIgnoreCase)) ? MetricGoal.Minimize : MetricGoal.Maximize;
    }

    public static RunComparison Build(IReadOnlyList<Run> runs, IReadOnlyList<IReadOnlyDictionary<string, MetricPoint>> latestMetrics)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(latestMetrics);
        var paramNames = runs.SelectMany(r => r.Params.Keys).Distinct().Order(StringComparer.Ordinal);
        var parameters = paramNames.Select(name =>
        {
            var values = runs.Select(r => r.Params.TryGetValue(name, out var v) ? v : null).ToList();
            return new ComparedValue(name, values, values.Distinct().Count() > 1);
        }).ToList();

        var metricNames = latestMetrics.SelectMany(m => m.Keys).Distinct().Order(StringComparer.Ordinal);
        var metrics = metricNames.Select(name =>
        {
            var values = latestMetrics.Select(m => m.TryGetValue(name, out var p) ? p.Value : (double?)null).ToList();
            var goal = GoalOf(name);
            int? best = null;
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i] is not { } v) continue;
                if (best is null || (goal == MetricGoal.Minimize ? v < values[best.Value]!.Value : v > values[best.Value]!.Value)) best = i;
            }
            return new ComparedMetric(name, values, goal, best);
        }).ToList();
        return new RunComparison(runs, parameters, metrics);
    }
}
