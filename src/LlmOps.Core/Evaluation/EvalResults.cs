namespace LlmOps.Evaluation;

/// <summary>One assertion's verdict on one case.</summary>
public sealed record AssertionResult(string Type, string Metric, bool Passed, double Score, double Weight, string Reason);

/// <summary>One call of one provider on one (prompt, test, repeat), with its output and verdicts.</summary>
public sealed record CaseResult(
    string PromptId,
    int TestIndex,
    string TestName,
    int Repeat,
    string Prompt,
    IReadOnlyDictionary<string, string> Vars,
    string? Output,
    string? Error,
    bool Passed,
    double Score,
    double LatencyMs,
    int? InputTokens,
    int? OutputTokens,
    bool Cached,
    IReadOnlyList<AssertionResult> Assertions,
    IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Pairs the same case across providers.</summary>
    public string Key => $"{PromptId}\u0001{TestIndex}\u0001{Repeat}";
}

/// <summary>A provider's aggregate over a suite: pass rate with its Wilson interval, mean score and per-metric means.</summary>
public sealed record ProviderSummary(
    int Cases,
    int Passed,
    int Errors,
    double PassRate,
    Interval PassRateInterval,
    double MeanScore,
    IReadOnlyDictionary<string, double> Metrics,
    double MeanLatencyMs,
    int CacheHits);

/// <summary>Every case of one provider, and their summary.</summary>
public sealed record ProviderRun(string Name, string Version, IReadOnlyList<CaseResult> Cases, ProviderSummary Summary)
{
    /// <summary>Summarises <paramref name="cases"/> with <paramref name="confidence"/> intervals.</summary>
    public static ProviderRun Create(string name, string version, IReadOnlyList<CaseResult> cases, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var passed = cases.Count(c => c.Passed);
        var metrics = cases.SelectMany(c => c.Metrics).GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Average(p => p.Value), StringComparer.Ordinal);
        var summary = new ProviderSummary(cases.Count, passed, cases.Count(c => c.Error is not null),
            cases.Count == 0 ? 0 : (double)passed / cases.Count, EvalStatistics.Wilson(passed, cases.Count, confidence),
            cases.Count == 0 ? 0 : cases.Average(c => c.Score), metrics,
            cases.Count == 0 ? 0 : cases.Average(c => c.LatencyMs), cases.Count(c => c.Cached));
        return new ProviderRun(name, version, cases, summary);
    }

    /// <summary>Per test (over its repeats and prompts): passes, trials and the Wilson interval.</summary>
    public IReadOnlyList<(int TestIndex, string TestName, int Passed, int Trials, Interval Interval)> PassRatesByTest(double confidence = 0.95) =>
        Cases.GroupBy(c => (c.TestIndex, c.TestName)).OrderBy(g => g.Key.TestIndex)
            .Select(g => (g.Key.TestIndex, g.Key.TestName, g.Count(c => c.Passed), g.Count(), EvalStatistics.Wilson(g.Count(c => c.Passed), g.Count(), confidence)))
            .ToList();
}

/// <summary>A whole evaluation: the suite, the candidate (and baseline) runs, and the gate's verdict.</summary>
public sealed record EvalReport(
    string Id,
    string Suite,
    string SuiteSha256,
    DateTimeOffset StartedAt,
    double Seconds,
    ProviderRun Candidate,
    ProviderRun? Baseline,
    GateResult Gate);
