using LlmOps.Evaluation;

namespace LlmOps.Monitoring;

/// <summary>p50, p95 and p99 of one timing, in milliseconds.</summary>
public sealed record Percentiles(double P50, double P95, double P99);

/// <summary>Aggregates of the trace records in one window (and group).</summary>
/// <param name="Start">Window start (inclusive); the first record's time when the query named no bucket.</param>
/// <param name="End">Window end (exclusive).</param>
/// <param name="Group">The group's value (a deployment, version or key id) when grouped, else null.</param>
/// <param name="Requests">Records counted (shadow copies are not requests and are left out).</param>
/// <param name="Errors">Records with status error.</param>
/// <param name="Cancelled">Records the client abandoned.</param>
/// <param name="ErrorRate">Errors over requests.</param>
/// <param name="LatencyMs">End-to-end time.</param>
/// <param name="TimeToFirstTokenMs">Arrival to first token, over the records that produced one.</param>
/// <param name="PromptTokens">Tokens in, summed.</param>
/// <param name="CompletionTokens">Tokens out, summed.</param>
/// <param name="TokensPerSecond">Tokens out per second of the window (throughput).</param>
/// <param name="DecodeTokensPerSecond">Median per-request decode rate: tokens out over the time after the first token.</param>
/// <param name="Cost">Summed cost of the priced records.</param>
public sealed record TraceStats(
    DateTimeOffset Start,
    DateTimeOffset End,
    string? Group,
    int Requests,
    int Errors,
    int Cancelled,
    double ErrorRate,
    Percentiles? LatencyMs,
    Percentiles? TimeToFirstTokenMs,
    long PromptTokens,
    long CompletionTokens,
    double TokensPerSecond,
    double? DecodeTokensPerSecond,
    double Cost);

/// <summary>What trace statistics are grouped by.</summary>
public static class TraceGroups
{
    public const string Deployment = "deployment";
    public const string Version = "version";
    public const string Key = "key";
    public static readonly IReadOnlyList<string> All = [Deployment, Version, Key];

    public static string? Validate(string? groupBy) =>
        groupBy is null || All.Contains(groupBy) ? groupBy : throw new InvalidInputException("groupBy", $"'{groupBy}' is not one of {string.Join(", ", All)}.");
}

/// <summary>Computes <see cref="TraceStats"/> from records: per time bucket and optionally per group.</summary>
public static class TraceStatistics
{
    /// <summary>Windows of <paramref name="bucket"/> from <paramref name="since"/> (or the first record) to <paramref name="until"/>
    /// (or the last record), each split by <paramref name="groupBy"/>; windows without records are left out.</summary>
    public static IReadOnlyList<TraceStats> Compute(IEnumerable<TraceRecord> records, DateTimeOffset? since, DateTimeOffset? until, TimeSpan? bucket, string? groupBy)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (bucket is { } b && b < TimeSpan.FromSeconds(1)) throw new InvalidInputException("bucket", "must be at least 1s.");
        TraceGroups.Validate(groupBy);
        var list = records.Where(r => !r.Shadow).OrderBy(r => r.At).ToList();
        if (list.Count == 0) return [];
        var start = since ?? list[0].At;
        var end = until ?? list[^1].At.AddMilliseconds(1);
        var result = new List<TraceStats>();
        IEnumerable<(DateTimeOffset Start, DateTimeOffset End, List<TraceRecord> Records)> windows = bucket is { } size
            ? list.GroupBy(r => (long)Math.Floor((r.At - start) / size)).OrderBy(g => g.Key)
                .Select(g => (start + g.Key * size, start + (g.Key + 1) * size, g.ToList()))
            : [(start, end, list)];
        foreach (var (windowStart, windowEnd, inWindow) in windows)
        {
            if (groupBy is null)
            {
                result.Add(Summarize(windowStart, windowEnd, null, inWindow));
                continue;
            }
            foreach (var group in inWindow.GroupBy(r => GroupOf(r, groupBy)).OrderBy(g => g.Key, StringComparer.Ordinal))
                result.Add(Summarize(windowStart, windowEnd, group.Key, group.ToList()));
        }
        return result;
    }

    static string GroupOf(TraceRecord record, string groupBy) => groupBy switch
    {
        TraceGroups.Deployment => record.Deployment,
        TraceGroups.Version => record.Version,
        _ => record.KeyId,
    };

    /// <summary>Aggregates one set of records over a window.</summary>
    public static TraceStats Summarize(DateTimeOffset start, DateTimeOffset end, string? group, IReadOnlyList<TraceRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var errors = records.Count(r => r.Status == TraceStatus.Error);
        var cancelled = records.Count(r => r.Status == TraceStatus.Cancelled);
        var latency = records.Select(r => r.TotalTime.TotalMilliseconds).Order().ToList();
        var ttft = records.Where(r => r.TimeToFirstToken is not null).Select(r => r.TimeToFirstToken!.Value.TotalMilliseconds).Order().ToList();
        var decode = records
            .Where(r => r.CompletionTokens > 1 && r.TimeToFirstToken is { } t && r.TotalTime > t)
            .Select(r => (r.CompletionTokens - 1) / (r.TotalTime - r.TimeToFirstToken!.Value).TotalSeconds)
            .Order().ToList();
        var completion = records.Sum(r => (long)r.CompletionTokens);
        var seconds = Math.Max((end - start).TotalSeconds, 1e-3);
        return new TraceStats(start, end, group, records.Count, errors, cancelled,
            records.Count == 0 ? 0 : (double)errors / records.Count,
            Of(latency), Of(ttft),
            records.Sum(r => (long)r.PromptTokens), completion, completion / seconds,
            decode.Count == 0 ? null : EvalStatistics.Quantile(decode, 0.5),
            records.Sum(r => r.Cost ?? 0));
    }

    static Percentiles? Of(List<double> sorted) => sorted.Count == 0 ? null
        : new Percentiles(EvalStatistics.Quantile(sorted, 0.50), EvalStatistics.Quantile(sorted, 0.95), EvalStatistics.Quantile(sorted, 0.99));
}
