using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Otlp;

/// <summary><c>POST /v1/traces</c>: OTLP/HTTP trace export from applications (the OpenTelemetry SDKs, Semantic Kernel,
/// Microsoft.Extensions.AI), into the same trace store as the gateway's own records. Keys need Developer and
/// <c>monitoring:write</c>.</summary>
public static class OtlpApi
{
    public const string TracesPath = "/v1/traces";
    public const string Area = "monitoring";

    public static IEndpointRouteBuilder MapOtlpApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(TracesPath, (HttpContext http, Actor actor, OtlpTraceReceiver receiver) => receiver.HandleAsync(http, actor))
            .WithTags("Monitoring")
            .WithSummary("OTLP/HTTP trace export (application/x-protobuf or application/json, optionally gzip)")
            .RequirePermission(Role.Developer, Area, Access.Write);
        return routes;
    }
}
