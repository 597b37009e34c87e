using System.Globalization;

namespace LlmOps.Evaluation;

/// <summary>One metric of candidate vs baseline over paired cases: means, the mean difference and its bootstrap interval.</summary>
public sealed record MetricComparison(string Metric, int Pairs, double CandidateMean, double BaselineMean, double MeanDifference, Interval Interval, bool Regressed);

/// <summary>The exact McNemar test on paired pass/fail: cases only the candidate failed, only the baseline failed, p-value.</summary>
public sealed record McNemarResult(int CandidateOnlyFailed, int BaselineOnlyFailed, double PValue);

/// <summary>One condition of the gate and whether it held.</summary>
public sealed record GateCheck(string Name, bool Passed, string Detail);

/// <summary>The gate's verdict: passed only when every check did.</summary>
public sealed record GateResult(bool Passed, IReadOnlyList<GateCheck> Checks, IReadOnlyList<MetricComparison> Comparisons, McNemarResult? McNemar);

/// <summary>Decides a run: absolute thresholds (pass rate, metric minimums, no errors) and, against a baseline on the same suite,
/// "no worse than the baseline by more than δ at the given confidence" per metric, plus McNemar on pass/fail.</summary>
public static class EvalGate
{
    /// <summary>The metric of case pass/fail (1/0) in comparisons.</summary>
    public const string PassMetric = "pass";

    /// <summary>The metric of the weighted case score in comparisons.</summary>
    public const string ScoreMetric = "score";

    public static GateResult Evaluate(GateSpec gate, ProviderRun candidate, ProviderRun? baseline)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(candidate);
        var checks = new List<GateCheck>();
        var summary = candidate.Summary;
        checks.Add(new GateCheck("no errors", summary.Errors == 0, $"{summary.Errors} of {summary.Cases} cases errored"));
        if (gate.MinPassRate is { } minPassRate)
            checks.Add(new GateCheck("pass rate", summary.PassRate >= minPassRate, $"{F(summary.PassRate)} (min {F(minPassRate)}; {Pct(gate.Confidence)} CI {F(summary.PassRateInterval.Lower)}–{F(summary.PassRateInterval.Upper)})"));
        foreach (var (metric, minimum) in gate.MinMetrics ?? new Dictionary<string, double>())
        {
            var found = summary.Metrics.TryGetValue(metric, out var mean);
            checks.Add(new GateCheck($"metric {metric}", found && mean >= minimum, found ? $"mean {F(mean)} (min {F(minimum)})" : "no case produced this metric"));
        }

        var comparisons = new List<MetricComparison>();
        McNemarResult? mcNemar = null;
        if (baseline is not null)
        {
            var baselineCases = baseline.Cases.ToDictionary(c => c.Key, StringComparer.Ordinal);
            var pairs = candidate.Cases.Where(c => baselineCases.ContainsKey(c.Key)).Select(c => (Candidate: c, Baseline: baselineCases[c.Key])).ToList();
            // A baseline that could not answer makes every comparison meaningless (the candidate would look better for free).
            checks.Add(new GateCheck("baseline: no errors", baseline.Summary.Errors == 0, $"{baseline.Summary.Errors} of {baseline.Summary.Cases} baseline cases errored"));
            checks.Add(new GateCheck("paired cases", pairs.Count > 0 && pairs.Count == candidate.Cases.Count,
                $"{pairs.Count} of {candidate.Cases.Count} candidate cases have a baseline case"));
            var metricNames = new[] { PassMetric, ScoreMetric }
                .Concat(pairs.SelectMany(p => p.Candidate.Metrics.Keys.Intersect(p.Baseline.Metrics.Keys)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            var seed = gate.Seed;
            foreach (var metric in metricNames)
            {
                var values = pairs.Select(p => (C: Value(p.Candidate, metric), B: Value(p.Baseline, metric)))
                    .Where(v => v.C is not null && v.B is not null).Select(v => (C: v.C!.Value, B: v.B!.Value)).ToList();
                if (values.Count == 0) continue;
                var differences = values.Select(v => v.C - v.B).ToList();
                var interval = EvalStatistics.BootstrapMeanInterval(differences, gate.BootstrapSamples, gate.Confidence, seed++);
                var regressed = interval.Lower < -gate.MaxRegression;
                var comparison = new MetricComparison(metric, values.Count, values.Average(v => v.C), values.Average(v => v.B), differences.Average(), interval, regressed);
                comparisons.Add(comparison);
                checks.Add(new GateCheck($"vs baseline: {metric}", !regressed,
                    $"Δ {F(comparison.MeanDifference)} ({Pct(gate.Confidence)} CI {F(interval.Lower)}–{F(interval.Upper)}; fails below −{F(gate.MaxRegression)})"));
            }
            var b = pairs.Count(p => !p.Candidate.Passed && p.Baseline.Passed);
            var c = pairs.Count(p => p.Candidate.Passed && !p.Baseline.Passed);
            mcNemar = new McNemarResult(b, c, EvalStatistics.McNemarExact(b, c));
            var worse = b > c && mcNemar.PValue < 1 - gate.Confidence;
            checks.Add(new GateCheck("vs baseline: McNemar", !worse, $"{b} cases fail only on the candidate, {c} only on the baseline; exact p = {F(mcNemar.PValue)}"));
        }
        return new GateResult(checks.All(c => c.Passed), checks, comparisons, mcNemar);
    }

    static double? Value(CaseResult result, string metric) => metric switch
    {
        PassMetric => result.Passed ? 1 : 0,
        ScoreMetric => result.Score,
        _ => result.Metrics.TryGetValue(metric, out var v) ? v : null,
    };

    static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    static string Pct(double confidence) => (confidence * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
