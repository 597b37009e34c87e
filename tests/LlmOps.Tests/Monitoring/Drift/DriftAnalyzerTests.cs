using System.Text.Json;
using LlmOps.Monitoring.Drift;
using Xunit.Abstractions;

namespace LlmOps.Tests.Monitoring.Drift;

/// <summary>The analyzer on synthetic streams: a shifted stream is caught by the features that shifted, same-distribution
/// streams rarely raise a flag, and small or partial windows give errors, skips and warnings a person can act on.</summary>
public sealed class DriftAnalyzerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnalyzeAsync_ShiftedStream_FlagsTheFeaturesThatShifted()
    {
        var analyzer = new DriftAnalyzer(new DriftOptions(), new HashingEmbeddingGenerator());
        var report = await analyzer.AnalyzeAsync(
            SyntheticTraffic.Window(SyntheticTraffic.Baseline, 500, seed: 1),
            SyntheticTraffic.Window(SyntheticTraffic.Shifted, 500, seed: 2));

        foreach (var result in report.Results) output.WriteLine($"{result.Feature}/{result.Method}: {result.Drifted} — {result.Detail}");
        // Longer prompts over another vocabulary, and six times the refusals (shorter answers).
        foreach (var (feature, method) in new[]
        {
            (DriftFeatures.PromptLength, DriftMethods.Psi), (DriftFeatures.PromptLength, DriftMethods.JensenShannon),
            (DriftFeatures.PromptTokens, DriftMethods.Psi), (DriftFeatures.PromptTokens, DriftMethods.JensenShannon),
            (DriftFeatures.ResponseLength, DriftMethods.Psi), (DriftFeatures.ResponseLength, DriftMethods.JensenShannon),
            (DriftFeatures.RefusalRate, DriftMethods.ZTest), (DriftFeatures.EmbeddingMmd, DriftMethods.Mmd),
        })
        {
            Assert.True(Result(report, feature, method).Drifted, $"{feature}/{method} should have drifted");
        }
        var refusal = Result(report, DriftFeatures.RefusalRate, DriftMethods.ZTest);
        Assert.InRange(refusal.ReferenceValue!.Value, 0.02, 0.08);
        Assert.InRange(refusal.CurrentValue!.Value, 0.24, 0.36);
        Assert.True(refusal.PValue < 0.0001);
        Assert.True(Result(report, DriftFeatures.PromptLength, DriftMethods.Psi).CurrentValue > 1.8 * Result(report, DriftFeatures.PromptLength, DriftMethods.Psi).ReferenceValue);
        Assert.True(report.Drifted);
        Assert.Equal(7, report.FeatureCount);
        Assert.True(report.DriftShare >= 0.5);
        Assert.Empty(report.Skipped);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task AnalyzeAsync_SameDistributionOverFortySeeds_FalseAlarmsUnderFivePercent()
    {
        const int seeds = 40;
        // Windows of 1,000 — a day of modest traffic — where the histograms' noise stays under their 0.1 thresholds
        // (see DriftOptions.MinimumSamples); embeddings of a 250-prompt subset keep the test to a few seconds.
        var analyzer = new DriftAnalyzer(new DriftOptions { EmbeddingSampleLimit = 250 }, new HashingEmbeddingGenerator());
        var alarms = new Dictionary<string, int>(StringComparer.Ordinal);
        var overall = 0;
        for (var seed = 0; seed < seeds; seed++)
        {
            var report = await analyzer.AnalyzeAsync(
                SyntheticTraffic.Window(SyntheticTraffic.Baseline, 1000, seed: 100 + 2 * seed),
                SyntheticTraffic.Window(SyntheticTraffic.Baseline, 1000, seed: 101 + 2 * seed));
            Assert.Equal(11, report.Results.Count);
            Assert.Empty(report.Warnings);
            if (report.Drifted) overall++;
            foreach (var result in report.Results)
            {
                var key = $"{result.Feature}/{result.Method}";
                alarms[key] = alarms.GetValueOrDefault(key) + (result.Drifted ? 1 : 0);
            }
        }
        output.WriteLine($"overall: {overall}/{seeds}");
        foreach (var (key, count) in alarms) output.WriteLine($"{key}: {count}/{seeds}");
        Assert.True((double)overall / seeds < 0.05, $"overall drift flagged on {overall} of {seeds} same-distribution pairs");
        foreach (var (key, count) in alarms)
            Assert.True((double)count / seeds < 0.05, $"{key} flagged on {count} of {seeds} same-distribution pairs");
    }

    [Fact]
    public async Task AnalyzeAsync_SmallWindows_WarnsThatLengthHistogramsAreNoisy()
    {
        var report = await new DriftAnalyzer().AnalyzeAsync(
            SyntheticTraffic.Window(SyntheticTraffic.Baseline, 100, seed: 1),
            SyntheticTraffic.Window(SyntheticTraffic.Baseline, 100, seed: 2));
        var warning = Assert.Single(report.Warnings, w => w.StartsWith(DriftFeatures.PromptLength, StringComparison.Ordinal));
        Assert.Contains("100 and 100 samples", warning, StringComparison.Ordinal);
        Assert.Contains(report.Warnings, w => w.StartsWith(DriftFeatures.ResponseLength, StringComparison.Ordinal));
        // Tokens are counted by the thousand: their histograms are not noisy at this size.
        Assert.DoesNotContain(report.Warnings, w => w.StartsWith(DriftFeatures.PromptTokens, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnalyzeAsync_WindowTooSmall_NamesTheWindowAndItsSize()
    {
        var analyzer = new DriftAnalyzer(new DriftOptions { MinimumSamples = 30 });
        var enough = SyntheticTraffic.Window(SyntheticTraffic.Baseline, 30, seed: 1);
        var exception = await Assert.ThrowsAsync<InvalidInputException>(() =>
            analyzer.AnalyzeAsync(enough, SyntheticTraffic.Window(SyntheticTraffic.Baseline, 12, seed: 2)));
        Assert.Equal("current", exception.Field);
        Assert.Contains("has 12 samples", exception.Message, StringComparison.Ordinal);
        Assert.Contains("at least 30", exception.Message, StringComparison.Ordinal);

        exception = await Assert.ThrowsAsync<InvalidInputException>(() => analyzer.AnalyzeAsync([], enough));
        Assert.Equal("reference", exception.Field);
        Assert.Contains("has 0 samples", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzeAsync_SampleWithoutPrompt_NamesIt()
    {
        var current = SyntheticTraffic.Window(SyntheticTraffic.Baseline, 60, seed: 2);
        current[3] = new DriftSample(null!, "answer");
        var exception = await Assert.ThrowsAsync<InvalidInputException>(() =>
            new DriftAnalyzer().AnalyzeAsync(SyntheticTraffic.Window(SyntheticTraffic.Baseline, 60, seed: 1), current));
        Assert.Equal("current[3].prompt", exception.Field);
    }

    [Fact]
    public async Task AnalyzeAsync_ReferenceOfEvalInputs_ComparesPromptsAndSkipsResponses()
    {
        var reference = SyntheticTraffic.Window(SyntheticTraffic.Baseline, 80, seed: 1).Select(s => new DriftSample(s.Prompt)).ToList();
        var report = await new DriftAnalyzer(embeddings: new HashingEmbeddingGenerator())
            .AnalyzeAsync(reference, SyntheticTraffic.Window(SyntheticTraffic.Baseline, 80, seed: 2));

        Assert.Equal([DriftFeatures.ResponseLength, DriftFeatures.ResponseTokens, DriftFeatures.RefusalRate], report.Skipped.Select(s => s.Feature));
        Assert.All(report.Skipped, s => Assert.Equal("the reference window has no responses.", s.Reason));
        Assert.Equal(4, report.FeatureCount);
        Assert.Equal([DriftFeatures.PromptLength, DriftFeatures.PromptTokens, DriftFeatures.EmbeddingCentroid, DriftFeatures.EmbeddingMmd],
            report.Results.Select(r => r.Feature).Distinct());
    }

    [Fact]
    public async Task AnalyzeAsync_TooFewResponses_SaysHowMany()
    {
        var current = SyntheticTraffic.Window(SyntheticTraffic.Baseline, 60, seed: 2);
        for (var i = 10; i < current.Count; i++) current[i] = current[i] with { Response = null };
        var report = await new DriftAnalyzer().AnalyzeAsync(SyntheticTraffic.Window(SyntheticTraffic.Baseline, 60, seed: 1), current);
        Assert.Equal("the current window has 10 responses; at least 50 are needed (minimumSamples).",
            report.Skipped.Single(s => s.Feature == DriftFeatures.RefusalRate).Reason);
    }

    [Fact]
    public async Task AnalyzeAsync_NoEmbeddingGenerator_SkipsEmbeddingFeatures()
    {
        var report = await new DriftAnalyzer().AnalyzeAsync(
            SyntheticTraffic.Window(SyntheticTraffic.Baseline, 60, seed: 1), SyntheticTraffic.Window(SyntheticTraffic.Baseline, 60, seed: 2));
        Assert.Equal([DriftFeatures.EmbeddingCentroid, DriftFeatures.EmbeddingMmd], report.Skipped.Select(s => s.Feature));
        Assert.Equal(5, report.FeatureCount);
    }

    [Fact]
    public async Task AnalyzeAsync_LargeWindows_EmbedsOnlyTheSampleLimit()
    {
        var generator = new HashingEmbeddingGenerator();
        var report = await new DriftAnalyzer(new DriftOptions { EmbeddingSampleLimit = 100 }, generator).AnalyzeAsync(
            SyntheticTraffic.Window(SyntheticTraffic.Baseline, 300, seed: 1), SyntheticTraffic.Window(SyntheticTraffic.Baseline, 150, seed: 2));
        Assert.Equal(200, generator.Texts);
        Assert.Contains("100 and 100 prompts sampled from 300 and 150", Result(report, DriftFeatures.EmbeddingMmd, DriftMethods.Mmd).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzeAsync_SameWindowsAndSeed_SameReport()
    {
        var reference = SyntheticTraffic.Window(SyntheticTraffic.Baseline, 200, seed: 1);
        var current = SyntheticTraffic.Window(SyntheticTraffic.Shifted, 200, seed: 2);
        var analyzer = new DriftAnalyzer(new DriftOptions { EmbeddingSampleLimit = 150 }, new HashingEmbeddingGenerator());
        var first = await analyzer.AnalyzeAsync(reference, current);
        var second = await analyzer.AnalyzeAsync(reference, current);
        Assert.Equal(JsonSerializer.Serialize(first, LlmOpsJson.Options), JsonSerializer.Serialize(second, LlmOpsJson.Options));
    }

    [Fact]
    public async Task DriftReport_RoundTripsThroughTheApiJson()
    {
        var report = await new DriftAnalyzer(embeddings: new HashingEmbeddingGenerator()).AnalyzeAsync(
            SyntheticTraffic.Window(SyntheticTraffic.Baseline, 60, seed: 1).Select(s => new DriftSample(s.Prompt)).ToList(),
            SyntheticTraffic.Window(SyntheticTraffic.Shifted, 60, seed: 2));
        var json = JsonSerializer.Serialize(report, LlmOpsJson.Options);
        Assert.Contains("\"driftShare\":", json, StringComparison.Ordinal);
        Assert.Contains("\"feature\":\"embedding_mmd\"", json, StringComparison.Ordinal);
        Assert.Contains("\"pValue\":", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<DriftReport>(json, LlmOpsJson.Options)!;
        Assert.Equal(json, JsonSerializer.Serialize(back, LlmOpsJson.Options));
    }

    [Theory]
    [InlineData("psiThreshold")]
    [InlineData("refusalAlpha")]
    [InlineData("lengthBins")]
    [InlineData("minimumSamples")]
    [InlineData("driftShare")]
    public void Constructor_BadOption_NamesIt(string field)
    {
        var options = field switch
        {
            "psiThreshold" => new DriftOptions { PsiThreshold = 0 },
            "refusalAlpha" => new DriftOptions { RefusalAlpha = 1 },
            "lengthBins" => new DriftOptions { LengthBins = 1 },
            "minimumSamples" => new DriftOptions { MinimumSamples = 1 },
            _ => new DriftOptions { DriftShare = 0 },
        };
        Assert.Equal(field, Assert.Throws<InvalidInputException>(() => new DriftAnalyzer(options)).Field);
    }

    static DriftResult Result(DriftReport report, string feature, string method) =>
        report.Results.Single(r => r.Feature == feature && r.Method == method);
}
