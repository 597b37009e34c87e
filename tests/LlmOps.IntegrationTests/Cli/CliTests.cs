using System.Net.Http.Json;
using System.Text.Json;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Runs;
using LlmOps.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace LlmOps.IntegrationTests.Cli;

public sealed class CliTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>, IDisposable
{
    readonly TempFolder work = new("llmops-cli");

    string DataDir => work.PathOf("data");

    public void Dispose() => work.Dispose();

    async Task<CliProcess.Result> Llmops(params string[] args) => await CliProcess.RunAsync([.. args, "--data-dir", DataDir]);

    string ModelFile(string content = "GGUF tiny weights") => work.Write("model.gguf", content);

    async Task<string> KeyAsync(string name, Role role)
    {
        var created = await Llmops("keys", "create", "--name", name, "--role", role.ToString(), "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        return JsonDocument.Parse(created.Stdout).RootElement.GetProperty("secret").GetString()!;
    }

    [Fact]
    public async Task RegisterThenListAndShow_JsonOutputParses()
    {
        var register = await Llmops("models", "register", "tiny", "--file", ModelFile(), "--metric", "accuracy=0.91", "--tag", "task=qa", "--json");
        Assert.True(register.ExitCode == 0, register.ToString());
        var version = JsonDocument.Parse(register.Stdout).RootElement;
        Assert.Equal(1, version.GetProperty("version").GetInt32());
        Assert.Equal("model.gguf", version.GetProperty("files")[0].GetProperty("name").GetString());

        var list = await Llmops("models", "list", "--json");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal("tiny", JsonDocument.Parse(list.Stdout).RootElement[0].GetProperty("name").GetString());

        var show = await Llmops("models", "show", "tiny/1");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("accuracy=0.91", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("None", show.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteUnapprovedToProd_Exit2NamingTheRule()
    {
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "-f", ModelFile())).ExitCode);
        Assert.Equal(0, (await Llmops("models", "promote", "tiny/1", "--env", "qa")).ExitCode);
        var prod = await Llmops("models", "promote", "tiny/1", "--env", "prod");
        Assert.Equal(2, prod.ExitCode);
        Assert.Contains("prod can only point at an Approved version", prod.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", prod.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FourEyes_SameApproverRefusedOtherApproverAccepted()
    {
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "-f", ModelFile())).ExitCode);
        var first = await KeyAsync("alice", Role.Approver);
        var second = await KeyAsync("bob", Role.Approver);

        var request = await Llmops("models", "request-approval", "tiny/1", "-m", "eval passed", "--evidence", "evaluation=eval-7", "--api-key", first);
        Assert.True(request.ExitCode == 0, request.ToString());
        var self = await Llmops("models", "approve", "tiny/1", "-m", "lgtm", "--api-key", first);
        Assert.Equal(2, self.ExitCode);
        Assert.Contains("cannot also decide", self.Stderr, StringComparison.Ordinal);

        var approve = await Llmops("models", "approve", "tiny/1", "-m", "checked the eval", "--api-key", second, "--json");
        Assert.True(approve.ExitCode == 0, approve.ToString());
        Assert.Equal("Approved", JsonDocument.Parse(approve.Stdout).RootElement.GetProperty("approvalState").GetString());
        Assert.Equal(0, (await Llmops("models", "promote", "tiny/1", "--env", "prod")).ExitCode);
    }

