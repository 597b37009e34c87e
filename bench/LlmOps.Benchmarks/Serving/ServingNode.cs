using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LlmOps.Server;

namespace LlmOps.Benchmarks.Serving;

/// <summary>One LlmOps server in its own process for the gateway-overhead and soak benchmarks: the harness starts this
/// program again in mode <c>serving-node</c>, so the load generator, the front and the upstream do not share a runtime,
/// thread pool or garbage collector.</summary>
/// <remarks>Roles: <c>upstream</c> is an LlmOps server whose deployment is a remote version on <see cref="StubUpstream"/>
/// (started in the same process); <c>front</c> is an LlmOps server whose deployment is a remote version on the upstream
/// LlmOps (its key passed in <see cref="UpstreamKeyVariable"/>). A front variant is a named change to the front's
/// <see cref="ServerOptions"/>: add an entry to <see cref="FrontVariants"/> and pass its name to the harness.</remarks>
internal static class ServingNode
{
    /// <summary>Environment variable the front reads its upstream's API key from (the remote version's <c>api_key_env</c> tag).</summary>
    public const string UpstreamKeyVariable = "LLMOPS_BENCH_UPSTREAM_KEY";

    /// <summary>Front configurations by name; <c>default</c> is what <c>llmops up</c> runs with.</summary>
    public static readonly IReadOnlyDictionary<string, Action<ServerOptions>> FrontVariants = new Dictionary<string, Action<ServerOptions>>(StringComparer.Ordinal)
    {
        ["default"] = _ => { },
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
            default:
                Console.Error.WriteLine("serving-node --role upstream|front [--upstream URL] [--variant NAME]");
                return 2;
        }
    }

    static async Task ServeAsync(BenchServer server, string model)
    {
        Console.WriteLine(JsonSerializer.Serialize(new NodeReady(server.BaseAddress.ToString(), server.GatewayKey, model)));
        await Console.Out.FlushAsync();
        // The harness closes our standard input to stop us (or dies, which closes it too).
        await Console.In.ReadToEndAsync();
    }

    /// <summary>What a node prints when it is ready.</summary>
    internal sealed record NodeReady(string Url, string Key, string Model);
}

/// <summary>The harness side of a <see cref="ServingNode"/>: the child process, its address, key and model.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    readonly Process process;

    NodeProcess(string name, Process process, ServingNode.NodeReady ready)
    {
        Name = name;
        this.process = process;
        Target = new LoadTarget(name, new Uri(ready.Url), ready.Key, ready.Model);
    }

    public string Name { get; }
    public int Pid => process.Id;
    public LoadTarget Target { get; }

    /// <summary>CPU time the process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    public long ResidentBytes => ResidentMemory.Of(process.Id);

    /// <summary>Starts this program in mode <c>serving-node</c> and waits for its ready line.</summary>
    public static async Task<NodeProcess> StartAsync(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Run as `dotnet LlmOps.Benchmarks.dll …` or as the apphost: start the child the same way.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(NodeProcess).Assembly.Location);
        start.ArgumentList.Add("serving-node");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a serving node");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Console.Error.WriteLine($"[{name}] {e.Data}");
        };
        process.BeginErrorReadLine();
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
        if (line is null || JsonSerializer.Deserialize<ServingNode.NodeReady>(line) is not { } ready)
        {
            await process.WaitForExitAsync();
            var code = process.ExitCode;
            process.Dispose();
            throw new InvalidOperationException($"serving node {name} exited ({code}) before it was ready");
        }
        return new NodeProcess(name, process, ready);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.Dispose();
    }
}
