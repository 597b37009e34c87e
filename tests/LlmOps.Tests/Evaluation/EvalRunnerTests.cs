using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using LlmOps.Tests.DataPrep;

namespace LlmOps.Tests.Evaluation;

/// <summary>Running a suite: weighted scores, thresholds, named metrics, repeats, the cache and errors.</summary>
public sealed class EvalRunnerTests
{
    static readonly AssertionTypes Types = AssertionTypes.CreateDefault();

    const string Suite = """
        prompts: ["Capital of {{country}}?"]
        tests:
          - description: france
            vars: { country: France }
            assert:
              - type: contains
                value: Paris
                weight: 3
                metric: accuracy
              - type: contains
                value: "!"
          - description: italy
            vars: { country: Italy }
            threshold: 0.7
            assert:
              - type: contains
                value: Rome
                weight: 3
                metric: accuracy
              - type: contains
                value: "!"
        """;

    static string Capitals(string prompt) => prompt.Contains("France", StringComparison.Ordinal) ? "Paris" : "Rome";

    [Fact]
    public async Task RunAsync_WeightedScoreAndThreshold_DecidePass()
    {
        var suite = EvalSuiteLoader.Parse(Suite, "s.yaml", ".", Types);
        var run = await new EvalRunner(Types, new EvalRunOptions()).RunAsync(suite, new EvalTarget("m", "v1", new ScriptedChatClient(Capitals)));

        // france: 3·1 + 1·0 over 4 = 0.75 but one assertion failed → fail; italy: 0.75 ≥ threshold 0.7 → pass.
        Assert.Equal([false, true], run.Cases.Select(c => c.Passed));
        Assert.All(run.Cases, c => Assert.Equal(0.75, c.Score, 12));
        Assert.Equal(1, run.Summary.Metrics["accuracy"], 12);
        Assert.Equal(0, run.Summary.Metrics["contains"], 12);
        Assert.Equal(0.5, run.Summary.PassRate);
        Assert.Equal(EvalStatistics.Wilson(1, 2), run.Summary.PassRateInterval);
    }

    [Fact]
    public async Task RunAsync_WithCache_SecondRunCallsNothing()
    {
        using var folder = new TempFolder();
        var suite = EvalSuiteLoader.Parse(Suite.Replace("prompts:", "repeat: 2\nprompts:", StringComparison.Ordinal), "s.yaml", ".", Types);
        var client = new ScriptedChatClient(Capitals);
        var options = new EvalRunOptions { Cache = new FileResponseCache(folder.Path), MaxConcurrency = 3 };
        var first = await new EvalRunner(Types, options).RunAsync(suite, new EvalTarget("m", "v1", client));
        Assert.Equal(4, client.Calls);
        Assert.Equal(0, first.Summary.CacheHits);

        var second = await new EvalRunner(Types, options).RunAsync(suite, new EvalTarget("m", "v1", client));
        Assert.Equal(4, client.Calls);
        Assert.Equal(4, second.Summary.CacheHits);
        Assert.Equal(first.Cases.Select(c => (c.Output, c.Passed)), second.Cases.Select(c => (c.Output, c.Passed)));

        // Another provider version is another key.
        await new EvalRunner(Types, options).RunAsync(suite, new EvalTarget("m", "v2", client));
        Assert.Equal(8, client.Calls);
    }

    [Fact]
    public void CacheKey_DependsOnVersionPromptSamplingAndSeed()
    {
        var sampling = new SamplingSpec();
        var key = IResponseCache.Key("v1", "prompt", sampling, 42);
        Assert.Equal(key, IResponseCache.Key("v1", "prompt", new SamplingSpec(), 42));
        Assert.NotEqual(key, IResponseCache.Key("v2", "prompt", sampling, 42));
        Assert.NotEqual(key, IResponseCache.Key("v1", "prompt ", sampling, 42));
        Assert.NotEqual(key, IResponseCache.Key("v1", "prompt", sampling with { Temperature = 0.5f }, 42));
        Assert.NotEqual(key, IResponseCache.Key("v1", "prompt", sampling with { MaxTokens = 33 }, 42));
        Assert.NotEqual(key, IResponseCache.Key("v1", "prompt", sampling, 43));
    }

    [Fact]
    public async Task FileResponseCache_DamagedEntry_IsAMiss()
    {
        using var folder = new TempFolder();
        var cache = new FileResponseCache(folder.Path);
        var key = IResponseCache.Key("v1", "p", new SamplingSpec(), 1);
        await cache.SetAsync(key, new CachedResponse("hi", 1, 2, 3.5));
        Assert.Equal(new CachedResponse("hi", 1, 2, 3.5), await cache.GetAsync(key));
        File.WriteAllText(Directory.EnumerateFiles(folder.Path, "*.json", SearchOption.AllDirectories).Single(), "{not json");
        Assert.Null(await cache.GetAsync(key));
    }

    [Fact]
    public async Task RunAsync_ProviderThrows_CaseErrorsAndIsNotCached()
    {
        using var folder = new TempFolder();
        var suite = EvalSuiteLoader.Parse(Suite, "s.yaml", ".", Types);
        var failing = new ScriptedChatClient(_ => throw new InvalidOperationException("upstream down"));
        var options = new EvalRunOptions { Cache = new FileResponseCache(folder.Path) };
        var run = await new EvalRunner(Types, options).RunAsync(suite, new EvalTarget("m", "v1", failing));
        Assert.All(run.Cases, c => Assert.Contains("upstream down", c.Error, StringComparison.Ordinal));
        Assert.Equal(2, run.Summary.Errors);
        Assert.False(EvalGate.Evaluate(suite.Gate, run, null).Passed);

        var healthy = new ScriptedChatClient(Capitals);
        await new EvalRunner(Types, options).RunAsync(suite, new EvalTarget("m", "v1", healthy));
        Assert.Equal(2, healthy.Calls);
    }

    [Fact]
    public async Task RunAsync_ReportsProgress()
    {
        var suite = EvalSuiteLoader.Parse(Suite, "s.yaml", ".", Types);
        var seen = new List<EvalProgress>();
        var progress = new SynchronousProgress(seen);
        await new EvalRunner(Types, new EvalRunOptions { Progress = progress, MaxConcurrency = 1 })
            .RunAsync(suite, new EvalTarget("m", "v1", new ScriptedChatClient(Capitals)));
        Assert.Equal([1, 2], seen.Select(p => p.Done));
        Assert.All(seen, p => Assert.Equal(2, p.Total));
    }

    sealed class SynchronousProgress(List<EvalProgress> seen) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value)
        {
            lock (seen) seen.Add(value);
        }
    }
}
