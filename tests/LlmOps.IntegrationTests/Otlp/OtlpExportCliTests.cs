using System.Diagnostics;
using System.Net.Sockets;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Cli;
using LlmOps.IntegrationTests.Server;
using LlmOps.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using TraceFilter = LlmOps.Monitoring.TraceFilter;

namespace LlmOps.IntegrationTests.Otlp;

/// <summary><c>llmops up</c> as a real process exporting its spans to a receiving server's <c>/v1/traces</c>, switched on by
/// <c>--otlp-endpoint</c> or by the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> alone.</summary>
public sealed class OtlpExportCliTests(ServerUnderTest receiver) : IClassFixture<ServerUnderTest>, IDisposable
{
    readonly TempFolder work = new("llmops-otlp-cli");

    public void Dispose() => work.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Up_WithOtlpEndpoint_ExportsRequestSpansCarryingTheCallersTrace(bool option)
    {
        var port = FreePort();
        var dataDir = work.PathOf(option ? "option" : "environment");
        var endpoint = receiver.BaseAddress.ToString();
        var info = CliProcess.StartInfo(["up", "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir, "--threads", "1",
            .. option ? new[] { "--otlp-endpoint", endpoint } : []]);
        if (!option)
        {
            info.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
            info.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        }
        info.Environment["OTEL_EXPORTER_OTLP_HEADERS"] = $"Authorization=Bearer {receiver.Keys[Role.Developer]}";
        info.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "100";
        using var process = Process.Start(info)!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var up = false;
            for (var i = 0; i < 100 && !up; i++)
            {
                try { up = (await http.GetAsync("/health")).IsSuccessStatusCode; }
                catch (HttpRequestException) { await Task.Delay(200); }
            }
            Assert.True(up, "llmops up did not come up");
            var key = (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin.key"))).Trim();
            var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            Assert.True((await http.SendAsync(request)).IsSuccessStatusCode);

            var traces = receiver.App.Services.GetRequiredService<ITraceQuery>();
            TraceRecord? span = null;
            for (var i = 0; i < 150 && span is null; i++)
            {
                await Task.Delay(100);
                await traces.FlushAsync();
                span = (await traces.SearchAsync(new TraceFilter(Source: TraceSources.Otlp, TraceId: traceId))).FirstOrDefault();
            }
            Assert.NotNull(span);
            Assert.Equal("llmops-gateway", span.Service);
            Assert.Equal("00f067aa0ba902b7", span.ParentSpanId);
            Assert.Equal("server", span.Attributes!["otel.span.kind"]);
            Assert.Contains("/v1/models", span.Operation, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
