using System.Collections.Concurrent;
using LlmOps.Artifacts;
using LlmOps.Deployments;
using LlmOps.Inference.Embeddings;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Inference.Remote;
using LlmOps.Registry;
using LlmOps.Storage;
using Microsoft.Extensions.AI;

namespace LlmOps.Server.Gateway;

/// <summary>The runtime of each registry version, made once: GGUF versions on the shared llama.cpp model cache
/// (their blob read in place from the artifact store), remote versions through an OpenAI-compatible client.</summary>
/// <remarks>LoRA versions: the adapter GGUF is the version's file, applied over the gguf base version of its lineage
/// (tag <c>lora_scale</c>, default 1); the base weights stay shared with every other user of the base. Remote versions: <c>sourceUri</c> is the upstream base URL (ending in <c>/v1</c>); tag <c>upstream_model</c>
/// names the model there (default: the registry name); tag <c>api_key_env</c> names the environment variable holding its key.</remarks>
public sealed class ChatRuntimes(IStore store, IArtifactStore artifacts, LlamaModelCache models) : IDisposable
{
    public const string UpstreamModelTag = "upstream_model";
    public const string ApiKeyEnvironmentTag = "api_key_env";
    public const string LoraScaleTag = LoraFile.ScaleTag;

    // Versions are immutable, so a runtime made for one never goes stale.
    readonly ConcurrentDictionary<VersionRef, Lazy<Task<IChatClient>>> clients = new();

    readonly ConcurrentDictionary<VersionRef, Lazy<Task<IEmbeddingGenerator<string, Embedding<float>>>>> embedders = new();
    readonly Lazy<MiniLmEmbeddingGenerator> miniLm = new(() => new MiniLmEmbeddingGenerator());

    public LlamaModelCache Models => models;

    /// <summary>The one all-MiniLM-L6-v2 instance of this process (embeddings endpoint, drift).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> SentenceEmbeddings => miniLm.Value;

    /// <summary>The embedding runtime of a version: builtin all-MiniLM-L6-v2 (one shared instance) or a remote upstream.</summary>
    public async Task<IEmbeddingGenerator<string, Embedding<float>>> GetEmbeddingsAsync(VersionRef reference, CancellationToken cancellationToken = default)
    {
        var lazy = embedders.GetOrAdd(reference, r => new Lazy<Task<IEmbeddingGenerator<string, Embedding<float>>>>(() => CreateEmbeddingsAsync(r)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            embedders.TryRemove(new KeyValuePair<VersionRef, Lazy<Task<IEmbeddingGenerator<string, Embedding<float>>>>>(reference, lazy));
            throw;
        }
    }

    async Task<IEmbeddingGenerator<string, Embedding<float>>> CreateEmbeddingsAsync(VersionRef reference)
    {
        var version = await LoadAsync(reference);
        return version.Format switch
        {
            ModelFormats.Builtin when version.SourceUri == MiniLmEmbeddingGenerator.BuiltinName => miniLm.Value,
            ModelFormats.Remote => RemoteChatClient.CreateEmbeddings(new Uri(version.SourceUri!), ApiKey(version), UpstreamModel(version)),
            ModelFormats.Gguf => GgufFile(version, (path, sha) => new LlamaCppEmbeddingGenerator(models, path, sha, version.Reference)),
            _ => throw new InvalidInputException("model", $"{version.Reference} ({version.Format} {version.SourceUri}) does not serve embeddings; use a gguf, remote or builtin {MiniLmEmbeddingGenerator.BuiltinName} version."),
        };
    }

    async Task<ModelVersion> LoadAsync(VersionRef reference)
    {
        await using var session = await store.OpenAsync(write: false);
        return await session.Models.GetVersionAsync(reference.Model, reference.Version) ?? throw new NotFoundException("model version", reference.Reference);
    }

    /// <summary>The version's GGUF blob, read in place from the artifact store.</summary>
    T GgufFile<T>(ModelVersion version, Func<string, string, T> create)
    {
        var file = version.Files.FirstOrDefault(f => f.Name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) ?? version.Files[0];
        var path = artifacts.GetLocalPath(file.Sha256)
            ?? throw new Inference.InferenceException($"{version.Reference}: blob {file.Sha256} of {file.Name} is not in the artifact store.", isTransient: false);
        return create(path, file.Sha256);
    }

    static string UpstreamModel(ModelVersion version) => version.Tags.TryGetValue(UpstreamModelTag, out var m) ? m : version.ModelName;

    static string? ApiKey(ModelVersion version) => version.Tags.TryGetValue(ApiKeyEnvironmentTag, out var variable) ? Environment.GetEnvironmentVariable(variable) : null;

    public async Task<IChatClient> GetAsync(VersionRef reference, CancellationToken cancellationToken = default)
    {
        var lazy = clients.GetOrAdd(reference, r => new Lazy<Task<IChatClient>>(() => CreateAsync(r)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            clients.TryRemove(new KeyValuePair<VersionRef, Lazy<Task<IChatClient>>>(reference, lazy));
            throw;
        }
    }

    async Task<IChatClient> CreateAsync(VersionRef reference)
    {
        var version = await LoadAsync(reference);
        switch (version.Format)
        {
            case ModelFormats.Gguf:
                return GgufFile(version, (path, sha) => new LlamaCppChatClient(models, path, sha, version.Reference));
            case ModelFormats.Lora:
                var baseVersion = await LoadAsync(new VersionRef(version.Lineage.BaseModel!, version.Lineage.BaseVersion!.Value));
                var adapter = GgufFile(version, (path, sha) => new LoraFile(path, sha,
                    version.Tags.TryGetValue(LoraScaleTag, out var scale) ? float.Parse(scale, System.Globalization.CultureInfo.InvariantCulture) : 1f));
                return GgufFile(baseVersion, (path, sha) => new LlamaCppChatClient(models, path, sha, version.Reference, adapter));
            case ModelFormats.Remote:
                return RemoteChatClient.Create(new Uri(version.SourceUri!), ApiKey(version), UpstreamModel(version));
            default:
                throw new InvalidInputException("model", $"{version.Reference} is {version.Format} {version.SourceUri}; it does not serve chat (gguf and remote versions do).");
        }
    }

    public void Dispose()
    {
        foreach (var lazy in clients.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
        }
        clients.Clear();
        if (miniLm.IsValueCreated) miniLm.Value.Dispose();
    }
}
