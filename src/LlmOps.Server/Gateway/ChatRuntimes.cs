using System.Collections.Concurrent;
using LlmOps.Artifacts;
using LlmOps.Deployments;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Inference.Remote;
using LlmOps.Registry;
using LlmOps.Storage;
using Microsoft.Extensions.AI;

namespace LlmOps.Server.Gateway;

/// <summary>The runtime of each registry version, made once: GGUF versions on the shared llama.cpp model cache
/// (their blob read in place from the artifact store), remote versions through an OpenAI-compatible client.</summary>
/// <remarks>Remote versions: <c>sourceUri</c> is the upstream base URL (ending in <c>/v1</c>); tag <c>upstream_model</c>
/// names the model there (default: the registry name); tag <c>api_key_env</c> names the environment variable holding its key.</remarks>
public sealed class ChatRuntimes(IStore store, IArtifactStore artifacts, LlamaModelCache models) : IDisposable
{
    public const string UpstreamModelTag = "upstream_model";
    public const string ApiKeyEnvironmentTag = "api_key_env";

    // Versions are immutable, so a runtime made for one never goes stale.
    readonly ConcurrentDictionary<VersionRef, Lazy<Task<IChatClient>>> clients = new();

    public LlamaModelCache Models => models;

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
        ModelVersion version;
        await using (var session = await store.OpenAsync(write: false))
        {
            version = await session.Models.GetVersionAsync(reference.Model, reference.Version) ?? throw new NotFoundException("model version", reference.Reference);
        }
        switch (version.Format)
        {
            case ModelFormats.Gguf:
                var file = version.Files.FirstOrDefault(f => f.Name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) ?? version.Files[0];
                var path = artifacts.GetLocalPath(file.Sha256)
                    ?? throw new Inference.InferenceException($"{version.Reference}: blob {file.Sha256} of {file.Name} is not in the artifact store.", isTransient: false);
                return new LlamaCppChatClient(models, path, file.Sha256, version.Reference);
            case ModelFormats.Remote:
                var upstreamModel = version.Tags.TryGetValue(UpstreamModelTag, out var m) ? m : version.ModelName;
                var key = version.Tags.TryGetValue(ApiKeyEnvironmentTag, out var variable) ? Environment.GetEnvironmentVariable(variable) : null;
                return RemoteChatClient.Create(new Uri(version.SourceUri!), key, upstreamModel);
            default:
                throw new InvalidInputException("model", $"{version.Reference} is {version.Format}; only gguf and remote versions can be served.");
        }
    }

    public void Dispose()
    {
        foreach (var lazy in clients.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
        }
        clients.Clear();
    }
}
