using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LlmOps.IntegrationTests.Otlp;

/// <summary><c>POST /v1/traces</c> on the real server: the OpenTelemetry .NET SDK's OTLP exporter, OTLP JSON by hand, and bad input.</summary>
public sealed class OtlpIngestTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>
{
    ITraceQuery Traces => server.App.Services.GetRequiredService<ITraceQuery>();

    async Task<IReadOnlyList<TraceRecord>> OfTrace(string traceId)
    {
        await Traces.FlushAsync();
        return [.. (await Traces.SearchAsync(new LlmOps.Monitoring.TraceFilter(Source: TraceSources.Otlp, TraceId: traceId, Limit: LlmOps.Monitoring.TraceFilter.MaxLimit))).Reverse()];
    }

    [Fact]
    public async Task OtlpExporter_HttpProtobuf_SpansRecordedWithIdsParentServiceTokensAndStatus()
    {
        using var source = new ActivitySource("LlmOps.Tests.App." + Guid.NewGuid().ToString("N"));
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(source.Name)
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("support-bot", serviceVersion: "1.2.0"))
            .AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = new Uri(server.BaseAddress, "/v1/traces");
                otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                otlp.Headers = $"Authorization=Bearer {server.Keys[Role.Developer]}";
            })
            .Build();

        string traceId, rootId, chatId, failedId;
        using (var root = source.StartActivity("answer question")!)
        {
            traceId = root.TraceId.ToHexString();
            rootId = root.SpanId.ToHexString();
            using (var chat = source.StartActivity("chat gpt-4o", ActivityKind.Client)!)
            {
                chatId = chat.SpanId.ToHexString();
                chat.SetTag("gen_ai.operation.name", "chat");
                chat.SetTag("gen_ai.provider.name", "openai");
                chat.SetTag("gen_ai.request.model", "gpt-4o");
                chat.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
                chat.SetTag("gen_ai.usage.input_tokens", 42);
                chat.SetTag("gen_ai.usage.output_tokens", 7);
                chat.SetTag("gen_ai.response.finish_reasons", new[] { "stop" });
                chat.SetTag("gen_ai.request.temperature", 0.2);
                chat.SetTag("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"my card is 4111 1111 1111 1111\"}]}]");
                chat.SetTag("gen_ai.output.messages", "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"noted\"}]}]");
            }
            using (var failed = source.StartActivity("embeddings text-embedding-3-small", ActivityKind.Client)!)
            {
                failedId = failed.SpanId.ToHexString();
                failed.SetTag("gen_ai.operation.name", "embeddings");
                failed.SetTag("gen_ai.request.model", "text-embedding-3-small");
                failed.SetStatus(ActivityStatusCode.Error, "upstream timed out");
            }
        }
        Assert.True(provider.ForceFlush(10_000), "the exporter did not flush");

        var records = await OfTrace(traceId);
        Assert.Equal(3, records.Count);
        var rootRecord = Assert.Single(records, r => r.SpanId == rootId);
        Assert.Null(rootRecord.ParentSpanId);
        Assert.Equal("span", rootRecord.Route);
        Assert.Equal("-", rootRecord.Deployment);
        Assert.Equal("answer question", rootRecord.Operation);

        var chatRecord = Assert.Single(records, r => r.SpanId == chatId);
        Assert.Equal($"{traceId}-{chatId}", chatRecord.Id);
        Assert.Equal(rootId, chatRecord.ParentSpanId);
        Assert.Equal("support-bot", chatRecord.Service);
        Assert.Equal("chat gpt-4o", chatRecord.Operation);
        Assert.Equal("chat", chatRecord.Route);
        Assert.Equal("gpt-4o", chatRecord.Deployment);
        Assert.Equal("gpt-4o-2024-08-06", chatRecord.Version);
        Assert.Equal((42, 7), (chatRecord.PromptTokens, chatRecord.CompletionTokens));
        Assert.Equal(TraceStatus.Ok, chatRecord.Status);
        Assert.Equal(KeyId(server.Keys[Role.Developer]), chatRecord.KeyId);
        Assert.Equal("1.2.0", chatRecord.Attributes!["service.version"]);
        Assert.Equal("[\"stop\"]", chatRecord.Attributes["gen_ai.response.finish_reasons"]);
        Assert.Equal("0.2", chatRecord.Attributes["gen_ai.request.temperature"]);
        Assert.Equal("client", chatRecord.Attributes["otel.span.kind"]);
        Assert.Equal(source.Name, chatRecord.Attributes["otel.scope.name"]);
        // Message content becomes the record's prompt and response (for drift and online evaluation), redacted, and is not kept twice.
        Assert.Contains("\"role\":\"user\"", chatRecord.Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("4111 1111 1111 1111", chatRecord.Prompt, StringComparison.Ordinal);
        Assert.Contains("noted", chatRecord.Completion, StringComparison.Ordinal);
        Assert.False(chatRecord.Attributes.ContainsKey("gen_ai.input.messages"));
        Assert.InRange(chatRecord.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));

        var failedRecord = Assert.Single(records, r => r.SpanId == failedId);
        Assert.Equal(TraceStatus.Error, failedRecord.Status);
        Assert.Equal("upstream timed out", failedRecord.Error);
        Assert.Equal("embeddings", failedRecord.Route);
    }

    [Fact]
    public async Task OtlpJson_HexIdsStringInt64sAndGzip_Recorded()
    {
        var traceId = RandomHex(16);
        var (parent, child) = (RandomHex(8), RandomHex(8));
        var start = DateTimeOffset.UtcNow.AddSeconds(-2);
        var payload = Export(traceId,
            Span(parent, null, "invoke_agent support", start, TimeSpan.FromMilliseconds(1500)),
            Span(child, parent, "chat llama-3", start.AddMilliseconds(100), TimeSpan.FromMilliseconds(900), status: new { code = 2, message = "model overloaded" },
                attributes: [Attr("gen_ai.operation.name", new { stringValue = "chat" }), Attr("gen_ai.request.model", new { stringValue = "llama-3" }),
                    Attr("gen_ai.usage.input_tokens", new { intValue = "120" }), Attr("gen_ai.usage.output_tokens", new { intValue = 30 }),
                    Attr("app.flags", new { arrayValue = new { values = new object[] { new { boolValue = true }, new { doubleValue = 1.5 } } } })]));

        using var client = server.Client(server.Keys[Role.Developer]);
        var response = await client.PostAsync("/v1/traces", Json(payload));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{ }", await response.Content.ReadAsStringAsync());

        var records = await OfTrace(traceId);
        Assert.Equal(2, records.Count);
        var chat = Assert.Single(records, r => r.SpanId == child);
        Assert.Equal(parent, chat.ParentSpanId);
        Assert.Equal("json-app", chat.Service);
        Assert.Equal((120, 30), (chat.PromptTokens, chat.CompletionTokens));
        Assert.Equal((TraceStatus.Error, "model overloaded"), (chat.Status, chat.Error));
        Assert.Equal("llama-3", chat.Version);
        Assert.Equal(TimeSpan.FromMilliseconds(900), chat.TotalTime);
        Assert.Equal(start.AddMilliseconds(100).ToUnixTimeMilliseconds(), chat.At.ToUnixTimeMilliseconds());
        Assert.Equal("[true,1.5]", chat.Attributes!["app.flags"]);

        // The same export again, gzip-compressed, with upper-case hex: the ids still read the same.
        var gzipTrace = RandomHex(16);
        var gzipSpan = RandomHex(8);
        var compressed = new ByteArrayContent(Gzip(JsonSerializer.SerializeToUtf8Bytes(Export(gzipTrace.ToUpperInvariant(),
            Span(gzipSpan.ToUpperInvariant(), null, "compressed", start, TimeSpan.FromSeconds(1))))));
        compressed.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        compressed.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/traces", compressed)).StatusCode);
        Assert.Equal(gzipSpan, Assert.Single(await OfTrace(gzipTrace)).SpanId);
    }

    [Fact]
    public async Task OtlpJson_IdOfWrongLengthOrZero_PartialSuccessNamingTheSpanAndTheRestKept()
    {
        var traceId = RandomHex(16);
        var good = RandomHex(8);
        var start = DateTimeOffset.UtcNow;
        var payload = Export(traceId,
            Span(good, null, "kept", start, TimeSpan.FromSeconds(1)),
            Span("abcd", null, "short id", start, TimeSpan.FromSeconds(1)),
            Span(new string('0', 16), null, "zero id", start, TimeSpan.FromSeconds(1)));

        using var client = server.Client(server.Keys[Role.Developer]);
        var response = await client.PostAsync("/v1/traces", Json(payload));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var partial = body.RootElement.GetProperty("partialSuccess");
        Assert.Equal("2", partial.GetProperty("rejectedSpans").ToString());
        var message = partial.GetProperty("errorMessage").GetString()!;
        Assert.Contains("resourceSpans[0].scopeSpans[0].spans[1].spanId: 2 bytes, not 8", message, StringComparison.Ordinal);
        Assert.Contains("resourceSpans[0].scopeSpans[0].spans[2].spanId: all zeroes", message, StringComparison.Ordinal);
        Assert.Equal(good, Assert.Single(await OfTrace(traceId)).SpanId);
    }

    [Fact]
    public async Task OtlpJson_NotHexId_400NamingTheField()
    {
        var payload = Export(RandomHex(16), Span(RandomHex(8), null, "fine", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1)),
            Span(RandomHex(8), null, "bad", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1)));
        // The second span's trace id is not hex at all.
        var badJson = ReplaceNth(JsonSerializer.Serialize(payload), "\"traceId\":\"", 1, "\"traceId\":\"zz");

        using var client = server.Client(server.Keys[Role.Developer]);
        var response = await client.PostAsync("/v1/traces", new StringContent(badJson, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(3, body.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("resourceSpans[0].scopeSpans[0].spans[1].traceId: 'zz' is not 32 hex digits.", body.RootElement.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("{\"resourceSpans\": {}}", "resourceSpans: must be an array.")]
    [InlineData("{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [7]}]}]}", "resourceSpans[0].scopeSpans[0].spans[0]: must be an object.")]
    [InlineData("{\"resourceSpans\": [", "body: not JSON")]
    [InlineData("[]", "body: must be a JSON object")]
    [InlineData("{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"name\": {\"a\": 1}}]}]}]}", "body: not an OTLP ExportTraceServiceRequest")]
    public async Task OtlpJson_Malformed_400NamingTheField(string json, string expected)
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var response = await client.PostAsync("/v1/traces", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith(expected, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protobuf_MalformedBytes_400WithRpcStatusBody()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var garbage = new ByteArrayContent([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        var response = await client.PostAsync("/v1/traces", garbage);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var (code, message) = ReadRpcStatus(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(3, code);
        Assert.StartsWith("body: not a protobuf ExportTraceServiceRequest", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protobuf_EmptyExport_200WithEmptyResponse()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var empty = new ByteArrayContent([]);
        empty.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        var response = await client.PostAsync("/v1/traces", empty);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task WrongContentTypeOrEncoding_415()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var text = await client.PostAsync("/v1/traces", new StringContent("hello", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        using (var body = JsonDocument.Parse(await text.Content.ReadAsStringAsync()))
            Assert.StartsWith("Content-Type: 'text/plain", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);

        var brotli = new StringContent("{}", Encoding.UTF8, "application/json");
        brotli.Headers.ContentEncoding.Add("br");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await client.PostAsync("/v1/traces", brotli)).StatusCode);
    }

    [Fact]
    public async Task NoKeyOrTooLowARole_401And403()
    {
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/v1/traces", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        using var viewer = server.Client(server.Keys[Role.Viewer]);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/v1/traces", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        using var scoped = server.Client(server.ModelsReadOnlyDeveloperKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await scoped.PostAsync("/v1/traces", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task TooLarge_AsSentOrAfterGunzip_413()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        // The test server's limit is 64 KiB.
        var big = new StringContent("{\"resourceSpans\": []," + new string(' ', 100_000) + "}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/v1/traces", big)).StatusCode);

        var bomb = new ByteArrayContent(Gzip(Encoding.UTF8.GetBytes("{\"resourceSpans\": []," + new string(' ', 1_000_000) + "}")));
        bomb.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        bomb.Headers.ContentEncoding.Add("gzip");
        Assert.True(bomb.Headers.ContentLength < 64 * 1024);
        var response = await client.PostAsync("/v1/traces", bomb);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("65536 bytes", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    static string KeyId(string secret)
    {
        Assert.True(ApiKeySecrets.TryParse(secret, out var id, out _));
        return id;
    }

    static string RandomHex(int bytes) => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(bytes));

    static object Attr(string key, object value) => new { key, value };

    static object Span(string spanId, string? parentSpanId, string name, DateTimeOffset start, TimeSpan duration, object? status = null, object[]? attributes = null)
    {
        var startNanos = (ulong)start.ToUnixTimeMilliseconds() * 1_000_000UL;
        var endNanos = startNanos + (ulong)duration.Ticks * 100UL;
        return new Dictionary<string, object?>
        {
            ["spanId"] = spanId,
            ["parentSpanId"] = parentSpanId ?? "",
            ["name"] = name,
            ["kind"] = 3,
            // OTLP JSON writes 64-bit integers as decimal strings.
            ["startTimeUnixNano"] = startNanos.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["endTimeUnixNano"] = endNanos.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["attributes"] = attributes ?? [],
            ["status"] = status ?? new { },
        };
    }

    static object Export(string traceId, params object[] spans)
    {
        foreach (var span in spans) ((Dictionary<string, object?>)span)["traceId"] = traceId;
        return new
        {
            resourceSpans = new[]
            {
                new
                {
                    resource = new { attributes = new[] { Attr("service.name", new { stringValue = "json-app" }) } },
                    scopeSpans = new[] { new { scope = new { name = "json.scope", version = "1" }, spans } },
                },
            },
        };
    }

    static StringContent Json(object payload) => new(JsonSerializer.Serialize(payload), Encoding.UTF8, "application/json");

    static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    static string ReplaceNth(string text, string find, int n, string replacement)
    {
        var at = -1;
        for (var i = 0; i <= n; i++) at = text.IndexOf(find, at + 1, StringComparison.Ordinal);
        var end = text.IndexOf('"', at + find.Length);
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(end));
    }

    /// <summary>Reads a google.rpc.Status (code = 1, message = 2) without its generated class, which is internal to the server.</summary>
    internal static (int Code, string Message) ReadRpcStatus(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var (code, message) = (0, "");
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: code = input.ReadInt32(); break;
                case 2: message = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (code, message);
    }
}
