using LlmOps.Server.Gateway;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LlmOps.Server.Otlp;

/// <summary><c>AddLlmOpsTelemetry()</c>: the OTLP trace receiver, and the OpenTelemetry SDK exporting the gateway's spans when
/// <see cref="ServerOptions.Otlp"/> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> says where.</summary>
public static class OtlpTelemetry
{
    /// <summary>The standard variable the OpenTelemetry SDK reads for the collector's address; set, it switches the exporter on.</summary>
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IServiceCollection AddLlmOpsTelemetry(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton<OtlpTraceReceiver>();
        var otlp = options.Otlp;
        if (otlp is null && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EndpointVariable))) return services;

        services.AddOpenTelemetry()
            // The service name is the gateway's unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise (detected last, so they win).
            .ConfigureResource(resource => resource.AddService(GatewayTelemetry.ServiceName).AddEnvironmentVariableDetector())
            .WithTracing(tracing => tracing
                .AddSource(GatewayTelemetry.SourceName)
                // The /v1 request spans only: never the export requests this or another server receives on /v1/traces,
                // or a server exporting to itself would export its own ingest forever.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = http => IsExportedRequest(http.Request.Path))
                .AddOtlpExporter(exporter =>
                {
                    // Unset here, the SDK's own OTEL_EXPORTER_OTLP_* variables apply.
                    if (otlp is null) return;
                    exporter.Endpoint = otlp.TracesEndpoint();
                    exporter.Protocol = otlp.Protocol == OtlpExportOptions.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                    if (otlp.Headers is not null) exporter.Headers = otlp.Headers;
                }));
        return services;
    }

    static bool IsExportedRequest(PathString path) =>
        OpenAiErrors.IsGatewayPath(path) && !path.StartsWithSegments(OtlpApi.TracesPath, StringComparison.Ordinal);
}
