using LlmOps.Artifacts;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Server;
using LlmOps.Server.Gateway;
using LlmOps.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.Benchmarks.Serving;

/// <summary>An LlmOps server started as <c>llmops up</c> starts it (<see cref="LlmOpsServer.Build"/>, PrepareAsync, StartAsync)
/// on its own data directory, with a gateway-only key and helpers that register a version and deploy it as
/// <see cref="Endpoint"/> in dev.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    /// <summary>The deployment every benchmark sends its requests to.</summary>
    public const string Endpoint = "bench";
    public const string Model = Endpoint + "@dev";

    readonly string dataDir;

    BenchServer(WebApplication app, string dataDir, string gatewayKey)
    {
        App = app;
        this.dataDir = dataDir;
        GatewayKey = gatewayKey;
        BaseAddress = new Uri(app.Urls.First());
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public string GatewayKey { get; }

    /// <summary>Starts a server on <paramref name="url"/> (port 0: a free one) over a fresh <paramref name="dataDir"/>, which it deletes when disposed.</summary>
    public static async Task<BenchServer> StartAsync(string dataDir, string url, Action<ServerOptions>? configure = null)
    {
        var options = new ServerOptions { Urls = url, Storage = new StorageOptions { DataDir = dataDir }, Quiet = true };
        configure?.Invoke(options);
        options.Validate();
        var app = LlmOpsServer.Build(options);
        var admin = await app.PrepareAsync() ?? throw new InvalidOperationException($"{dataDir} is not a fresh data directory");
        await app.StartAsync();
        var keys = new ApiKeyService(app.Services.GetRequiredService<IStore>(), admin.Key.ToActor(), TimeProvider.System);
        var gateway = await keys.CreateAsync(new CreateApiKey("bench", Role.Viewer, ["gateway"]));
        return new BenchServer(app, dataDir, gateway.Secret);
    }

    /// <summary>Registers the GGUF file as a version and deploys it; returns the model name to ask for.</summary>
    public async Task<string> DeployGgufAsync(string path)
    {
        var artifacts = App.Services.GetRequiredService<IArtifactStore>();
        BlobInfo blob;
        await using (var file = File.OpenRead(path)) blob = await artifacts.PutAsync(file);
        var version = await Registry().RegisterVersionAsync(new RegisterVersion(Endpoint, ModelFormats.Gguf, [new ArtifactFile(Path.GetFileName(path), blob.Sha256, blob.Size)]));
        return await DeployAsync(version);
    }

    /// <summary>Registers a remote version on an OpenAI-compatible upstream (<paramref name="upstream"/> ends in <c>/v1</c>) and deploys it.</summary>
    public async Task<string> DeployRemoteAsync(Uri upstream, string upstreamModel, string? apiKeyEnvironmentVariable)
    {
        var tags = new Dictionary<string, string> { [ChatRuntimes.UpstreamModelTag] = upstreamModel };
        if (apiKeyEnvironmentVariable is not null) tags[ChatRuntimes.ApiKeyEnvironmentTag] = apiKeyEnvironmentVariable;
        var version = await Registry().RegisterVersionAsync(new RegisterVersion(Endpoint, ModelFormats.Remote, SourceUri: upstream.ToString(), Tags: tags));
        return await DeployAsync(version);
    }

    ModelRegistry Registry() => new(App.Services.GetRequiredService<IStore>(), App.Services.GetRequiredService<IArtifactStore>(), Actor.LocalAdmin, TimeProvider.System);

    async Task<string> DeployAsync(ModelVersion version)
    {
        var deployments = new DeploymentService(App.Services.GetRequiredService<IStore>(), Actor.LocalAdmin, TimeProvider.System);
        await deployments.SetAsync("dev", Endpoint, new DeploymentSpec([new WeightedVersion(version.ModelName, version.Version)]));
        return Model;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(dataDir, recursive: true); }
        catch (IOException) { /* best effort: a temp folder */ }
    }
}
