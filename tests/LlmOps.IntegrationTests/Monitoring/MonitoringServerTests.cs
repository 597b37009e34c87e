using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmOps.Deployments;
using LlmOps.Events;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Gateway;
using LlmOps.Pipelines;
using LlmOps.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;

namespace LlmOps.IntegrationTests.Monitoring;

/// <summary>A gateway whose alert rules are evaluated only when a test asks (POST /api/alerts/evaluate).</summary>
public sealed class MonitoredGateway() : GatewayFixture(options => options.AlertInterval = TimeSpan.FromHours(1));

/// <summary>Monitoring through the real server: online evaluation scores on traces, feedback, stats, drift on gateway traffic,
/// and an alert that fires a signed webhook and starts a pipeline.</summary>
public sealed class MonitoringServerTests(MonitoredGateway gateway) : IClassFixture<MonitoredGateway>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    HttpClient Admin => gateway.Server.Client(gateway.Server.AdminKey);

    static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, int seconds = 30) where T : class
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(100);
        }
        throw new TimeoutException($"timed out waiting for {what}");
    }

    static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task OnlineEval_SampledAnswersScoredAndScoresLandOnTheirTraces()
    {
        var spec = GatewayFixture.Serve(gateway.Remote["echo"]) with
        {
            Monitoring = new MonitoringSettings(OnlineEval: new OnlineEvalSettings(1.0,
                [new OnlineAssertion("contains", JsonValueOf("upstream")), new OnlineAssertion("not-icontains", JsonValueOf("SAYS HI"))])),
        };
        var model = await gateway.DeployAsync("judged", spec);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage($"question {i}")])).Value.Id);

        foreach (var id in ids)
        {
            var detail = await EventuallyAsync(async () =>
            {
                var body = await ReadAsync(await Admin.GetAsync($"/api/traces/{id}"), HttpStatusCode.OK);
                return body.GetProperty("scores").GetArrayLength() == 2 ? (object)body : null;
            }, $"the online scores of {id}");
            var scores = ((JsonElement)detail).GetProperty("scores").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s);
            Assert.True(scores["contains"].GetProperty("passed").GetBoolean());
            Assert.False(scores["not-icontains"].GetProperty("passed").GetBoolean()); // the echo text does say hi
            Assert.Equal(model, scores["contains"].GetProperty("deployment").GetString());
        }
        var summary = await ReadAsync(await Admin.GetAsync("/api/scores/summary?deployment=" + model), HttpStatusCode.OK);
        var contains = summary.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "contains");
        Assert.Equal(3, contains.GetProperty("count").GetInt32());
        Assert.Equal(1.0, contains.GetProperty("passRate").GetDouble());
        var metrics = await (await Admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains($"llmops:online_eval_total{{deployment=\"{model}\",version=\"{gateway.Remote["echo"].Reference}\",assertion=\"contains\",outcome=\"pass\"}} 3", metrics, StringComparison.Ordinal);

        var bad = await Admin.PutAsJsonAsync("/api/deployments/dev/judged", spec with
        {
            Monitoring = new MonitoringSettings(OnlineEval: new OnlineEvalSettings(1.5, [new OnlineAssertion("contains", JsonValueOf("x"))])),
        }, Json);
        Assert.Contains("monitoring.onlineEval.sampleRate", (await ReadAsync(bad, HttpStatusCode.BadRequest)).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlineEval_LlmRubric_GradedByTheJudgeDeployment()
    {
        await gateway.DeployAsync("judge", GatewayFixture.Serve(gateway.Remote["judge"]));
        var model = await gateway.DeployAsync("rubric-judged", GatewayFixture.Serve(gateway.Remote["echo"]) with
        {
            Monitoring = new MonitoringSettings(OnlineEval: new OnlineEvalSettings(1.0, [new OnlineAssertion("llm-rubric", JsonValueOf("answers politely"))], Judge: "judge@dev")),
        });
        var id = (await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("be nice")])).Value.Id;

        var detail = (JsonElement)await EventuallyAsync(async () =>
        {
            var body = await ReadAsync(await Admin.GetAsync($"/api/traces/{id}"), HttpStatusCode.OK);
            return body.GetProperty("scores").GetArrayLength() == 1 ? (object)body : null;
        }, "the judge's score");
        var score = detail.GetProperty("scores")[0];
        Assert.Equal("llm-rubric", score.GetProperty("name").GetString());
        Assert.Equal(0.8, score.GetProperty("score").GetDouble(), 6);
        Assert.True(score.GetProperty("passed").GetBoolean());
        Assert.Contains("polite", score.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var noJudge = await Admin.PutAsJsonAsync("/api/deployments/dev/rubric-judged", GatewayFixture.Serve(gateway.Remote["echo"]) with
        {
            Monitoring = new MonitoringSettings(OnlineEval: new OnlineEvalSettings(1.0, [new OnlineAssertion("llm-rubric", JsonValueOf("answers politely"))])),
        }, Json);
        Assert.Contains("monitoring.onlineEval.judge", (await ReadAsync(noJudge, HttpStatusCode.BadRequest)).ToString(), StringComparison.Ordinal);
    }

    static System.Text.Json.Nodes.JsonNode JsonValueOf(string text) => System.Text.Json.Nodes.JsonValue.Create(text);

    [Fact]
    public async Task Feedback_OnATrace_AggregatesPerVersion_UnknownIdIs404_BadBodyIs400()
    {
        var model = await gateway.DeployAsync("rated", GatewayFixture.Serve(gateway.Remote["echo"]));
        var id = (await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("rate me, mail me at bob@example.com")])).Value.Id;
        var viewer = gateway.Server.Client(gateway.Server.Keys[Role.Viewer]);

        await ReadAsync(await viewer.PostAsJsonAsync($"/api/traces/{id}/feedback", new { score = 1, label = "helpful" }), HttpStatusCode.Created);
        await ReadAsync(await viewer.PostAsJsonAsync($"/api/traces/{id}/feedback", new { score = 0, comment = "too short" }), HttpStatusCode.Created);
        var missing = await ReadAsync(await viewer.PostAsJsonAsync("/api/traces/chatcmpl-nope/feedback", new { score = 1 }), HttpStatusCode.NotFound);
        Assert.Contains("chatcmpl-nope", missing.ToString(), StringComparison.Ordinal);
        var empty = await ReadAsync(await viewer.PostAsJsonAsync($"/api/traces/{id}/feedback", new { }), HttpStatusCode.BadRequest);
        Assert.Contains("score", empty.ToString(), StringComparison.Ordinal);

        var summary = await ReadAsync(await viewer.GetAsync($"/api/feedback/summary?deployment={model}"), HttpStatusCode.OK);
        var row = Assert.Single(summary.EnumerateArray());
        Assert.Equal(2, row.GetProperty("count").GetInt32());
        Assert.Equal(0.5, row.GetProperty("averageScore").GetDouble());
        var trace = await ReadAsync(await viewer.GetAsync($"/api/traces/{id}"), HttpStatusCode.OK);
        var record = trace.GetProperty("records")[0];
        Assert.DoesNotContain("bob@example.com", record.GetProperty("prompt").GetString(), StringComparison.Ordinal); // redacted by default
        Assert.Equal(FakeUpstream.EchoText, record.GetProperty("completion").GetString());

        var stats = await ReadAsync(await viewer.GetAsync($"/api/traces/stats?deployment={model}&since=1h&groupBy=version"), HttpStatusCode.OK);
        Assert.Equal(1, Assert.Single(stats.EnumerateArray()).GetProperty("requests").GetInt32());
        var badSince = await ReadAsync(await viewer.GetAsync("/api/traces?since=yesterday-ish"), HttpStatusCode.BadRequest);
        Assert.Contains("since", badSince.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_OnGatewayTraffic_TopicShiftDetectedAgainstTheReferenceWindow()
    {
        var model = await gateway.DeployAsync("drifting", GatewayFixture.Serve(gateway.Remote["echo"]));
        var chat = gateway.OpenAi().GetChatClient(model);
        string[] dishes = ["pasta", "risotto", "soup", "bread", "curry", "salad", "stew", "pancakes"];
        string[] network = ["TCP handshake", "DNS lookup", "BGP route", "TLS certificate", "subnet mask", "VLAN tag", "MTU size", "NAT table"];
        var start = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var i = 0; i < 60; i++) await chat.CompleteChatAsync([new UserChatMessage($"How long should I cook the {dishes[i % dishes.Length]} for dinner number {i}?")]);
        await Task.Delay(20);
        var middle = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        for (var i = 0; i < 60; i++) await chat.CompleteChatAsync([new UserChatMessage($"Why does my {network[i % network.Length]} fail on router {i} after the firmware upgrade?")]);
        await gateway.Traces.FlushAsync();

        var url = $"/api/drift?deployment={model}&referenceSince={Uri.EscapeDataString(start.ToString("O"))}&referenceUntil={Uri.EscapeDataString(middle.ToString("O"))}&since={Uri.EscapeDataString(middle.ToString("O"))}";
        var report = await ReadAsync(await Admin.GetAsync(url), HttpStatusCode.OK);
        Assert.True(report.GetProperty("drifted").GetBoolean(), report.ToString());
        Assert.Equal(60, report.GetProperty("referenceCount").GetInt32());
        var drifted = report.GetProperty("driftedFeatures").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("embedding_centroid", drifted);
        Assert.Contains("prompt_tokens", drifted);
        Assert.DoesNotContain("refusal_rate", drifted); // the echo answer never changed

        var same = await ReadAsync(await Admin.GetAsync($"/api/drift?deployment={model}&referenceSince={Uri.EscapeDataString(start.ToString("O"))}&referenceUntil={Uri.EscapeDataString(middle.ToString("O"))}&since={Uri.EscapeDataString(start.ToString("O"))}&until={Uri.EscapeDataString(middle.ToString("O"))}"), HttpStatusCode.OK);
        Assert.False(same.GetProperty("drifted").GetBoolean());
        // The reference can be an evaluation run instead: its rendered prompts and the candidate's outputs (here a QA run on cooking questions).
        var store = gateway.Server.App.Services.GetRequiredService<LlmOps.Storage.IStore>();
        await using (var session = await store.OpenAsync(write: true))
        {
            var runId = "qa-cooking-" + Guid.NewGuid().ToString("N")[..8];
            await session.Evals.InsertRunAsync(new LlmOps.Evaluation.EvalRunRecord(runId, "qa.yaml", new string('0', 64), "drifting@qa", "up-echo/1", null, null, true, 60, 60, "{}",
                DateTimeOffset.UtcNow, 1, "test"), [.. Enumerable.Range(0, 60).Select(i => new LlmOps.Evaluation.EvalCaseRecord(runId, "candidate", i, "p", i, $"t{i}", 0, true, 1,
                    FakeUpstream.EchoText, null, 5, "[]", $"How long should I cook the {dishes[i % dishes.Length]} for lunch number {i}?"))]);
            await session.CommitAsync();
            var fromEval = await ReadAsync(await Admin.GetAsync($"/api/drift?deployment={model}&referenceEvalRun={runId}&since={Uri.EscapeDataString(middle.ToString("O"))}"), HttpStatusCode.OK);
            Assert.True(fromEval.GetProperty("drifted").GetBoolean(), fromEval.ToString());
            var againstCooking = await ReadAsync(await Admin.GetAsync($"/api/drift?deployment={model}&referenceEvalRun={runId}&since={Uri.EscapeDataString(start.ToString("O"))}&until={Uri.EscapeDataString(middle.ToString("O"))}"), HttpStatusCode.OK);
            Assert.DoesNotContain("embedding_centroid", againstCooking.GetProperty("driftedFeatures").EnumerateArray().Select(f => f.GetString()));
        }
        await ReadAsync(await Admin.GetAsync($"/api/drift?deployment={model}&referenceEvalRun=no-such-run"), HttpStatusCode.NotFound);

        var tooFew = await ReadAsync(await Admin.GetAsync($"/api/drift?deployment={model}&referenceSince=1m&referenceUntil={Uri.EscapeDataString(start.ToString("O"))}"), HttpStatusCode.BadRequest);
        Assert.Contains("reference", tooFew.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alert_ErrorRateAboveThreshold_FiresSignedWebhookStartsPipelineAndIsRecorded()
    {
        var received = new ConcurrentQueue<(string Body, string Signature, string Event)>();
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls("http://127.0.0.1:0");
        await using var hook = receiver.Build();
        hook.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            received.Enqueue((await reader.ReadToEndAsync(), request.Headers["X-LlmOps-Signature"].ToString(), request.Headers["X-LlmOps-Event"].ToString()));
            return Results.Ok();
        });
        await hook.StartAsync();
        var services = gateway.Server.App.Services;
        var developer = new Actor("alert-dev", "alert developer", Role.Developer, ["*"]);
        await new WebhookService(services.GetRequiredService<LlmOps.Storage.IStore>(), Actor.LocalAdmin, TimeProvider.System)
            .CreateAsync(new CreateWebhook($"{hook.Urls.First()}/hook", ["alert.fire"], "alert-secret"));
        var engine = services.GetRequiredService<PipelineEngine>();
        await engine.RegisterAsync(PipelineParser.Parse("""
            name: retrain-on-alert
            triggers: [{ alert: flaky-errors }]
            steps:
              - { id: retrain, type: shell, with: { command: "true" } }
            """), developer);

        var model = await gateway.DeployAsync("flaky", GatewayFixture.Serve(gateway.Remote["fail"]));
        for (var i = 0; i < 3; i++)
            await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]));
        await gateway.Traces.FlushAsync();

        var invalid = await ReadAsync(await Admin.PutAsJsonAsync("/api/alerts/flaky-errors", new { expr = "error_rate >> 0.5" }), HttpStatusCode.BadRequest);
        Assert.Contains("expr", invalid.ToString(), StringComparison.Ordinal);
        await ReadAsync(await Admin.PutAsJsonAsync("/api/alerts/flaky-errors", new { expr = "error_rate > 0.5", deployment = model, window = "10m", @for = "0s" }), HttpStatusCode.OK);
        await ReadAsync(await Admin.PutAsJsonAsync("/api/alerts/flaky-slow-burn", new { expr = "error_rate > 0.5", deployment = model, window = "10m", @for = "1h" }), HttpStatusCode.OK);

        var changes = await ReadAsync(await Admin.PostAsync("/api/alerts/evaluate", null), HttpStatusCode.OK);
        var fired = changes.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "flaky-errors");
        Assert.Equal("firing", fired.GetProperty("to").GetString());
        Assert.Equal(1.0, fired.GetProperty("value").GetDouble());
        var slow = await ReadAsync(await Admin.GetAsync("/api/alerts/flaky-slow-burn"), HttpStatusCode.OK);
        Assert.Equal("pending", slow.GetProperty("status").GetProperty("state").GetString()); // holds, but not yet for an hour

        var delivery = await EventuallyAsync(() => Task.FromResult<object?>(received.FirstOrDefault(r => r.Body.Contains("flaky-errors", StringComparison.Ordinal)) is { Body.Length: > 0 } d ? d : null), "the alert webhook", 60);
        var (body, signature, @event) = ((string, string, string))delivery;
        Assert.Equal("alert.fire", @event);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("alert-secret"), Encoding.UTF8.GetBytes(body))), signature);
        var run = await EventuallyAsync(async () => (await engine.ListAsync("retrain-on-alert", developer)).FirstOrDefault(r => r.IsFinished), "the triggered pipeline", 60);
        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        Assert.Equal("alert:flaky-errors", run.Trigger.Split('#')[0]);

        var history = await ReadAsync(await Admin.GetAsync("/api/alerts/flaky-errors/events"), HttpStatusCode.OK);
        Assert.Equal("ok", history[0].GetProperty("from").GetString());
        var metrics = await (await Admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("llmops:alert_state{rule=\"flaky-errors\"} 2", metrics, StringComparison.Ordinal);

        // Healthy traffic only from now on: the next evaluation over a window without errors resolves it.
        await ReadAsync(await Admin.PutAsJsonAsync("/api/alerts/flaky-errors", new { expr = "error_rate > 0.5", deployment = model, window = "1s", @for = "0s" }), HttpStatusCode.OK);
        await Task.Delay(1100);
        var resolved = await ReadAsync(await Admin.PostAsync("/api/alerts/evaluate", null), HttpStatusCode.OK);
        Assert.Equal("ok", resolved.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "flaky-errors").GetProperty("to").GetString());
    }
}
