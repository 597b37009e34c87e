using LlmOps.Artifacts;
using LlmOps.Evaluation;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Inference.Remote;
using LlmOps.Registry;

namespace LlmOps.Inference.Evaluation;

/// <summary>Turns a suite's provider into something to call: a registry reference (<c>name/3</c>, <c>name@qa</c>) whose GGUF file
/// comes out of the artifact store (a <c>lora</c> version: its adapter GGUF over the gguf base version of its lineage, as the
/// gateway serves it), a local <c>.gguf</c> path, or <c>openai:MODEL</c> at <c>config.url</c> with the key in the
/// environment variable <c>config.api_key_env</c>. The version it reports keys the response cache: the file's SHA-256 for models,
/// the endpoint and model name for remote ones.</summary>
public sealed class EvalTargetResolver(LlamaModelCache cache, IModelRegistry? registry = null, IArtifactStore? artifacts = null, string? modelFolder = null)
{
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<Microsoft.Extensions.AI.IChatClient, EvalModelFiles> files = new();

    /// <summary>The GGUF file, its SHA-256 and any LoRA adapter behind a client this resolver made; null for remote ones.</summary>
    public EvalModelFiles? ModelFileOf(Microsoft.Extensions.AI.IChatClient client) =>
        files.TryGetValue(client, out var file) ? file : null;

    LlamaCppChatClient Local(string path, string sha, string name, LoraFile? lora = null)
    {
        var client = new LlamaCppChatClient(cache, path, sha, name, lora);
        files.AddOrUpdate(client, new EvalModelFiles(path, sha, lora));
        return client;
    }

    public async Task<EvalTarget> ResolveAsync(ProviderSpec provider, string baseDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var pricing = TokenPricing.From(provider); // checked before any model is loaded
        return await ResolveClientAsync(provider, baseDirectory, cancellationToken) with { Pricing = pricing };
    }

    async Task<EvalTarget> ResolveClientAsync(ProviderSpec provider, string baseDirectory, CancellationToken cancellationToken)
    {
        var id = provider.Id;
        if (id.StartsWith("openai:", StringComparison.Ordinal)) return Remote(provider);
        var path = id.StartsWith("file://", StringComparison.Ordinal) ? id["file://".Length..] : id.StartsWith("gguf:", StringComparison.Ordinal) ? id["gguf:".Length..] : id;
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            var full = Path.GetFullPath(Path.Combine(baseDirectory, path));
            if (!File.Exists(full)) throw new NotFoundException("model file", full);
            var sha = await LlamaModelCache.HashFileAsync(full, cancellationToken);
            return new EvalTarget(provider.DisplayName, $"gguf:{sha}", Local(full, sha, provider.DisplayName));
        }
        return await FromRegistryAsync(provider, cancellationToken);
    }

    async Task<EvalTarget> FromRegistryAsync(ProviderSpec provider, CancellationToken cancellationToken)
    {
        if (registry is null || artifacts is null || modelFolder is null)
            throw new InvalidInputException("providers", $"'{provider.Id}' is a registry reference; that needs a local data directory.");
        var version = await registry.ResolveAsync(provider.Id, cancellationToken);
        var name = provider.Label ?? version.Reference;
        if (version.Format == ModelFormats.Lora)
        {
            var baseVersion = version.Lineage is { BaseModel: { } baseModel, BaseVersion: { } baseNumber }
                ? await registry.GetVersionAsync(baseModel, baseNumber, cancellationToken)
                : null;
            if (baseVersion?.Format != ModelFormats.Gguf)
                throw new InvalidInputException("providers", $"{version.Reference} is a LoRA adapter; it is evaluated over the gguf base version in its lineage, and it has none.");
            var (adapterPath, adapterFile) = await LocalCopyAsync(version, cancellationToken);
            var (basePath, baseFile) = await LocalCopyAsync(baseVersion, cancellationToken);
            var scale = version.Tags.TryGetValue(LoraFile.ScaleTag, out var s) ? float.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 1f;
            return new EvalTarget(name, $"{version.Reference}:{baseFile.Sha256}+{adapterFile.Sha256}",
                Local(basePath, baseFile.Sha256, version.Reference, new LoraFile(adapterPath, adapterFile.Sha256, scale)));
        }
        if (version.Format != ModelFormats.Gguf)
            throw new InvalidInputException("providers", $"{version.Reference} is {version.Format}; evaluation runs gguf and lora versions (or a remote one as openai:MODEL).");
        var (path, file) = await LocalCopyAsync(version, cancellationToken);
        return new EvalTarget(name, $"{version.Reference}:{file.Sha256}", Local(path, file.Sha256, version.Reference));
    }

    /// <summary>The version's GGUF blob as a file in the model folder, copied out of the artifact store once.</summary>
    async Task<(string Path, ArtifactFile File)> LocalCopyAsync(ModelVersion version, CancellationToken cancellationToken)
    {
        var file = version.Files.FirstOrDefault(f => f.Name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) ?? version.Files[0];
        var path = Path.Combine(modelFolder!, file.Sha256 + ".gguf");
        if (!File.Exists(path))
        {
            // llama.cpp maps a file: copy the blob out once (hash-checked as it streams) and reuse it.
            Directory.CreateDirectory(modelFolder!);
            var temp = $"{path}.{Guid.NewGuid():N}.part";
            try
            {
                await using (var source = artifacts!.OpenRead(file.Sha256))
                await using (var target = File.Create(temp))
                    await source.CopyToAsync(target, cancellationToken);
                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
        }
        return (path, file);
    }

    static EvalTarget Remote(ProviderSpec provider)
    {
        var model = provider.Id["openai:".Length..];
        if (model.StartsWith("chat:", StringComparison.Ordinal)) model = model["chat:".Length..]; // promptfoo's openai:chat:MODEL
        if (model.Length == 0) throw new InvalidInputException("providers", $"'{provider.Id}': name the model, openai:MODEL.");
        var url = provider.Config.GetValueOrDefault("url") ?? provider.Config.GetValueOrDefault("apiBaseUrl")
            ?? throw new InvalidInputException("providers", $"'{provider.Id}' needs config.url (the base URL ending in /v1).");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint)) throw new InvalidInputException("providers", $"'{url}' is not a URL.");
        var keyVariable = provider.Config.GetValueOrDefault("api_key_env") ?? "OPENAI_API_KEY";
        var key = Environment.GetEnvironmentVariable(keyVariable);
        return new EvalTarget(provider.DisplayName, $"openai:{endpoint}|{model}", RemoteChatClient.Create(endpoint, key, model));
    }
}

/// <summary>The files behind a llama.cpp evaluation target: the GGUF model and, for a lora version, its adapter.</summary>
public sealed record EvalModelFiles(string Path, string Sha256, LoraFile? Lora = null);
