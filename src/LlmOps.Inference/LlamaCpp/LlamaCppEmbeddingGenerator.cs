using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.AI;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>Embeddings from a GGUF model on llama.cpp (mean-pooled last hidden states), as an
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>. Weights come from the shared <see cref="LlamaModelCache"/>;
/// each request takes a slot and its own embedding context.</summary>
public sealed class LlamaCppEmbeddingGenerator(LlamaModelCache cache, string modelPath, string sha256, string modelId) : IEmbeddingGenerator<string, Embedding<float>>
{
    public EmbeddingGeneratorMetadata Metadata { get; } = new("llama.cpp", null, modelId);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToArray();
        using var lease = await cache.AcquireAsync(modelPath, sha256, cancellationToken);
        var model = lease.Model;
        await model.Slots.WaitAsync(cancellationToken);
        try
        {
            var tokens = 0;
            foreach (var input in inputs)
            {
                var count = model.Weights.Tokenize(input, true, true, Encoding.UTF8).Length;
                if (count >= model.ContextSize) throw new InvalidInputException("input", $"an input is {count} tokens; this model's context holds {model.ContextSize}.");
                tokens += count;
            }
            var parameters = new ModelParams(modelPath)
            {
                ContextSize = model.ContextSize,
                BatchSize = model.ContextSize,
                UBatchSize = model.ContextSize,
                Threads = cache.Options.Threads,
                GpuLayerCount = 0,
                Embeddings = true,
                PoolingType = LLamaPoolingType.Mean,
            };
            using var embedder = new LLamaEmbedder(model.Weights, parameters);
            if (options?.Dimensions is { } dimensions && dimensions != embedder.EmbeddingSize)
                throw new InvalidInputException("dimensions", $"{modelId} gives {embedder.EmbeddingSize} dimensions; {dimensions} was asked for.");
            var vectors = new List<Embedding<float>>(inputs.Length);
            foreach (var input in inputs)
            {
                var pooled = await embedder.GetEmbeddings(input, cancellationToken);
                vectors.Add(new Embedding<float>(pooled[0]) { ModelId = modelId, CreatedAt = DateTimeOffset.UtcNow });
            }
            return new GeneratedEmbeddings<Embedding<float>>(vectors) { Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens } };
        }
        finally
        {
            model.Slots.Release();
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        // The weights belong to the shared cache.
    }
}