    [Fact]
    public async Task AuditVerify_AfterRowAlteredInDatabase_Exit1NamingTheEntry()
    {
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "-f", ModelFile())).ExitCode);
        Assert.Equal(0, (await Llmops("models", "promote", "tiny/1", "--env", "dev")).ExitCode);
        var intact = await Llmops("audit", "verify");
        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.Contains("intact", intact.Stdout, StringComparison.Ordinal);

        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "llmops.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE audit_log SET after_json = '{\"version\":99}' WHERE sequence = 3";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var broken = await Llmops("audit", "verify", "--json");
        Assert.Equal(1, broken.ExitCode);
        var result = JsonDocument.Parse(broken.Stdout).RootElement;
        Assert.False(result.GetProperty("isIntact").GetBoolean());
        Assert.Equal(3, result.GetProperty("firstBrokenSequence").GetInt64());
    }

    [Fact]
    public async Task RunsCompare_TwoRuns_BestMetricAndDifferingParams()
    {
        string a, b;
        await using (var store = new SqliteStore(Path.Combine(DataDir, "llmops.db")))
        {
            await store.MigrateAsync();
            var runs = new RunTracker(store, new LlmOps.Storage.Artifacts.FileArtifactStore(Path.Combine(DataDir, "artifacts")), Actor.LocalAdmin, TimeProvider.System);
            a = (await runs.StartRunAsync(new StartRun("sft", "lr-high", Params: new Dictionary<string, string> { ["lr"] = "1e-3" }))).Id;
            b = (await runs.StartRunAsync(new StartRun("sft", "lr-low", Params: new Dictionary<string, string> { ["lr"] = "1e-4" }))).Id;
            await runs.LogMetricsAsync(a, [new("val_loss", 10, 2.0, default)]);
            await runs.LogMetricsAsync(b, [new("val_loss", 10, 1.5, default)]);
        }
        var compare = await Llmops("runs", "compare", a, b, "--json");
        Assert.True(compare.ExitCode == 0, compare.ToString());
        var metric = JsonDocument.Parse(compare.Stdout).RootElement.GetProperty("metrics")[0];
        Assert.Equal(1, metric.GetProperty("bestIndex").GetInt32());
        var table = await Llmops("runs", "compare", a, b);
        Assert.Contains("lr-low", table.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await Llmops("runs", "show", b)).ExitCode);
        Assert.Equal(2, (await Llmops("runs", "compare", a)).ExitCode);
    }

    [Theory]
    [InlineData("models", "frobnicate")]
    [InlineData("models", "promote", "tiny/1")]
    [InlineData("models", "promote", "tiny/1", "--env", "staging")]
    [InlineData("models", "show", "ghost/1")]
    [InlineData("models", "approve", "tiny", "-m", "x")]
    [InlineData("keys", "create", "--name", "x", "--role", "Overlord")]
    public async Task BadUsageOrInput_Exit2WithoutStackTrace(params string[] args)
    {
        var result = await Llmops(args);
        Assert.Equal(2, result.ExitCode);
        Assert.NotEqual("", result.Stderr.Trim());
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerMode_ListWithKey_WorksAndWrongKeyRefused()
    {
        var ok = await CliProcess.RunAsync("models", "list", "--server", server.BaseAddress.ToString(), "--api-key", server.Keys[Role.Viewer], "--json");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(ok.Stdout).RootElement.ValueKind);

        var register = await CliProcess.RunAsync("models", "register", "remote-tiny", "-f", ModelFile("remote"), "--server", server.BaseAddress.ToString(), "--api-key", server.Keys[Role.Developer], "--json");
        Assert.True(register.ExitCode == 0, register.ToString());

        var wrong = await CliProcess.RunAsync("models", "list", "--server", server.BaseAddress.ToString(), "--api-key", "llmops_abcdefghijkm_wrong");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("unknown, revoked or malformed", wrong.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerMode_Unreachable_Exit3()
    {
        var result = await CliProcess.RunAsync("models", "list", "--server", "http://127.0.0.1:9", "--api-key", "llmops_abcdefghijkm_x");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("cannot reach", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_FreshDataDir_ServesHealthAndWritesAdminKeyReadableOnlyByOwner()
    {
        var port = FreePort();
        var info = CliProcess.StartInfo("up", "--urls", $"http://127.0.0.1:{port}", "--data-dir", DataDir, "--slots", "2", "--key-rpm", "30", "--default-env", "qa");
        using var process = System.Diagnostics.Process.Start(info)!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            JsonElement? health = null;
            for (var i = 0; i < 100 && health is null; i++)
            {
                try { health = await http.GetFromJsonAsync<JsonElement>("/health"); }
                catch (HttpRequestException) { await Task.Delay(200); }
            }
            Assert.NotNull(health);
            var keyPath = Path.Combine(DataDir, "admin.key");
            var key = (await File.ReadAllTextAsync(keyPath)).Trim();
            Assert.StartsWith("llmops_", key, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/api/keys")).StatusCode);
            Assert.Equal("list", (await http.GetFromJsonAsync<JsonElement>("/v1/models")).GetProperty("object").GetString());
            Assert.Contains("# TYPE llmops:time_to_first_token_seconds histogram", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var stdout = await process.StandardOutput.ReadToEndAsync();
        Assert.Contains((await File.ReadAllTextAsync(Path.Combine(DataDir, "admin.key"))).Trim(), stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_BadGatewaySetting_Exit2NamingIt()
    {
        var result = await CliProcess.RunAsync("up", "--urls", "http://127.0.0.1:0", "--data-dir", DataDir, "--slots", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("maxConcurrentRequests", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_BadOtlpEndpoint_Exit2NamingIt()
    {
        var result = await CliProcess.RunAsync("up", "--urls", "http://127.0.0.1:0", "--data-dir", DataDir, "--otlp-endpoint", "collector:4318");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("otlp.endpoint", result.Stderr, StringComparison.Ordinal);
    }

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task DeploySetShowRollback_RevisionsAndProdRule_ExitCodes()
    {
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "--file", ModelFile("v1"))).ExitCode);
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "--file", ModelFile("v2"))).ExitCode);

        var first = await Llmops("deploy", "set", "chat", "--env", "dev", "--version", "tiny/1", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        var canary = await Llmops("deploy", "set", "chat", "--env", "dev", "--version", "tiny/1=90", "--version", "tiny/2=10", "--fallback", "tiny/1", "--json");
        Assert.True(canary.ExitCode == 0, canary.ToString());
        Assert.Equal(2, JsonDocument.Parse(canary.Stdout).RootElement.GetProperty("revision").GetInt32());

        var show = await Llmops("deploy", "show", "chat", "--env", "dev");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("tiny/2 10%", show.Stdout, StringComparison.Ordinal);

        var rollback = await Llmops("deploy", "rollback", "chat", "--env", "dev", "--json");
        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        var restored = JsonDocument.Parse(rollback.Stdout).RootElement;
        Assert.Equal(3, restored.GetProperty("revision").GetInt32());
        Assert.Equal(1, restored.GetProperty("restoredFrom").GetInt32());

        var list = await Llmops("deploy", "list", "--json");
        Assert.Equal("chat", JsonDocument.Parse(list.Stdout).RootElement[0].GetProperty("endpoint").GetString());

        var prod = await Llmops("deploy", "set", "chat", "--env", "prod", "--version", "tiny/1");
        Assert.Equal(2, prod.ExitCode);
        Assert.Contains("prod can only serve Approved versions", prod.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await Llmops("deploy", "set", "chat", "--env", "dev", "--version", "tiny/1=heavy")).ExitCode);
    }
}
