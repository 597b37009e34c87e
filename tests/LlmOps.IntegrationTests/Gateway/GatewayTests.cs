using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmOps.Deployments;
using LlmOps.Monitoring;
using LlmOps.Server.Gateway;
using LlmOps.Tests.Inference;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;

namespace LlmOps.IntegrationTests.Gateway;

/// <summary>The OpenAI-compatible gateway driven by the official OpenAI .NET client: real llama.cpp on tiny GGUF models,
/// remote versions on a fake upstream.</summary>
public sealed class GatewayTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    static ChatCompletionOptions Short(int tokens = 4) => new() { MaxOutputTokenCount = tokens, Temperature = 0 };

    [Fact]
    public async Task ChatCompletion_TinyGguf_TextUsageAndVersionHeader()
    {
        var model = await gateway.DeployAsync("chat", GatewayFixture.Serve(gateway.Tiny1));
        var client = gateway.OpenAi().GetChatClient(model);

        var result = await client.CompleteChatAsync([new UserChatMessage("hello there")], Short());
        var completion = result.Value;

        Assert.Equal(model, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 4);
        Assert.True(completion.Usage.InputTokenCount > 3);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.Equal("tiny/1", result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var version) ? version : null);
        var trace = await gateway.WaitForTraceAsync(t => t.Id == completion.Id);
        Assert.Equal("chat@dev", trace.Deployment);
        Assert.Equal(TraceStatus.Ok, trace.Status);
        Assert.Equal(completion.Usage.OutputTokenCount, trace.CompletionTokens);
        Assert.NotNull(trace.TimeToFirstToken);
        Assert.NotNull(trace.QueueTime);
    }

    [Fact]
    public async Task ChatCompletionStreaming_TinyGguf_SameTextAsWholeAndFinalUsage()
    {
        var model = await gateway.DeployAsync("stream", GatewayFixture.Serve(gateway.Tiny1));
        var client = gateway.OpenAi().GetChatClient(model);
        var whole = (await client.CompleteChatAsync([new UserChatMessage("stream me")], Short(6))).Value;

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("stream me")], Short(6)))
        {
            updates++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.True(updates >= 3, $"{updates} updates");
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.FinishReason, finish);
    }

    [Fact]
    public async Task Models_OpenAiClient_ListsEndpointAtEnvironment()
    {
        await gateway.DeployAsync("listed", GatewayFixture.Serve(gateway.Tiny1), "qa");
        var models = (await gateway.OpenAi().GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Contains(models, m => m.Id == "listed@qa" && m.OwnedBy == "llmops");
        var one = (await gateway.OpenAi().GetOpenAIModelClient().GetModelAsync("listed@qa")).Value;
        Assert.Equal("listed@qa", one.Id);
    }

    [Fact]
    public async Task BareEndpointName_ServedFromProd()
    {
        await gateway.DeployAsync("prodchat", GatewayFixture.Serve(gateway.Tiny2), "prod");
        var result = await gateway.OpenAi().GetChatClient("prodchat").CompleteChatAsync([new UserChatMessage("hi")], Short(2));
        Assert.Equal("tiny/2", result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
    }

    [Fact]
    public async Task Completions_RawPrompt_TextCompletionShape()
    {
        var model = await gateway.DeployAsync("complete", GatewayFixture.Serve(gateway.Tiny1));
        using var http = gateway.Server.Client(gateway.Server.GatewayOnlyKey);
        var response = await http.PostAsync("/v1/completions", Json(new { model, prompt = "the cat", max_tokens = 3, temperature = 0 }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("text_completion", body.RootElement.GetProperty("object").GetString());
        Assert.Equal(JsonValueKind.String, body.RootElement.GetProperty("choices")[0].GetProperty("text").ValueKind);
        Assert.InRange(body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 3);

        var stream = await http.PostAsync("/v1/completions", Json(new { model, prompt = "the cat", max_tokens = 3, stream = true }));
        var events = await stream.Content.ReadAsStringAsync();
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("data: [DONE]\n\n", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownModel_404ModelNotFound()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => gateway.OpenAi().GetChatClient("nobody@dev").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, error.Status);
        var body = ErrorBody(error);
        Assert.Equal("model_not_found", body.GetProperty("code").GetString());
        Assert.Contains("nobody", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongOrMissingKeyOrScope_401And403InOpenAiShape()
    {
        var model = await gateway.DeployAsync("guarded", GatewayFixture.Serve(gateway.Tiny1));
        var wrong = await Assert.ThrowsAsync<ClientResultException>(() => gateway.OpenAi("llmops_abcdefghijkm_wrong").GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, wrong.Status);
        Assert.Equal("invalid_api_key", ErrorBody(wrong).GetProperty("code").GetString());
        var scoped = await Assert.ThrowsAsync<ClientResultException>(() => gateway.OpenAi(gateway.Server.ModelsReadOnlyDeveloperKey).GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(403, scoped.Status);
        Assert.Contains("gateway", ErrorBody(scoped).GetProperty("message").GetString(), StringComparison.Ordinal);

        using var anonymous = gateway.Server.Client(null);
        var missing = await anonymous.PostAsync("/v1/chat/completions", Json(new { model, messages = new[] { new { role = "user", content = "hi" } } }));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("invalid_api_key", ErrorJson(await missing.Content.ReadAsStringAsync()).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("{\"model\": \"bad@staging\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "model")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"seed\": 1.5}", "seed")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [", null)]
    [InlineData("{\"model\": \"bad@dev\"}", "messages")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "messages[0].role")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 9}", "temperature")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": \"high\"}", "top_p")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", "max_tokens")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\", \"schema\": {\"type\": \"string\", \"pattern\": \"a+\"}}}}", "response_format")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": [1]}", "logit_bias")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {\"97\": 250}}", "logit_bias")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {\"cat\": 1}}", "logit_bias.cat")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {\"999999\": 1}}", "logit_bias")]
    [InlineData("{\"model\": \"bad@dev\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"ignore_eos\": \"yes\"}", "ignore_eos")]
    public async Task BadRequest_400NamingTheParameter(string body, string? param)
    {
        await gateway.DeployAsync("bad", GatewayFixture.Serve(gateway.Tiny1));
        using var http = gateway.Server.Client(gateway.Server.GatewayOnlyKey);
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = ErrorJson(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is null) Assert.Equal("invalid_json", error.GetProperty("code").GetString());
        else Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task LogitBias_ForcesOrEndsGeneration_IgnoreEosRunsToMaxTokens()
    {
        var model = await gateway.DeployAsync("bias", GatewayFixture.Serve(gateway.Tiny1));
        var client = gateway.OpenAi().GetChatClient(model);
        var forced = Short(3);
        forced.LogitBiases[97] = 100; // byte-level token 97 is "a"
        var a = (await client.CompleteChatAsync([new UserChatMessage("hi")], forced)).Value;
        Assert.Equal("aaa", a.Content[0].Text);

        var ending = Short(5);
        ending.LogitBiases[TinyGguf.EndOfTextId] = 100;
        var ended = (await client.CompleteChatAsync([new UserChatMessage("hi")], ending)).Value;
        Assert.Equal(0, ended.Usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Stop, ended.FinishReason);

        // ignore_eos (llama-server's and vLLM's extension) outweighs any bias: the generation runs to max_tokens.
        using var http = gateway.Server.Client(gateway.Server.GatewayOnlyKey);
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(
            $$$"""{"model": "{{{model}}}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "temperature": 0, "ignore_eos": true, "logit_bias": {"{{{TinyGguf.EndOfTextId}}}": 100}}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(5, body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", body.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task LogitBias_ForwardedToRemoteUpstream()
    {
        var model = await gateway.DeployAsync("biasremote", GatewayFixture.Serve(gateway.Remote["echo"]));
        var options = new ChatCompletionOptions();
        options.LogitBiases[42] = -100;
        await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")], options);
        lock (gateway.Upstream.LastLogitBias)
            Assert.Equal("""{"42":-100}""", gateway.Upstream.LastLogitBias.GetValueOrDefault("echo")?.Replace(" ", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PromptLongerThanContext_400Messages()
    {
        var model = await gateway.DeployAsync("long", GatewayFixture.Serve(gateway.Tiny1));
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage(new string('x', 500))], Short()));
        Assert.Equal(400, error.Status);
        Assert.Equal("messages", ErrorBody(error).GetProperty("param").GetString());
    }

    [Fact]
    public async Task JsonSchema_OutputAlwaysParses()
    {
        var model = await gateway.DeployAsync("json", GatewayFixture.Serve(gateway.Tiny1));
        var schema = BinaryData.FromString("""{"type":"object","properties":{"ok":{"type":"boolean"},"mood":{"enum":["calm","busy"]}}}""");
        for (var seed = 0; seed < 4; seed++)
        {
            var options = new ChatCompletionOptions
            {
                MaxOutputTokenCount = 80, Temperature = 1, ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("answer", schema),
            };
#pragma warning disable OPENAI001 // Seed is marked experimental in the client.
            options.Seed = seed;
#pragma warning restore OPENAI001
            var completion = (await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("status?")], options)).Value;
            using var parsed = JsonDocument.Parse(completion.Content[0].Text);
            Assert.Contains(parsed.RootElement.GetProperty("mood").GetString(), new[] { "calm", "busy" });
        }
    }

    [Fact]
    public async Task FailingUpstream_FallsBackAndRecordsIt()
    {
        var model = await gateway.DeployAsync("fallback", GatewayFixture.Serve(gateway.Remote["fail"]) with { Fallbacks = [gateway.Remote["echo"]] });
        var result = await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.Equal(FakeUpstream.EchoText, result.Value.Content[0].Text);
        Assert.Equal(gateway.Remote["echo"].Reference, result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
        var trace = await gateway.WaitForTraceAsync(t => t.Id == result.Value.Id);
        Assert.Equal([gateway.Remote["fail"].Reference], trace.FallbackFrom);
    }

    [Fact]
    public async Task SlowUpstream_TimeoutFallsBackToTinyGguf()
    {
        var model = await gateway.DeployAsync("timeout", GatewayFixture.Serve(gateway.Remote["slow"]) with { Fallbacks = [gateway.Tiny1], TimeoutSeconds = 0.5 });
        var started = DateTime.UtcNow;
        var result = await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")], Short(2));
        Assert.Equal("tiny/1", result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task EveryVersionFailing_502UpstreamError()
    {
        var model = await gateway.DeployAsync("broken", GatewayFixture.Serve(gateway.Remote["fail"]));
        var error = await Assert.ThrowsAsync<ClientResultException>(() => gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(502, error.Status);
        Assert.Equal("upstream_error", ErrorBody(error).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Shadow_AnswerRecordedNeverReturned()
    {
        var model = await gateway.DeployAsync("shadowed", GatewayFixture.Serve(gateway.Tiny1) with { Shadow = gateway.Remote["echo"] });
        for (var i = 0; i < 3; i++)
        {
            var result = await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")], Short(3));
            Assert.Equal("tiny/1", result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
            Assert.NotEqual(FakeUpstream.EchoText, result.Value.Content[0].Text);
            var shadow = await gateway.WaitForTraceAsync(t => t.Id == result.Value.Id && t.Shadow);
            Assert.Equal(FakeUpstream.EchoText, shadow.Completion);
            Assert.Equal(gateway.Remote["echo"].Reference, shadow.Version);
            var primary = await gateway.WaitForTraceAsync(t => t.Id == result.Value.Id && !t.Shadow);
            Assert.Equal(result.Value.Content[0].Text, primary.Completion); // the primary's own answer, the one returned
            Assert.Equal("hi", primary.Prompt);
        }
    }

    [Fact]
    public async Task Canary_RequestsSplitAcrossVersions()
    {
        var model = await gateway.DeployAsync("canary", new DeploymentSpec([new WeightedVersion(gateway.Remote["echo"].Model, 1, 50), new WeightedVersion(gateway.Tiny1.Model, 1, 50)]));
        var seen = new Dictionary<string, int>();
        for (var i = 0; i < 20; i++)
        {
            var result = await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")], Short(1));
            var version = result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v! : "";
            seen[version] = seen.GetValueOrDefault(version) + 1;
        }
        Assert.Equal(2, seen.Count);
        Assert.All(seen.Values, count => Assert.InRange(count, 3, 17));
    }

    [Fact]
    public async Task SwapDuringStream_InFlightFinishesOnOldVersion_NextOnNew()
    {
        var model = await gateway.DeployAsync("swap", GatewayFixture.Serve(gateway.Remote["drip"]));
        var client = gateway.OpenAi().GetChatClient(model);
        var text = new StringBuilder();
        var swapped = false;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            if (!swapped && text.Length > 0)
            {
                await gateway.DeployAsync("swap", GatewayFixture.Serve(gateway.Tiny2));
                swapped = true;
            }
        }
        Assert.True(swapped);
        Assert.Equal(string.Concat(Enumerable.Range(0, 10).Select(i => $"w{i} ")), text.ToString());
        var next = await client.CompleteChatAsync([new UserChatMessage("hi")], Short(1));
        Assert.Equal("tiny/2", next.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
    }

    [Fact]
    public async Task RollbackOverApi_NextRequestServedByPreviousVersion()
    {
        var model = await gateway.DeployAsync("rolled", GatewayFixture.Serve(gateway.Tiny1));
        await gateway.DeployAsync("rolled", GatewayFixture.Serve(gateway.Tiny2));
        var client = gateway.OpenAi().GetChatClient(model);
        Assert.Equal("tiny/2", (await client.CompleteChatAsync([new UserChatMessage("hi")], Short(1))).GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var a) ? a : null);

        using var http = gateway.Server.Client(gateway.Server.Keys[LlmOps.Identity.Role.Developer]);
        var rollback = await http.PostAsync("/api/deployments/dev/rolled/rollback", null);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);

        Assert.Equal("tiny/1", (await client.CompleteChatAsync([new UserChatMessage("hi")], Short(1))).GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var b) ? b : null);
    }

    [Fact]
    public async Task ClientDisconnect_CancelsGenerationAndRecordsIt()
    {
        var model = await gateway.DeployAsync("hangup", GatewayFixture.Serve(gateway.Remote["drip"]));
        using var cts = new CancellationTokenSource();
        string? id = null;
        // No response draining on dispose: the client really hangs up, as a browser tab closing would.
        using var hangingUp = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in gateway.OpenAi(transport: hangingUp).GetChatClient(model).CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: cts.Token))
            {
                id ??= update.CompletionId;
                if (update.ContentUpdate.Count > 0) await cts.CancelAsync();
            }
        });
        var trace = await gateway.WaitForTraceAsync(t => t.Id == id);
        Assert.Equal(TraceStatus.Cancelled, trace.Status);
        Assert.True(trace.CompletionTokens < 10);
    }

    [Fact]
    public async Task ClientDisconnect_TinyGguf_SequenceLeavesBatchAndSlotsFree()
    {
        var model = await gateway.DeployAsync("hangup-gguf", GatewayFixture.Serve(gateway.Tiny2));
        using var cts = new CancellationTokenSource();
        using var hangingUp = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        try
        {
            await foreach (var update in gateway.OpenAi(transport: hangingUp).GetChatClient(model)
                .CompleteChatStreamingAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 100, Temperature = 1 }, cts.Token))
            {
                if (update.ContentUpdate.Count > 0) await cts.CancelAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Expected: the client hung up.
        }
        var runtimes = gateway.Server.App.Services.GetRequiredService<ChatRuntimes>();
        var store = gateway.Server.App.Services.GetRequiredService<LlmOps.Storage.IStore>();
        string sha;
        await using (var session = await store.OpenAsync(write: false)) sha = (await session.Models.GetVersionAsync("tiny", 2))!.Files[0].Sha256;
        for (var i = 0; i < 100; i++)
        {
            var info = runtimes.Models.Loaded.Single(m => m.Sha256 == sha);
            if (info.ActiveLeases == 0) break;
            await Task.Delay(20);
        }
        using var lease = await runtimes.Models.AcquireAsync(runtimes.Models.Loaded.Single(m => m.Sha256 == sha).Path, sha);
        Assert.Equal(2, lease.Model.Slots.CurrentCount);
        // The sequence leaves at the scheduler's next step.
        for (var i = 0; i < 100 && lease.Model.BatchedSequences > 0; i++) await Task.Delay(20);
        Assert.Equal(0, lease.Model.BatchedSequences);
    }

    [Fact]
    public async Task Metrics_VllmStyleNamesLabelledByDeploymentAndVersion()
    {
        var model = await gateway.DeployAsync("measured", GatewayFixture.Serve(gateway.Tiny1));
        await gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")], Short(2));
        using var http = gateway.Server.Client(null);
        var text = await http.GetStringAsync("/metrics");
        foreach (var name in new[] { "llmops:time_to_first_token_seconds_bucket", "llmops:e2e_request_latency_seconds_count", "llmops:prompt_tokens_total", "llmops:generation_tokens_total", "llmops:num_requests_running", "llmops:num_requests_waiting" })
            Assert.Contains($"{name}{{deployment=\"measured@dev\",version=\"tiny/1\"", text, StringComparison.Ordinal);
        Assert.Matches("llmops:loaded_model_bytes [1-9]", text);
    }

    [Fact]
    public async Task LoraVersion_ServedOverSharedBase_AnswersDiffer()
    {
        var plain = await gateway.DeployAsync("base", GatewayFixture.Serve(gateway.Tiny1));
        var adapted = await gateway.DeployAsync("adapted", GatewayFixture.Serve(gateway.TinyLora));
        var options = Short(12);
        var a = await gateway.OpenAi().GetChatClient(plain).CompleteChatAsync([new UserChatMessage("hello there")], options);
        var b = await gateway.OpenAi().GetChatClient(adapted).CompleteChatAsync([new UserChatMessage("hello there")], options);
        Assert.Equal("tiny-lora/1", b.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
        Assert.NotEqual(a.Value.Content[0].Text, b.Value.Content[0].Text);
    }

    [Fact]
    public async Task SharedModel_TwoDeploymentsOneLoadedCopy()
    {
        var a = await gateway.DeployAsync("share-a", GatewayFixture.Serve(gateway.Tiny1));
        var b = await gateway.DeployAsync("share-b", GatewayFixture.Serve(gateway.Tiny1), "qa");
        await gateway.OpenAi().GetChatClient(a).CompleteChatAsync([new UserChatMessage("hi")], Short(1));
        await gateway.OpenAi().GetChatClient(b).CompleteChatAsync([new UserChatMessage("hi")], Short(1));
        var tiny1 = await gateway.Server.App.Services.GetRequiredService<LlmOps.Storage.IStore>().OpenAsync(write: false);
        await using (tiny1)
        {
            var sha = (await tiny1.Models.GetVersionAsync("tiny", 1))!.Files[0].Sha256;
            var loaded = Assert.Single(gateway.Server.App.Services.GetRequiredService<ChatRuntimes>().Models.Loaded, m => m.Sha256 == sha);
            Assert.True(loaded.SizeInBytes > 100_000);
            Assert.Equal(0, loaded.ActiveLeases);
        }
    }

    [Fact]
    public async Task KeyScopedToOneDeployment_OthersForbiddenAndUnlisted()
    {
        await gateway.DeployAsync("scoped", GatewayFixture.Serve(gateway.Tiny1), "qa");
        await gateway.DeployAsync("scoped", GatewayFixture.Serve(gateway.Tiny1), "dev");
        var key = await gateway.Server.NewKeyAsync("qa only", scopes: ["gateway:scoped@qa"]);
        var client = gateway.OpenAi(key);

        await client.GetChatClient("scoped@qa").CompleteChatAsync([new UserChatMessage("hi")], Short(1));
        var denied = await Assert.ThrowsAsync<ClientResultException>(() => client.GetChatClient("scoped@dev").CompleteChatAsync([new UserChatMessage("hi")], Short(1)));
        Assert.Equal(403, denied.Status);
        Assert.Contains("scoped@dev", ErrorBody(denied).GetProperty("message").GetString(), StringComparison.Ordinal);
        var listed = (await client.GetOpenAIModelClient().GetModelsAsync()).Value.Select(m => m.Id).ToList();
        Assert.Equal(["scoped@qa"], listed);
    }

    [Fact]
    public async Task EveryV1Route_NeedsAGatewayScopedKey()
    {
        await gateway.DeployAsync("perm", GatewayFixture.Serve(gateway.Tiny1));
        await gateway.DeployAsync("perm-emb", GatewayFixture.Serve(gateway.MiniLm));
        var routes = gateway.Server.App.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1", StringComparison.Ordinal) == true)
            // OTLP ingest shares the /v1 prefix but is the monitoring area's (OtlpIngestTests check its keys).
            .Where(e => e.RoutePattern.RawText != LlmOps.Server.Otlp.OtlpApi.TracesPath)
            .Select(e => (Method: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods[0], Pattern: e.RoutePattern.RawText!,
                Permission: e.Metadata.GetMetadata<LlmOps.Server.Identity.Permission>()))
            .ToList();
        Assert.Equal(5, routes.Count);
        var failures = new List<string>();
        foreach (var route in routes)
        {
            if (route.Permission is not { Area: GatewayApi.Area }) failures.Add($"{route.Pattern}: no gateway permission");
            var keys = new Dictionary<string, (string? Key, HttpStatusCode? Expected)>
            {
                ["none"] = (null, HttpStatusCode.Unauthorized),
                ["models-only"] = (gateway.Server.ModelsReadOnlyDeveloperKey, HttpStatusCode.Forbidden),
                ["gateway"] = (gateway.Server.GatewayOnlyKey, null),
                ["viewer *"] = (gateway.Server.Keys[LlmOps.Identity.Role.Viewer], null),
            };
            foreach (var (name, (key, expected)) in keys)
            {
                using var http = gateway.Server.Client(key);
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Pattern.Replace("{id}", "perm@dev", StringComparison.Ordinal));
                if (route.Method == "POST")
                    request.Content = Json(route.Pattern switch
                    {
                        "/v1/completions" => new { model = "perm@dev", prompt = "hi", max_tokens = 1 },
                        "/v1/embeddings" => new { model = "perm-emb@dev", input = "hi" },
                        _ => (object)new { model = "perm@dev", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 1 },
                    });
                var status = (await http.SendAsync(request)).StatusCode;
                if (expected is { } e && status != e) failures.Add($"{route.Method} {route.Pattern} with {name} key: {(int)status}, expected {(int)e}");
                if (expected is null && status != HttpStatusCode.OK) failures.Add($"{route.Method} {route.Pattern} with {name} key: {(int)status}, expected 200");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    static JsonElement ErrorBody(ClientResultException error) => ErrorJson(error.GetRawResponse()!.Content.ToString());

    static JsonElement ErrorJson(string text) => JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
}
