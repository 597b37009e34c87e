using System.Globalization;
using System.Text.Json;
using LlmOps.Server;

namespace LlmOps.Benchmarks.Serving;

/// <summary>One LlmOps server in its own process for the gateway-overhead and soak benchmarks: the harness starts this
/// program again in mode <c>serving-node</c>, so the load generator, the front and the upstream do not share a runtime,
/// thread pool or garbage collector.</summary>
/// <remarks>Roles: <c>upstream</c> is an LlmOps server whose deployment is a remote version on <see cref="StubUpstream"/>
/// (started in the same process); <c>front</c> is an LlmOps server whose deployment is a remote version on the upstream
/// LlmOps (its key passed in <see cref="UpstreamKeyVariable"/>); <c>gguf</c> is an LlmOps server whose deployment is a
/// registered gguf version of <c>--model</c>, served by llama.cpp with <c>--threads</c> and <c>--slots</c>. A front variant is a named change to the front's
/// <see cref="ServerOptions"/>: add an entry to <see cref="FrontVariants"/> and pass its name to the harness.</remarks>
internal static class ServingNode
{
    /// <summary>Environment variable the front reads its upstream's API key from (the remote version's <c>api_key_env</c> tag).</summary>
    public const string UpstreamKeyVariable = "LLMOPS_BENCH_UPSTREAM_KEY";

    /// <summary>Front configurations by name; <c>default</c> is what <c>llmops up</c> runs with.</summary>
    public static readonly IReadOnlyDictionary<string, Action<ServerOptions>> FrontVariants = new Dictionary<string, Action<ServerOptions>>(StringComparer.Ordinal)
    {
        ["default"] = _ => { },
        // Issue "Monitoring": the trace store off, the side-by-side baseline for what tracing adds.
        ["notraces"] = options => options.Traces.Enabled = false,
    };

    /// <summary>The child side: starts the node, prints one JSON line (url, key, model), serves until its standard input closes.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var role = BenchArgs.Text(args, "--role", "");
        var dataDir = Path.Combine(Path.GetTempPath(), $"llmops-serving-node-{role}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        switch (role)
        {
            case "upstream":
            {
                var (stub, stubAddress) = await StubUpstream.StartAsync();
                await using (stub)
                {
                    await using var server = await BenchServer.StartAsync(dataDir, "http://127.0.0.1:0");
                    var model = await server.DeployRemoteAsync(stubAddress, "stub", apiKeyEnvironmentVariable: null);
                    await ServeAsync(server, model);
                }
                return 0;
            }
            case "front":
            {
                var variant = BenchArgs.Text(args, "--variant", "default");
                if (!FrontVariants.TryGetValue(variant, out var configure)) throw new ArgumentException($"unknown front variant '{variant}'; known: {string.Join(", ", FrontVariants.Keys)}");
                var upstream = new Uri(BenchArgs.Text(args, "--upstream", ""));
                await using var server = await BenchServer.StartAsync(dataDir, "http://127.0.0.1:0", configure);
                var model = await server.DeployRemoteAsync(new Uri(upstream, "v1"), BenchServer.Model, UpstreamKeyVariable);
                await ServeAsync(server, model);
                return 0;
            }
            case "gguf":
            {
                var threads = BenchArgs.Value(args, "--threads", Environment.ProcessorCount);
                var slots = BenchArgs.Value(args, "--slots", new Inference.LlamaCpp.LlamaCppOptions().MaxConcurrentRequests);
                await using var server = await BenchServer.StartAsync(dataDir, "http://127.0.0.1:0", options =>
                {
                    options.Gateway.LlamaCpp.Threads = threads;
                    options.Gateway.LlamaCpp.MaxConcurrentRequests = slots;
                });
                var model = await server.DeployGgufAsync(BenchArgs.Text(args, "--model", ""));
                await ServeAsync(server, model);
                return 0;
            }
            default:
                Console.Error.WriteLine("serving-node --role upstream|front|gguf [--upstream URL] [--variant NAME] [--model PATH --threads T --slots S]");
                return 2;
        }
    }

    static async Task ServeAsync(BenchServer server, string model)
    {
        Console.WriteLine(JsonSerializer.Serialize(new NodeReady(server.BaseAddress.ToString(), server.GatewayKey, model)));
        await Console.Out.FlushAsync();
        // Commands, one a line: "memory" answers with the managed heap figures. The harness closes our standard input
        // to stop us (or dies, which closes it too).
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line != "memory") throw new InvalidOperationException($"unknown command '{line}'");
            var gc = GC.GetGCMemoryInfo();
            Console.WriteLine(JsonSerializer.Serialize(new NodeMemory(GC.GetTotalMemory(forceFullCollection: false), gc.HeapSizeBytes, gc.TotalCommittedBytes,
                GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), Environment.ProcessId)));
            await Console.Out.FlushAsync();
        }
    }

    /// <summary>What a node prints when it is ready.</summary>
    internal sealed record NodeReady(string Url, string Key, string Model);

    /// <summary>A node's managed memory: allocated bytes now, heap size and committed bytes at the last collection, collections per generation.</summary>
    internal sealed record NodeMemory(long AllocatedBytes, long HeapSizeBytes, long CommittedBytes, int Gen0, int Gen1, int Gen2, int Pid);
}

/// <summary>A running <see cref="ServingNode"/>: its process and where to send requests.</summary>
internal sealed class GatewayNode : IAsyncDisposable
{
    GatewayNode(BenchProcess process, LoadTarget target)
    {
        Process = process;
        Target = target;
    }

    public string Name => Process.Name;
    public BenchProcess Process { get; }
    public LoadTarget Target { get; }

    public static async Task<GatewayNode> StartAsync(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = await BenchProcess.StartAsync(name, "serving-node", arguments, environment);
        var ready = JsonSerializer.Deserialize<ServingNode.NodeReady>(process.ReadyLine);
        if (ready is null)
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"{name} printed no address: {process.ReadyLine}");
        }
        return new GatewayNode(process, new LoadTarget(name, new Uri(ready.Url), ready.Key, ready.Model));
    }

    /// <summary>The node's managed heap figures, asked over its standard input.</summary>
    public async Task<ServingNode.NodeMemory> MemoryAsync() =>
        JsonSerializer.Deserialize<ServingNode.NodeMemory>(await Process.AskAsync("memory")) ?? throw new InvalidOperationException($"{Name} sent no memory figures");

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
