using System.Text.Json;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Monitoring;
using LlmOps.Storage.Sqlite;

namespace LlmOps.IntegrationTests.Cli;

/// <summary><c>llmops traces|feedback|prices|alerts|drift</c> as a process: on a data directory whose traces the Core writer stored,
/// and against a server.</summary>
public sealed class MonitoringCliTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>, IDisposable
{
    readonly TempFolder work = new("llmops-cli-monitoring");

    string DataDir => work.PathOf("data");

    public void Dispose() => work.Dispose();

    async Task<CliProcess.Result> Llmops(params string[] args) => await CliProcess.RunAsync([.. args, "--data-dir", DataDir]);

    async Task<JsonElement> JsonOf(params string[] args)
    {
        var result = await Llmops([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    static TraceRecord Record(int minutesAgo, string version, string status = TraceStatus.Ok, bool shadow = false, string? id = null) =>
        new(id ?? $"chatcmpl-{minutesAgo}", "chat@dev", 1, version, "key-1", "chat.completions", shadow, [], TimeSpan.FromMilliseconds(1),
            TimeSpan.FromMilliseconds(20 * minutesAgo), TimeSpan.FromMilliseconds(100 * minutesAgo), 10, 5 * minutesAgo, status,
            status == TraceStatus.Error ? "boom" : null, $"answer {minutesAgo}", DateTimeOffset.UtcNow.AddMinutes(-minutesAgo))
        { Prompt = $"question {minutesAgo}" };

    /// <summary>Six answers on chat@dev (tiny/1: 1–4 minutes ago, the one 2 minutes ago failed; tiny/2: 5–6) and a shadow copy of the newest.</summary>
    async Task WriteTracesAsync()
    {
        await using var store = new SqliteStore(Path.Combine(DataDir, "llmops.db"));
        await store.MigrateAsync();
        var writer = new TraceWriter(store, new TraceStoreOptions(), TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var loop = writer.RunAsync(stop.Token);
        for (var i = 1; i <= 6; i++) await writer.RecordAsync(Record(i, i <= 4 ? "tiny/1" : "tiny/2", i == 2 ? TraceStatus.Error : TraceStatus.Ok));
        await writer.RecordAsync(Record(1, "tiny/2", shadow: true));
        await writer.FlushAsync();
        await stop.CancelAsync();
        await loop;
        Assert.Equal(7, writer.Written);
    }

    [Fact]
    public async Task TracesFeedbackAlertsPrices_OnDataDir_ParsedOutputMatchesTheStoredTraces()
    {
        await WriteTracesAsync();

        var list = await JsonOf("traces", "list");
        Assert.Equal(["chatcmpl-1", "chatcmpl-2", "chatcmpl-3", "chatcmpl-4", "chatcmpl-5", "chatcmpl-6"], list.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.All(list.EnumerateArray(), r => Assert.False(r.GetProperty("shadow").GetBoolean()));
        Assert.Equal(7, (await JsonOf("traces", "list", "--shadow")).GetArrayLength());
        var errors = await JsonOf("traces", "list", "--status", "error", "--since", "1h");
        Assert.Equal("boom", Assert.Single(errors.EnumerateArray()).GetProperty("error").GetString());
        Assert.Equal(2, (await JsonOf("traces", "list", "--version", "tiny/2", "--limit", "5")).GetArrayLength());
        var table = await Llmops("traces", "list");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.True(table.Stdout.Contains("chatcmpl-6", StringComparison.Ordinal), table.Stdout);
        var badSince = await Llmops("traces", "list", "--since", "yesterday-ish");
        Assert.Equal(2, badSince.ExitCode);
        Assert.Contains("since", badSince.Stderr, StringComparison.Ordinal);

        var stats = (await JsonOf("traces", "stats", "--group-by", "version")).EnumerateArray().ToDictionary(s => s.GetProperty("group").GetString()!);
        Assert.Equal(["tiny/1", "tiny/2"], stats.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(4, stats["tiny/1"].GetProperty("requests").GetInt32()); // the shadow copy is not a request
        Assert.Equal(1, stats["tiny/1"].GetProperty("errors").GetInt32());
        Assert.Equal(0.25, stats["tiny/1"].GetProperty("errorRate").GetDouble(), 6);
        Assert.Equal(2, stats["tiny/2"].GetProperty("requests").GetInt32());
        Assert.Equal(55, stats["tiny/2"].GetProperty("completionTokens").GetInt64());
        Assert.Equal(599, stats["tiny/2"].GetProperty("latencyMs").GetProperty("p99").GetDouble(), 6); // 500 and 600 ms, interpolated

        var detail = await JsonOf("traces", "show", "chatcmpl-1");
        Assert.Equal(2, detail.GetProperty("records").GetArrayLength());
        Assert.Contains(detail.GetProperty("records").EnumerateArray(), r => r.GetProperty("shadow").GetBoolean() && r.GetProperty("version").GetString() == "tiny/2");

        Assert.Equal(0, (await Llmops("feedback", "add", "chatcmpl-1", "--score", "1", "--label", "helpful", "--comment", "good")).ExitCode);
        Assert.Equal(0, (await Llmops("feedback", "add", "chatcmpl-2", "--score", "0", "--label", "wrong")).ExitCode);
        var empty = await Llmops("feedback", "add", "chatcmpl-3");
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("score", empty.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await Llmops("feedback", "add", "chatcmpl-nope", "--score", "1")).ExitCode);
        var summary = Assert.Single((await JsonOf("feedback", "summary", "--deployment", "chat@dev", "--since", "1h")).EnumerateArray());
        Assert.Equal("tiny/1", summary.GetProperty("version").GetString());
        Assert.Equal(2, summary.GetProperty("count").GetInt32());
        Assert.Equal(0.5, summary.GetProperty("averageScore").GetDouble(), 6);
        Assert.Equal(1, summary.GetProperty("labels").GetProperty("helpful").GetInt32());
        Assert.Single((await JsonOf("traces", "show", "chatcmpl-1")).GetProperty("feedback").EnumerateArray());

        var badExpr = await Llmops("alerts", "set", "errors", "--expr", "error_rate >> 0.05");
        Assert.Equal(2, badExpr.ExitCode);
        Assert.Contains("expr", badExpr.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", badExpr.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await Llmops("alerts", "set", "errors", "--expr", "error_rate > 0.05", "--deployment", "chat@dev", "--window", "1h")).ExitCode);
        var ruleFile = work.Write("slow.yaml", "expr: latency_p99 > 5000\nwindow: 10m\nfor: 1m\ndescription: slow answers\n");
        Assert.Equal(0, (await Llmops("alerts", "set", "slow", "--file", ruleFile)).ExitCode);
        var alerts = (await JsonOf("alerts", "list")).EnumerateArray().ToDictionary(a => a.GetProperty("rule").GetProperty("name").GetString()!);
        Assert.Equal("error_rate > 0.05", alerts["errors"].GetProperty("rule").GetProperty("expr").GetString());
        Assert.Equal("ok", alerts["errors"].GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("slow answers", alerts["slow"].GetProperty("rule").GetProperty("description").GetString());

        // 1 error in 6 requests over the last hour: the rule with no 'for' fires at once; p99 latency (about 600 ms) stays under 5000.
        var change = Assert.Single((await JsonOf("alerts", "evaluate")).EnumerateArray());
        Assert.Equal(("errors", "ok", "firing"), (change.GetProperty("name").GetString(), change.GetProperty("from").GetString(), change.GetProperty("to").GetString()));
        var firing = (await JsonOf("alerts", "list")).EnumerateArray().Single(a => a.GetProperty("rule").GetProperty("name").GetString() == "errors");
        Assert.Equal(1 / 6.0, firing.GetProperty("status").GetProperty("value").GetDouble(), 6);
        Assert.Single((await JsonOf("alerts", "history", "errors")).EnumerateArray());
        Assert.Equal(0, (await Llmops("alerts", "remove", "slow")).ExitCode);
        Assert.Single((await JsonOf("alerts", "list")).EnumerateArray());

        Assert.Equal(0, (await Llmops("prices", "set", "tiny", "--input-per-1k", "0.5", "--output-per-1k", "1.5")).ExitCode);
        var price = Assert.Single((await JsonOf("prices", "list")).EnumerateArray());
        Assert.Equal("tiny", price.GetProperty("model").GetString());
        Assert.Equal(0.5, price.GetProperty("inputPer1K").GetDouble());
        Assert.Equal(1.5, price.GetProperty("outputPer1K").GetDouble());
        Assert.Equal(JsonValueKind.Null, price.GetProperty("perHour").ValueKind);
        var noPrice = await Llmops("prices", "set", "tiny");
        Assert.Equal(2, noPrice.ExitCode);
        Assert.Contains("inputPer1K", noPrice.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await Llmops("prices", "remove", "tiny")).ExitCode);
        Assert.Equal(0, (await JsonOf("prices", "list")).GetArrayLength());
    }

    [Fact]
    public async Task Drift_ReferenceWindowBackwards_Exit2NamingIt()
    {
        await WriteTracesAsync();
        var result = await Llmops("drift", "--deployment", "chat@dev", "--reference-since", "1h", "--reference-until", "2h");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("referenceUntil", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerMode_PricesAlertsTraces_ThroughTheApi()
    {
        string[] Remote(Role role, params string[] args) => [.. args, "--server", server.BaseAddress.ToString(), "--api-key", server.Keys[role]];

        var set = await CliProcess.RunAsync(Remote(Role.Developer, "prices", "set", "remote-tiny", "--per-hour", "2", "--json"));
        Assert.True(set.ExitCode == 0, set.ToString());
        var prices = await CliProcess.RunAsync(Remote(Role.Viewer, "prices", "list", "--json"));
        Assert.True(prices.ExitCode == 0, prices.ToString());
        Assert.Contains(JsonDocument.Parse(prices.Stdout).RootElement.EnumerateArray(), p => p.GetProperty("model").GetString() == "remote-tiny" && p.GetProperty("perHour").GetDouble() == 2);
        Assert.Equal(2, (await CliProcess.RunAsync(Remote(Role.Viewer, "prices", "set", "remote-tiny", "--per-hour", "3"))).ExitCode); // a Viewer may not

        var badExpr = await CliProcess.RunAsync(Remote(Role.Developer, "alerts", "set", "remote-errors", "--expr", "nonsense > 1"));
        Assert.Equal(2, badExpr.ExitCode);
        Assert.Contains("nonsense", badExpr.Stderr, StringComparison.Ordinal);
        var good = await CliProcess.RunAsync(Remote(Role.Developer, "alerts", "set", "remote-errors", "--expr", "error_rate > 0.5", "--window", "5m"));
        Assert.True(good.ExitCode == 0, good.ToString());
        var alerts = await CliProcess.RunAsync(Remote(Role.Viewer, "alerts", "list", "--json"));
        Assert.Contains(JsonDocument.Parse(alerts.Stdout).RootElement.EnumerateArray(), a => a.GetProperty("rule").GetProperty("name").GetString() == "remote-errors");
        Assert.Equal(0, (await CliProcess.RunAsync(Remote(Role.Developer, "alerts", "evaluate", "--json"))).ExitCode);

        var traces = await CliProcess.RunAsync(Remote(Role.Viewer, "traces", "list", "--since", "1h", "--json"));
        Assert.True(traces.ExitCode == 0, traces.ToString());
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(traces.Stdout).RootElement.ValueKind);
        var badUntil = await CliProcess.RunAsync(Remote(Role.Viewer, "traces", "stats", "--until", "not-a-time"));
        Assert.Equal(2, badUntil.ExitCode);
        Assert.Contains("until", badUntil.Stderr, StringComparison.Ordinal);
    }
}
