using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using LlmOps.Deployments;
using LlmOps.Evaluation;
using LlmOps.Identity;
using LlmOps.Monitoring;
using LlmOps.Registry;
using LlmOps.Server;
using LlmOps.Server.Gateway;
using LlmOps.Storage;
using LlmOps.Storage.Postgres;
using LlmOps.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace LlmOps.Benchmarks;

/// <summary>Trace store benchmarks (issue "Monitoring"):
/// <c>traces ingest sqlite|postgres [records] [connection]</c> — records/s the batched writer stores (redaction on, as the gateway asks);
/// <c>traces overhead [requests] [rounds]</c> — gateway latency in front of a stub upstream with tracing on and off, interleaved.</summary>
public static class TraceBench
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length >= 2 && args[0] == "ingest")
        {
            var records = args.Length > 2 ? int.Parse(args[2], Inv) : 200_000;
            await IngestAsync(args[1], records, args.Length > 3 ? args[3] : "Host=127.0.0.1;Username=postgres;Password=postgres");
            return 0;
        }
        if (args.Length >= 1 && args[0] == "overhead")
        {
            await OverheadAsync(args.Length > 1 ? int.Parse(args[1], Inv) : 2_000, args.Length > 2 ? int.Parse(args[2], Inv) : 5);
            return 0;
        }
        Console.Error.WriteLine("usage: traces ingest sqlite|postgres [records] [connection] | traces overhead [requests] [rounds]");
        return 2;
    }

    static TraceRecord Record(int i, DateTimeOffset at) =>
        new("chatcmpl-" + i.ToString("D10", Inv), "chat@prod", 3, "demo-chat/4", "key-" + (i % 16).ToString(Inv), "chat.completions", false, [],
            TimeSpan.FromMilliseconds(1.5), TimeSpan.FromMilliseconds(40 + i % 50), TimeSpan.FromMilliseconds(400 + i % 300), 120 + i % 40, 60 + i % 30,
            TraceStatus.Ok, null, "The capital of France is Paris. It has been the capital for a long time and is home to many museums, "
            + "including the Louvre. Write to info@example.org for the tour schedule.", at)
        {
            Prompt = "user: What is the capital of France? Please answer in one sentence and mention one museum there, thank you very much.",
            TraceId = Convert.ToHexStringLower(BitConverter.GetBytes((long)i)) + "0000000000000000",
            SpanId = Convert.ToHexStringLower(BitConverter.GetBytes((long)i)),
            Operation = "chat chat@prod",
            Service = "llmops-gateway",
            RedactPii = Environment.GetEnvironmentVariable("LLMOPS_BENCH_NO_REDACT") is null,
        };

    static async Task IngestAsync(string provider, int count, string connection)
    {
        var folder = Path.Combine(Path.GetTempPath(), "llmops-trace-bench-" + Environment.ProcessId.ToString(Inv));
        IStore store;
        string? database = null;
        if (provider == "sqlite")
        {
            store = new SqliteStore(Path.Combine(folder, "llmops.db"));
        }
        else
        {
            database = "llmops_trace_bench_" + Environment.ProcessId.ToString(Inv);
            await using (var admin = new NpgsqlConnection(connection))
            {
                await admin.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
                await create.ExecuteNonQueryAsync();
            }
            store = new PostgresStore(new NpgsqlConnectionStringBuilder(connection) { Database = database }.ToString());
        }
        // The gateway serves meanwhile (its own store, tracing on), as the issue asks: 200 requests/s (the serving benchmark's rate)
        // through a stub upstream, paced on a fixed schedule.
        await using var stub = await StubAsync();
        await using var gateway = await GatewayAsync(stub.Urls.First() + "/v1", tracing: true);
        using var serving = new CancellationTokenSource();
        var served = new List<double>();
        var load = Task.Run(async () =>
        {
            var next = Stopwatch.GetTimestamp();
            while (!serving.IsCancellationRequested)
            {
                next += Stopwatch.Frequency / 200;
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                var t = Stopwatch.GetTimestamp();
                using var response = await gateway.Client.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"gateway answered {(int)response.StatusCode}");
                served.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        });
        await Task.Delay(500);
        try
        {
            await store.MigrateAsync();
            var writer = new TraceWriter(store, new TraceStoreOptions { QueueCapacity = count, BatchSize = 2_000 }, TimeProvider.System);
            using var stop = new CancellationTokenSource();
            var loop = writer.RunAsync(stop.Token);
            var now = DateTimeOffset.UtcNow;
            var records = Enumerable.Range(0, count).Select(i => Record(i, now.AddMilliseconds(-i))).ToList();
            var enqueue = new List<double>(count);
            var started = Stopwatch.GetTimestamp();
            foreach (var record in records)
            {
                var t = Stopwatch.GetTimestamp();
                await writer.RecordAsync(record);
                enqueue.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }
            await writer.FlushAsync();
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await serving.CancelAsync();
            await load;
            await stop.CancelAsync();
            await loop;
            enqueue.Sort();
            served.Sort();
            Console.WriteLine(string.Create(Inv,
                $"traces ingest {provider}: {writer.Written} stored in {seconds:0.00} s = {writer.Written / seconds:0} records/s; dropped {writer.DroppedQueueFull + writer.DroppedWriteFailed}; "
                + $"enqueue p50 {EvalStatistics.Quantile(enqueue, 0.5):0.00} µs p99 {EvalStatistics.Quantile(enqueue, 0.99):0.00} µs; "
                + $"gateway meanwhile served {served.Count} requests (p50 {EvalStatistics.Quantile(served, 0.5):0.00} ms); load {File.ReadAllText("/proc/loadavg").Trim()}"));
        }
        finally
        {
            await store.DisposeAsync();
            if (database is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var admin = new NpgsqlConnection(connection);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    const string StubAnswer = """{"id":"chatcmpl-stub","object":"chat.completion","created":1,"model":"stub","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}""";

    const string Body = """{"model":"chat@dev","messages":[{"role":"user","content":"What is the capital of France? Mail me at jane@example.com"}],"max_tokens":1}""";

    static async Task<WebApplication> StubAsync()
    {
        var stubBuilder = WebApplication.CreateSlimBuilder();
        stubBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        stubBuilder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        var stub = stubBuilder.Build();
        stub.MapPost("/v1/chat/completions", () => Results.Text(StubAnswer, "application/json"));
        await stub.StartAsync();
        return stub;
    }

    static async Task OverheadAsync(int requests, int rounds)
    {
        await using var stub = await StubAsync();
        var upstream = stub.Urls.First() + "/v1";

        await using var on = await GatewayAsync(upstream, tracing: true);
        await using var off = await GatewayAsync(upstream, tracing: false);
        var latencies = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var gateway in round % 2 == 0 ? new[] { on, off } : [off, on])
            {
                for (var i = 0; i < requests; i++)
                {
                    var t = Stopwatch.GetTimestamp();
                    using var response = await gateway.Client.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
                    await response.Content.ReadAsByteArrayAsync();
                    var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"gateway answered {(int)response.StatusCode}");
                    if (round > 0) latencies[gateway.Tracing].Add(ms); // round 0 warms up both
                }
            }
        }
        await on.Services.GetRequiredService<ITraceQuery>().FlushAsync();
        var stored = on.Services.GetRequiredService<TraceWriter>().Written;
        foreach (var list in latencies.Values) list.Sort();
        double P(bool tracing, double q) => EvalStatistics.Quantile(latencies[tracing], q);
        Console.WriteLine(string.Create(Inv,
            $"traces overhead: {latencies[true].Count} requests each, sequential; tracing off p50 {P(false, 0.5):0.000} ms p99 {P(false, 0.99):0.000} ms; "
            + $"tracing on p50 {P(true, 0.5):0.000} ms p99 {P(true, 0.99):0.000} ms; added p50 {P(true, 0.5) - P(false, 0.5):0.000} ms p99 {P(true, 0.99) - P(false, 0.99):0.000} ms; "
            + $"traces stored {stored}; load {File.ReadAllText("/proc/loadavg").Trim()}"));
    }

    sealed class Gateway(WebApplication app, HttpClient client, bool tracing, string folder) : IAsyncDisposable
    {
        public HttpClient Client { get; } = client;
        public bool Tracing { get; } = tracing;
        public IServiceProvider Services => app.Services;

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    static async Task<Gateway> GatewayAsync(string upstream, bool tracing)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"llmops-trace-overhead-{Environment.ProcessId}-{tracing}");
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", Quiet = true, Workers = 0 };
        options.Storage.DataDir = folder;
        options.Traces.Enabled = tracing;
        var app = LlmOpsServer.Build(options);
        var admin = await app.PrepareAsync() ?? throw new InvalidOperationException("no admin key");
        await app.StartAsync();
        var store = app.Services.GetRequiredService<IStore>();
        var registry = new ModelRegistry(store, app.Services.GetRequiredService<LlmOps.Artifacts.IArtifactStore>(), Actor.LocalAdmin, TimeProvider.System);
        var version = await registry.RegisterVersionAsync(new RegisterVersion("stub", ModelFormats.Remote, SourceUri: upstream,
            Tags: new Dictionary<string, string> { [ChatRuntimes.UpstreamModelTag] = "stub" }));
        await new DeploymentService(store, Actor.LocalAdmin, TimeProvider.System).SetAsync("dev", "chat", new DeploymentSpec([new WeightedVersion("stub", version.Version)]));
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin.Secret);
        return new Gateway(app, client, tracing, folder);
    }
}
