using System.Text.Json.Nodes;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using LlmOps.Inference.Evaluation;
using LlmOps.Tests.Inference;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Tests.Evaluation;

/// <summary><c>similar</c> on real MiniLM embeddings and <c>perplexity</c> on real llama.cpp log-probabilities of a tiny model.</summary>
public sealed class RuntimeAssertionsTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>, IDisposable
{
    readonly SentenceEmbeddings embeddings = new();

    (AssertionTypes Types, EvalTargetResolver Resolver) Types()
    {
        var resolver = new EvalTargetResolver(model.Cache);
        return (AssertionTypes.CreateDefault().AddRuntimeAssertions(embeddings, new PerplexityScorer(model.Cache), resolver), resolver);
    }

    static async Task<(bool Passed, double Score, string Reason)> Evaluate(AssertionTypes types, string type, JsonNode? value, double? threshold, string output,
        string prompt = "q", IChatClient? target = null)
    {
        var spec = new AssertionSpec(type, false, value, threshold, 1, null, null, 1);
        var result = await types.Create(spec, new Dictionary<string, string>()).EvaluateAsync([new ChatMessage(ChatRole.User, prompt)],
            new ChatResponse(new ChatMessage(ChatRole.Assistant, output)), null, [new EvalCaseContext(new Dictionary<string, string>(), prompt, TimeSpan.Zero, target)]);
        var metric = (NumericMetric)result.Metrics.Values.Single();
        return (metric.Interpretation is { Failed: false }, metric.Value!.Value, metric.Reason ?? "");
    }

    [Fact]
    public async Task Similar_Paraphrase_Passes_UnrelatedFails()
    {
        var (types, _) = Types();
        var paraphrase = await Evaluate(types, "similar", JsonValue.Create("Paris is the capital of France."), null, "The capital city of France is Paris.");
        Assert.True(paraphrase.Passed, paraphrase.Reason);
        var unrelated = await Evaluate(types, "similar", JsonValue.Create("Paris is the capital of France."), null, "My dog enjoys chewing on old shoes.");
        Assert.False(unrelated.Passed, unrelated.Reason);
        Assert.True(paraphrase.Score > unrelated.Score + 0.3, $"{paraphrase.Score} vs {unrelated.Score}");
    }

    [Fact]
    public void Cosine_ByHand()
    {
        Assert.Equal(1, SentenceEmbeddings.Cosine([1, 2], [2, 4]), 12);
        Assert.Equal(0, SentenceEmbeddings.Cosine([1, 0], [0, 3]), 12);
        Assert.Equal(-1, SentenceEmbeddings.Cosine([1, 1], [-1, -1]), 12);
    }

    [Fact]
    public void LogSoftmax_ByHand()
    {
        // softmax([0, ln 3]) = [1/4, 3/4].
        Assert.Equal(Math.Log(0.75), PerplexityScorer.LogSoftmax([0f, (float)Math.Log(3)], 1), 6);
        Assert.Equal(Math.Log(0.25), PerplexityScorer.LogSoftmax([1000f, 1000f + (float)Math.Log(3)], 0), 4);
    }

    [Fact]
    public async Task Perplexity_GreedyToken_AtMostVocabularyAndBelowAnyOtherToken()
    {
        var (types, resolver) = Types();
        var target = await resolver.ResolveAsync(new ProviderSpec(model.ModelPath, "tiny", new Dictionary<string, string>(), 1), ".");
        var scorer = new PerplexityScorer(model.Cache);
        // One greedy token is the argmax of the next-token distribution: p ≥ 1/V, so its perplexity 1/p is at most V (264 here),
        // and no other single token can have a lower one. That pins the logit alignment.
        foreach (var prompt in new[] { "hello there", "the cat", "in the end", "an answer", "what is", "tell me", "once upon", "a b c", "xyz", "the the" })
        {
            var output = (await target.Client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], new ChatOptions { Temperature = 0, MaxOutputTokens = 1 })).Text;
            // A lone byte of a multi-byte character decodes to nothing or to U+FFFD, which re-tokenizes differently: try another prompt.
            if (output.Length == 0 || output.Contains('\uFFFD', StringComparison.Ordinal)) continue;
            var greedy = await scorer.ComputeAsync(model.ModelPath, model.Sha256, prompt, output);
            Assert.InRange(greedy, 1, 264);
            foreach (var other in new[] { "z", "q", "7" }.Where(o => o != output))
                Assert.True(greedy <= await scorer.ComputeAsync(model.ModelPath, model.Sha256, prompt, other) + 1e-9, $"{prompt}: '{output}' vs '{other}'");

            var loose = await Evaluate(types, "perplexity", null, greedy * 1.01, output, prompt, target.Client);
            Assert.True(loose.Passed, loose.Reason);
            Assert.Equal(1 / greedy, loose.Score, 6);
            if (greedy * 0.99 > 1) Assert.False((await Evaluate(types, "perplexity", null, greedy * 0.99, output, prompt, target.Client)).Passed);
            return;
        }
        Assert.Fail("no prompt gave a one-token answer");
    }

    [Fact]
    public async Task Perplexity_RemoteOrUnknownClient_FailsWithReason()
    {
        var (types, _) = Types();
        var result = await Evaluate(types, "perplexity", null, 10, "text", target: new ScriptedChatClient(_ => "x"));
        Assert.False(result.Passed);
        Assert.Contains("GGUF provider", result.Reason, StringComparison.Ordinal);
    }

    public void Dispose() => embeddings.Dispose();
}
