using System.Net;
using System.Text;
using System.Text.Json;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Monitoring;
using LlmOps.Registry;
using LlmOps.Server.Gateway;
using LlmOps.Server.Otlp;
using LlmOps.Storage;
using LlmOps.Artifacts;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace LlmOps.IntegrationTests.Gateway;

/// <summary>A gateway with its OTLP exporter switched on, exporting to a second server's own <c>/v1/traces</c>: gateway span →
/// OpenTelemetry SDK exporter → OTLP ingest → trace records. The gateway's versions are remote ones on the fake upstream.</summary>
public sealed class TelemetryFixture : IAsyncLifetime
{
    public ServerUnderTest Receiver { get; } = new();
    public ServerUnderTest Gateway { get; private set; } = null!;
    public FakeUpstream Upstream { get; private set; } = null!;

    /// <summary>The deployment <c>otel@dev</c>, served by the upstream's echo model.</summary>
    public const string Model = "otel@dev";

    public async Task InitializeAsync()
    {
        await Receiver.InitializeAsync();
        Upstream = await FakeUpstream.StartAsync();
        Gateway = new ServerUnderTest(options => options.Otlp = new OtlpExportOptions
        {
            Endpoint = Receiver.BaseAddress.ToString(),
            Headers = $"Authorization=Bearer {Receiver.Keys[Role.Developer]}",
        });
        await Gateway.InitializeAsync();
        var services = Gateway.App.Services;
        var registry = new ModelRegistry(services.GetRequiredService<IStore>(), services.GetRequiredService<IArtifactStore>(), Actor.LocalAdmin, TimeProvider.System);
        var echo = await registry.RegisterVersionAsync(new RegisterVersion("up-echo", ModelFormats.Remote, SourceUri: Upstream.BaseAddress.ToString(),
            Tags: new Dictionary<string, string> { [ChatRuntimes.UpstreamModelTag] = "echo" }));
        await new DeploymentService(services.GetRequiredService<IStore>(), Actor.LocalAdmin, TimeProvider.System)
            .SetAsync("dev", "otel", GatewayFixture.Serve(new VersionRef(echo.ModelName, echo.Version)));
    }

    public ITraceQuery GatewayTraces => Gateway.App.Services.GetRequiredService<ITraceQuery>();
    public ITraceQuery ReceivedTraces => Receiver.App.Services.GetRequiredService<ITraceQuery>();

