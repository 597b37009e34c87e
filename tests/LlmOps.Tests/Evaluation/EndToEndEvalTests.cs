using System.Text.Json;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using LlmOps.Evaluation.Reports;
using LlmOps.Inference.Evaluation;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Tests.DataPrep;
using LlmOps.Tests.Inference;
using Microsoft.Extensions.AI;

namespace LlmOps.Tests.Evaluation;

/// <summary>A tiny GGUF served by llama.cpp and evaluated on golden answers recorded from it: the gate passes for the model
/// against itself and fails for a candidate with scrambled weights; the reports are valid JUnit and offline HTML.</summary>
public sealed class EndToEndEvalTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    static readonly string[] Questions = ["hello there", "the cat sat", "in the end", "an answer", "what is the", "tell me"];
    static readonly AssertionTypes Types = AssertionTypes.CreateDefault();

    async Task<(EvalSuite Suite, string Folder)> GoldenSuiteAsync(TempFolder folder)
    {
        // The golden answers are the model's own greedy outputs: what a regression suite records from an approved version.
        var client = model.Client();
        var lines = new List<string>();
        foreach (var question in Questions)
        {
            var answer = (await client.GetResponseAsync([new ChatMessage(ChatRole.User, question)], new ChatOptions { Temperature = 0, MaxOutputTokens = 8, Seed = 42 })).Text;
            if (answer.Length == 0) continue;
            lines.Add(JsonSerializer.Serialize(new
            {
                description = question,
                vars = new { q = question },
                assert = new object[]
                {
                    new { type = "equals", value = answer, metric = "exact" },
                    new { type = "rouge-n", value = answer, threshold = 0.5, metric = "overlap" },
                    new { type = "token-count", threshold = 8, weight = 0 },
                },
            }));
        }
        Assert.True(lines.Count >= 4, "the tiny model answers most questions");
        folder.File("golden.jsonl", string.Join('\n', lines));
        var yaml = """
            description: golden answers of the tiny model
            prompts: ["{{q}}"]
            tests: file://golden.jsonl
            options: { temperature: 0, max_tokens: 8, seed: 42 }
            gate: { max_regression: 0.05, min_pass_rate: 0.8 }
            """;
        return (EvalSuiteLoader.Parse(yaml, "golden.yaml", folder.Path, Types), folder.Path);
    }

    [Fact]
    public async Task EvaluateAsync_SameModelAsBaseline_GatePasses_ScrambledWeights_GateFails()
    {
        using var folder = new TempFolder();
        var (suite, baseDirectory) = await GoldenSuiteAsync(folder);
        var scrambled = Path.Combine(folder.Path, "scrambled.gguf");
        await TinyGguf.WriteAsync(scrambled, seed: 99);
        var resolver = new EvalTargetResolver(model.Cache);
        var reference = await resolver.ResolveAsync(new ProviderSpec(model.ModelPath, "tiny", new Dictionary<string, string>(), 1), baseDirectory);
        var worse = await resolver.ResolveAsync(new ProviderSpec("scrambled.gguf", null, new Dictionary<string, string>(), 1), baseDirectory);
        Assert.Equal($"gguf:{model.Sha256}", reference.Version);
        var runner = new EvalRunner(Types, new EvalRunOptions { MaxConcurrency = 2, Cache = new FileResponseCache(folder.Sub("cache")) });

        var same = await runner.EvaluateAsync(suite, reference, reference);
        Assert.True(same.Gate.Passed, string.Join("; ", same.Gate.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}")));
        Assert.True(same.Candidate.Summary.PassRate == 1, string.Join("; ", same.Candidate.Cases.Where(c => !c.Passed)
            .Select(c => $"{c.TestName}: {c.Output} {string.Join(", ", c.Assertions.Where(a => !a.Passed).Select(a => a.Reason))}")));
        Assert.Equal(same.Candidate.Cases.Count, same.Baseline!.Summary.CacheHits); // the baseline's calls were the candidate's, cached

        var regressed = await runner.EvaluateAsync(suite, worse, reference);
        Assert.False(regressed.Gate.Passed);
        Assert.True(regressed.Candidate.Summary.PassRate < 0.5, $"scrambled pass rate {regressed.Candidate.Summary.PassRate}");
        Assert.True(regressed.Gate.Comparisons.Single(c => c.Metric == EvalGate.PassMetric).Regressed);
        Assert.Contains(regressed.Gate.Checks, c => c.Name == "pass rate" && !c.Passed);

        var junit = JUnitReport.Write(regressed);
        Assert.Empty(JUnitSchema.Validate(junit));
        Assert.Contains("<failure", junit, StringComparison.Ordinal);

        var html = HtmlReport.Write(regressed);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("Gate failed", html, StringComparison.Ordinal);
        Assert.Contains("class=\"failed\"", html, StringComparison.Ordinal);
        Assert.Contains("(baseline)", html, StringComparison.Ordinal);
    }
}
