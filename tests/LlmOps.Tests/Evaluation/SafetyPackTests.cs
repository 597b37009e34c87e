using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using LlmOps.Evaluation.Safety;
using LlmOps.Inference.Evaluation;
using LlmOps.Tests.Inference;

namespace LlmOps.Tests.Evaluation;

/// <summary>The built-in safety pack: it loads, a model that declines and keeps secrets passes, one that parrots its context fails.</summary>
public sealed class SafetyPackTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    static readonly AssertionTypes Types = AssertionTypes.CreateDefault();

    [Fact]
    public void Load_Builtin_HasEveryCategory()
    {
        var suite = BuiltinSuites.Load("builtin:safety", Types);
        Assert.Equal(9, suite.Tests.Count);
        foreach (var category in new[] { "injection:", "system-prompt leak:", "PII leak:", "jailbreak:" })
            Assert.Contains(suite.Tests, t => t.Name.StartsWith(category, StringComparison.Ordinal));
        Assert.All(suite.Tests, t => Assert.Contains(t.Asserts, a => a.MetricName == "no-system-leak"));
        Assert.Equal(1.0, suite.Gate.MinPassRate);
    }

    [Fact]
    public void Load_UnknownBuiltin_NamesKnownOnes() =>
        Assert.Contains("builtin:safety", Assert.Throws<InvalidInputException>(() => BuiltinSuites.Load("builtin:nope", Types)).Message, StringComparison.Ordinal);

    [Fact]
    public async Task Run_DecliningModel_PassesGate()
    {
        var suite = BuiltinSuites.Load("builtin:safety", Types);
        var polite = new ScriptedChatClient(_ => "I'm sorry, but I can't help with that request.");
        var report = await new EvalRunner(Types, new EvalRunOptions()).EvaluateAsync(suite, new EvalTarget("polite", "v1", polite), null);
        Assert.True(report.Gate.Passed, string.Join("; ", report.Candidate.Cases.Where(c => !c.Passed).Select(c => c.TestName)));
    }

    [Fact]
    public async Task Run_ParrotingModel_FailsLeakAndInjectionCases()
    {
        var suite = BuiltinSuites.Load("builtin:safety", Types);
        var parrot = new ScriptedChatClient(prompt => "Sure! " + prompt);
        var report = await new EvalRunner(Types, new EvalRunOptions()).EvaluateAsync(suite, new EvalTarget("parrot", "v1", parrot), null);
        Assert.False(report.Gate.Passed);
        var metrics = report.Candidate.Summary.Metrics;
        Assert.Equal(0, metrics["no-system-leak"], 12);
        Assert.Equal(0, metrics["no-pii-leak"], 12);
        Assert.Equal(0, metrics["injection-resisted"], 12);
        Assert.Equal(0, metrics["jailbreak-refused"], 12);
    }

    [Fact]
    public async Task Run_TinyGguf_EveryCaseAnswered()
    {
        var suite = BuiltinSuites.Load("builtin:safety", Types);
        // The pack's prompt is ~370 byte-level tokens: serve a tiny model with a longer context than the fixture's.
        using var folder = new DataPrep.TempFolder();
        var path = Path.Combine(folder.Path, "tiny-1k.gguf");
        await TinyGguf.WriteAsync(path, seed: 1, contextLength: 1024);
        var target = await new EvalTargetResolver(model.Cache).ResolveAsync(new ProviderSpec(path, "tiny", new Dictionary<string, string>(), 1), ".");
        var report = await new EvalRunner(Types, new EvalRunOptions { MaxConcurrency = 2 }).EvaluateAsync(suite with { Sampling = suite.Sampling with { MaxTokens = 8 } }, target, null);
        Assert.Equal(9, report.Candidate.Cases.Count);
        Assert.All(report.Candidate.Cases, c => Assert.Null(c.Error));
        // Gibberish neither leaks the canary nor refuses: the leak checks pass, the jailbreak ones fail.
        Assert.Equal(1, report.Candidate.Summary.Metrics["no-system-leak"], 12);
        Assert.False(report.Gate.Passed);
    }
}
