using System.Text.Json;
using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Gateway;

/// <summary><c>/v1</c>: the OpenAI-compatible gateway (chat completions, completions, models) and <c>/metrics</c>.</summary>
/// <remarks>A model name is <c>ENDPOINT@ENVIRONMENT</c> (<c>chat@qa</c>) or a bare <c>ENDPOINT</c>, served from
/// <see cref="GatewayOptions.DefaultEnvironment"/> (prod). Keys need the <c>gateway</c> scope.</remarks>
public static class GatewayApi
{
    public const string Area = "gateway";

    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").WithTags("Gateway");
        v1.MapPost("/chat/completions", (HttpContext http, Actor actor, GatewayService gateway) => gateway.HandleAsync(http, actor, GatewayRoute.ChatCompletions))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        v1.MapPost("/completions", (HttpContext http, Actor actor, GatewayService gateway) => gateway.HandleAsync(http, actor, GatewayRoute.Completions))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        v1.MapPost("/embeddings", (HttpContext http, Actor actor, EmbeddingsEndpoint embeddings) => embeddings.HandleAsync(http, actor))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        v1.MapGet("/models", async (HttpContext http, Actor actor, GatewayService gateway, GatewayOptions options) =>
            {
                var deployments = (await gateway.ListAsync(http.RequestAborted)).Where(d => ApiScopes.AdmitsDeployment(actor.Scopes, d.Endpoint, d.Environment));
                var models = deployments.SelectMany(d => d.Environment == options.DefaultEnvironment ? new[] { (Id: d.Endpoint, d), (Id: d.Name, d) } : [(Id: d.Name, d)])
                    .Select(m => Model(m.Id, m.d.CreatedAt)).ToList();
                return Results.Json(new { @object = "list", data = models }, Wire);
            })
            .RequirePermission(Role.Viewer, Area, Access.Read);
        v1.MapGet("/models/{id}", async (string id, HttpContext http, Actor actor, GatewayService gateway) =>
            {
                var deployment = await gateway.ResolveAsync(id, actor, http.RequestAborted);
                return Results.Json(Model(id, deployment.CreatedAt), Wire);
            })
            .RequirePermission(Role.Viewer, Area, Access.Read);

        // Usage per key as the trace store counted it (every replica, every restart; kept past trace retention).
        routes.MapGet("/api/keys/{id}/usage", async (string id, LlmOps.Storage.IStore store, LlmOps.Monitoring.ITraceQuery traces, CancellationToken ct) =>
            {
                await traces.FlushAsync(ct);
                await using var session = await store.OpenAsync(write: false, ct);
                return TypedResults.Ok(await session.Traces.GetKeyUsageAsync(id, ct));
            })
            .WithTags("Keys")
            .RequirePermission(Role.Admin, "keys", Access.Read);

        // Prometheus scrapes without a key, as it does /health.
        routes.MapGet("/metrics", async (HttpContext http, GatewayMetrics metrics, Monitoring.MonitoringMetrics monitoring, ChatRuntimes runtimes) =>
        {
            metrics.LoadedBytes.Set(runtimes.Models.LoadedBytes);
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await http.Response.WriteAsync(metrics.Export() + monitoring.Export(), http.RequestAborted);
        }).WithTags("Metrics");
        return routes;
    }

    static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    static OpenAiModel Model(string id, DateTimeOffset created) => new(id, "model", created.ToUnixTimeSeconds(), "llmops");

    /// <summary>An entry of <c>/v1/models</c>.</summary>
    public sealed record OpenAiModel(string Id, string Object, long Created, string OwnedBy);
}