    /// <summary>Pushes the gateway's finished spans out now rather than at the batch interval.</summary>
    public void Flush() => Assert.True(Gateway.App.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000), "the exporter did not flush");

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>The gateway's GenAI spans: their trace records carry W3C ids, a <c>traceparent</c> makes them children of the
/// caller's span, and the OTLP exporter delivers them with their <c>gen_ai.*</c> attributes.</summary>
public sealed class GatewayTelemetryTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    const string CallerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

    static string Traceparent(string spanId) => $"00-{CallerTrace}-{spanId}-01";

    [Fact]
    public async Task ChatCompletion_WithTraceparent_RecordIsChildOfCallerAndSpanExportedWithGenAiAttributes()
    {
        var callerSpan = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        using var client = fixture.Gateway.Client(fixture.Gateway.GatewayOnlyKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json(new { model = TelemetryFixture.Model, messages = new[] { new { role = "user", content = "hi" } }, temperature = 0.5, max_tokens = 8, seed = 3 }),
        };
        request.Headers.Add("traceparent", Traceparent(callerSpan));
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("id").GetString()!;

        var record = await WaitAsync(fixture.GatewayTraces, r => r.Id == id);
        Assert.Equal(CallerTrace, record.TraceId);
        Assert.Equal(callerSpan, record.ParentSpanId);
        Assert.Matches("^[0-9a-f]{16}$", record.SpanId);
        Assert.Equal($"chat {TelemetryFixture.Model}", record.Operation);
        Assert.Equal(GatewayTelemetry.ServiceName, record.Service);
        Assert.Equal(TraceSources.Gateway, record.Source);

        fixture.Flush();
        var span = await WaitAsync(fixture.ReceivedTraces, r => r.SpanId == record.SpanId);
        Assert.Equal(TraceSources.Otlp, span.Source);
        Assert.Equal(CallerTrace, span.TraceId);
        Assert.Equal($"chat {TelemetryFixture.Model}", span.Operation);
        Assert.Equal(GatewayTelemetry.ServiceName, span.Service);
        Assert.Equal("chat", span.Route);
        Assert.Equal(TelemetryFixture.Model, span.Deployment);
        Assert.Equal("up-echo/1", span.Version);
        Assert.Equal((5, record.CompletionTokens), (span.PromptTokens, span.CompletionTokens));
        Assert.True(span.CompletionTokens > 0);
        Assert.Equal(TraceStatus.Ok, span.Status);
        var attributes = span.Attributes!;
        Assert.Equal("client", attributes["otel.span.kind"]);
        Assert.Equal(GatewayTelemetry.SourceName, attributes["otel.scope.name"]);
        Assert.Equal("llmops", attributes["gen_ai.provider.name"]);
        Assert.Equal(TelemetryFixture.Model, attributes["gen_ai.request.model"]);
        Assert.Equal("up-echo/1", attributes["gen_ai.response.model"]);
        Assert.Equal(id, attributes["gen_ai.response.id"]);
        Assert.Equal("[\"stop\"]", attributes["gen_ai.response.finish_reasons"]);
        Assert.Equal("0.5", attributes["gen_ai.request.temperature"]);
        Assert.Equal("8", attributes["gen_ai.request.max_tokens"]);
        Assert.Equal("3", attributes["gen_ai.request.seed"]);
        Assert.Equal(TelemetryFixture.Model, attributes["llmops.deployment"]);
        Assert.Equal("1", attributes["llmops.revision"]);
        Assert.Equal(record.KeyId, attributes["llmops.key_id"]);
        Assert.False(attributes.ContainsKey("error.type"));

        // ASP.NET Core's server span of the same request is exported too, between the caller's span and the gateway's.
        var server = await WaitAsync(fixture.ReceivedTraces, r => r.TraceId == CallerTrace && r.ParentSpanId == callerSpan);
        Assert.Equal("server", server.Attributes!["otel.span.kind"]);
        Assert.Equal(server.SpanId, span.ParentSpanId);
    }

    [Fact]
    public async Task UnknownModel_SpanHasErrorTypeOfTheHttpStatus()
    {
        var callerSpan = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        using var client = fixture.Gateway.Client(fixture.Gateway.GatewayOnlyKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json(new { model = "nobody@dev", messages = new[] { new { role = "user", content = "hi" } } }),
        };
        request.Headers.Add("traceparent", Traceparent(callerSpan));
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(request)).StatusCode);

        fixture.Flush();
        var span = await WaitAsync(fixture.ReceivedTraces, r => r.TraceId == CallerTrace && r.Operation == "chat nobody@dev"
            && r.Attributes?.GetValueOrDefault("llmops.key_id") is not null && r.At > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("404", span.Attributes!["error.type"]);
        Assert.Equal(TraceStatus.Error, span.Status);
    }

    [Fact]
    public async Task ChatCompletion_WithoutTraceparent_RecordStartsItsOwnTrace()
    {
        using var client = fixture.Gateway.Client(fixture.Gateway.GatewayOnlyKey);
        var response = await client.PostAsync("/v1/chat/completions",
            Json(new { model = TelemetryFixture.Model, messages = new[] { new { role = "user", content = "no parent" } } }));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("id").GetString()!;
        var record = await WaitAsync(fixture.GatewayTraces, r => r.Id == id);
        Assert.Matches("^[0-9a-f]{32}$", record.TraceId);
        Assert.NotEqual(CallerTrace, record.TraceId);
        Assert.Null(record.ParentSpanId);
    }

    static StringContent Json(object payload) => new(JsonSerializer.Serialize(payload), Encoding.UTF8, "application/json");

    static async Task<TraceRecord> WaitAsync(ITraceQuery sink, Func<TraceRecord, bool> match)
    {
        // Every gateway of this test process shares the static ActivitySource, so the exporter may be busy with other tests' spans.
        for (var i = 0; i < 300; i++)
        {
            await sink.FlushAsync();
            if ((await sink.SearchAsync(new TraceFilter(IncludeShadow: true, Limit: TraceFilter.MaxLimit))).FirstOrDefault(match) is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException("no matching trace record within 15 s");
    }
}
