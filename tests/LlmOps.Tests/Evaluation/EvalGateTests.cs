using LlmOps.Evaluation;

namespace LlmOps.Tests.Evaluation;

/// <summary>The gate: thresholds, non-inferiority against a baseline, McNemar.</summary>
public sealed class EvalGateTests
{
    static CaseResult Case(int test, bool passed, double score, int repeat = 0) =>
        new("p", test, $"t{test}", repeat, "", new Dictionary<string, string>(), "out", null, passed, score, 1, null, null, false, [],
            new Dictionary<string, double> { ["accuracy"] = score });

    static ProviderRun Run(params (bool Passed, double Score)[] cases) =>
        ProviderRun.Create("m", "v", cases.Select((c, i) => Case(i, c.Passed, c.Score)).ToList());

    [Fact]
    public void Evaluate_SameRunAsBaseline_Passes()
    {
        var run = Run((true, 1), (false, 0.2), (true, 0.9), (true, 0.8));
        var gate = EvalGate.Evaluate(new GateSpec(), run, run);
        Assert.True(gate.Passed, string.Join("; ", gate.Checks.Where(c => !c.Passed).Select(c => c.Detail)));
        var pass = gate.Comparisons.Single(c => c.Metric == EvalGate.PassMetric);
        Assert.Equal((0, 0, 0), (pass.MeanDifference, pass.Interval.Lower, pass.Interval.Upper));
        Assert.Equal(new McNemarResult(0, 0, 1), gate.McNemar);
    }

    [Fact]
    public void Evaluate_MuchWorseCandidate_FailsOnEveryComparison()
    {
        var baseline = Run(Enumerable.Repeat((true, 1.0), 8).ToArray());
        var candidate = Run(Enumerable.Repeat((false, 0.0), 8).ToArray());
        var gate = EvalGate.Evaluate(new GateSpec(), candidate, baseline);
        Assert.False(gate.Passed);
        Assert.All(gate.Comparisons, c => Assert.True(c.Regressed));
        // b = 8, c = 0: p = 2 · 2^-8 = 0.0078125 < 0.05.
        Assert.Equal((8, 0), (gate.McNemar!.CandidateOnlyFailed, gate.McNemar.BaselineOnlyFailed));
        Assert.Equal(0.0078125, gate.McNemar.PValue, 12);
        Assert.Contains(gate.Checks, c => c.Name == "vs baseline: McNemar" && !c.Passed);
    }

    [Fact]
    public void Evaluate_SmallDropWithinDelta_Passes()
    {
        // Scores drop by exactly 0.01 on every case: the interval is [−0.01, −0.01], above −δ = −0.05.
        var baseline = Run((true, 0.90), (true, 0.80), (true, 0.70));
        var candidate = Run((true, 0.89), (true, 0.79), (true, 0.69));
        var gate = EvalGate.Evaluate(new GateSpec(MaxRegression: 0.05), candidate, baseline);
        Assert.True(gate.Passed);
        var score = gate.Comparisons.Single(c => c.Metric == EvalGate.ScoreMetric);
        Assert.Equal(-0.01, score.MeanDifference, 12);
        Assert.Equal(-0.01, score.Interval.Lower, 12);
    }

    [Fact]
    public void Evaluate_AbsoluteThresholds()
    {
        var run = Run((true, 1), (false, 0), (false, 0.2), (true, 0.9));
        var gate = EvalGate.Evaluate(new GateSpec(MinPassRate: 0.75, MinMetrics: new Dictionary<string, double> { ["accuracy"] = 0.5, ["missing"] = 0.1 }), run, null);
        Assert.False(gate.Passed);
        Assert.False(gate.Checks.Single(c => c.Name == "pass rate").Passed);
        Assert.True(gate.Checks.Single(c => c.Name == "metric accuracy").Passed); // mean 0.525
        Assert.False(gate.Checks.Single(c => c.Name == "metric missing").Passed);
        Assert.Null(gate.McNemar);
    }

    [Fact]
    public void PassRatesByTest_WithRepeats_WilsonPerTest()
    {
        var cases = new List<CaseResult> { Case(0, true, 1, 0), Case(0, true, 1, 1), Case(0, false, 0, 2), Case(1, false, 0, 0), Case(1, false, 0, 1), Case(1, false, 0, 2) };
        var rates = ProviderRun.Create("m", "v", cases).PassRatesByTest();
        Assert.Equal((2, 3), (rates[0].Passed, rates[0].Trials));
        Assert.Equal(EvalStatistics.Wilson(2, 3), rates[0].Interval);
        Assert.Equal(0, rates[1].Passed);
    }

    [Fact]
    public void Evaluate_BaselineErrored_Fails()
    {
        var candidate = Run((true, 1), (true, 1));
        var baseline = ProviderRun.Create("b", "v", [Case(0, false, 0) with { Error = "IOException: down" }, Case(1, true, 1)]);
        var gate = EvalGate.Evaluate(new GateSpec(), candidate, baseline);
        Assert.False(gate.Passed);
        Assert.False(gate.Checks.Single(c => c.Name == "baseline: no errors").Passed);
    }
}
