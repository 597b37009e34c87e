using System.ClientModel;
using System.ClientModel.Primitives;
using LlmOps.Artifacts;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Monitoring;
using LlmOps.Registry;
using LlmOps.Server;
using LlmOps.Server.Gateway;
using LlmOps.Storage;
using LlmOps.Tests.Inference;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;

namespace LlmOps.IntegrationTests.Gateway;

/// <summary>The real server with two tiny GGUF versions and remote versions on a fake upstream, and helpers to deploy them.</summary>
public class GatewayFixture : IAsyncLifetime
{
    readonly string folder = Path.Combine(Path.GetTempPath(), "llmops-gateway", Guid.NewGuid().ToString("N"));

    public GatewayFixture() : this(null) { }

    protected GatewayFixture(Action<ServerOptions>? configure) => Server = new ServerUnderTest(options =>
    {
        options.Gateway.RoutingSeed = 7;
        options.Gateway.LlamaCpp.Threads = 1;
        options.Gateway.LlamaCpp.MaxConcurrentRequests = 2;
        configure?.Invoke(options);
    });

    public ServerUnderTest Server { get; }
    public FakeUpstream Upstream { get; private set; } = null!;
    /// <summary>The server's trace store (the durable one the gateway writes to).</summary>
    public ITraceQuery Traces => Server.App.Services.GetRequiredService<ITraceQuery>();

    /// <summary>tiny/1 and tiny/2: two different tiny GGUF models, both Approved.</summary>
    public VersionRef Tiny1 { get; } = new("tiny", 1);
    public VersionRef Tiny2 { get; } = new("tiny", 2);

    /// <summary>Remote versions on the fake upstream, by behaviour: echo, fail, slow, drip, judge (an llm-rubric verdict).</summary>
    public Dictionary<string, VersionRef> Remote { get; } = [];

    /// <summary>tiny-lora/1: a LoRA adapter over tiny/1.</summary>
    public VersionRef TinyLora { get; } = new("tiny-lora", 1);

    /// <summary>minilm/1: the builtin all-MiniLM-L6-v2 embedding model.</summary>
    public VersionRef MiniLm { get; } = new("minilm", 1);

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        Upstream = await FakeUpstream.StartAsync();
        Directory.CreateDirectory(folder);
        var services = Server.App.Services;
        var registry = new ModelRegistry(services.GetRequiredService<IStore>(), services.GetRequiredService<IArtifactStore>(), Actor.LocalAdmin, TimeProvider.System);
        var approver = new ModelRegistry(services.GetRequiredService<IStore>(), services.GetRequiredService<IArtifactStore>(),
            new Actor("approver", "approver", Role.Approver, ["*"]), TimeProvider.System);
        for (var seed = 1; seed <= 2; seed++)
        {
            var path = Path.Combine(folder, $"tiny{seed}.gguf");
            await TinyGguf.WriteAsync(path, seed);
            await using var file = File.OpenRead(path);
            var blob = await services.GetRequiredService<IArtifactStore>().PutAsync(file);
            var version = await registry.RegisterVersionAsync(new RegisterVersion("tiny", ModelFormats.Gguf, [new ArtifactFile("tiny.gguf", blob.Sha256, blob.Size)]));
            await registry.RequestApprovalAsync("tiny", version.Version, new ApprovalDecision("tiny test model"));
            await approver.ApproveAsync("tiny", version.Version, new ApprovalDecision("fine for tests"));
        }
        await registry.RegisterVersionAsync(new RegisterVersion("minilm", ModelFormats.Builtin, SourceUri: "all-MiniLM-L6-v2"));
        var loraPath = Path.Combine(folder, "adapter.gguf");
        await TinyGguf.WriteLoraAsync(loraPath, bScale: 2.0);
        await using (var adapter = File.OpenRead(loraPath))
        {
            var blob = await services.GetRequiredService<IArtifactStore>().PutAsync(adapter);
            await registry.RegisterVersionAsync(new RegisterVersion("tiny-lora", ModelFormats.Lora, [new ArtifactFile("adapter.gguf", blob.Sha256, blob.Size)],
                Lineage: new ModelLineage("tiny", 1)));
        }
        foreach (var behaviour in new[] { "echo", "fail", "slow", "drip", "judge" })
        {
            var version = await registry.RegisterVersionAsync(new RegisterVersion($"up-{behaviour}", ModelFormats.Remote, SourceUri: Upstream.BaseAddress.ToString(),
                Tags: new Dictionary<string, string> { [ChatRuntimes.UpstreamModelTag] = behaviour }));
            Remote[behaviour] = new VersionRef(version.ModelName, version.Version);
        }
    }

    public DeploymentService Deployments => new(Server.App.Services.GetRequiredService<IStore>(), Actor.LocalAdmin, TimeProvider.System);

    /// <summary>Deploys an endpoint in dev and returns the model name to ask for.</summary>
    public async Task<string> DeployAsync(string endpoint, DeploymentSpec spec, string environment = "dev")
    {
        await Deployments.SetAsync(environment, endpoint, spec);
        return $"{endpoint}@{environment}";
    }

    public static DeploymentSpec Serve(params VersionRef[] versions) => new([.. versions.Select(v => new WeightedVersion(v.Model, v.Version))]);

    /// <summary>The official OpenAI .NET client against the gateway, without its own retries (they would hide 429s and 5xx).</summary>
    public OpenAIClient OpenAi(string? key = null, HttpClient? transport = null)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(Server.BaseAddress, "/v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(30),
        };
        if (transport is not null) options.Transport = new HttpClientPipelineTransport(transport);
        return new(new ApiKeyCredential(key ?? Server.GatewayOnlyKey), options);
    }

    public async Task<TraceRecord> WaitForTraceAsync(Func<TraceRecord, bool> match)
    {
        for (var i = 0; i < 100; i++)
        {
            await Traces.FlushAsync();
            var found = (await Traces.SearchAsync(new TraceFilter(IncludeShadow: true, Limit: TraceFilter.MaxLimit))).FirstOrDefault(match);
            if (found is not null) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException("no matching trace record within 5 s");
    }

    public async Task DisposeAsync()
    {
        await Upstream.DisposeAsync();
        await Server.DisposeAsync();
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}
