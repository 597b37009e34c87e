using LlmOps.Identity;
using LlmOps.Pipelines;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Pipelines;

/// <summary><c>/api/pipelines/runs</c>: start, watch, cancel, retry and approve pipeline runs.</summary>
public static class PipelinesApi
{
    const string Area = "pipelines";

    public static RouteGroupBuilder MapPipelinesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/pipelines/runs").WithTags("Pipelines");
        group.MapPost("/", async (StartPipeline body, IPipelineRuns runs, CancellationToken ct) =>
            {
                var run = await runs.StartAsync(body, ct);
                return TypedResults.Created($"/api/pipelines/runs/{run.Id}", run);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/", async (string? pipeline, int? limit, IPipelineRuns runs, CancellationToken ct) => TypedResults.Ok(await runs.ListAsync(pipeline, limit ?? 50, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/{id}", async (string id, IPipelineRuns runs, CancellationToken ct) => TypedResults.Ok(await runs.GetAsync(id, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/{id}/logs", async (string id, string? step, long? after, IPipelineRuns runs, CancellationToken ct) =>
                TypedResults.Ok(await runs.LogsAsync(id, step, after ?? 0, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/{id}/cancel", async (string id, IPipelineRuns runs, CancellationToken ct) => TypedResults.Ok(await runs.CancelAsync(id, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapPost("/{id}/retry", async (string id, IPipelineRuns runs, CancellationToken ct) => TypedResults.Ok(await runs.RetryAsync(id, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapPost("/{id}/approve", async (string id, DecisionBody body, IPipelineRuns runs, CancellationToken ct) =>
                TypedResults.Ok(await runs.DecideAsync(id, new PipelineDecision(true, body.Comment), ct)))
            .RequirePermission(Role.Approver, Area, Access.Write);
        group.MapPost("/{id}/reject", async (string id, DecisionBody body, IPipelineRuns runs, CancellationToken ct) =>
                TypedResults.Ok(await runs.DecideAsync(id, new PipelineDecision(false, body.Comment), ct)))
            .RequirePermission(Role.Approver, Area, Access.Write);

        var pipelines = routes.MapGroup("/api/pipelines").WithTags("Pipelines");
        pipelines.MapPost("/", async (RegisterPipelineBody body, IPipelineRuns runs, CancellationToken ct) =>
            {
                var registered = await runs.RegisterAsync(body.Yaml, body.Source, ct);
                return TypedResults.Created($"/api/pipelines/{registered.Name}", registered);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        pipelines.MapGet("/", async (IPipelineRuns runs, CancellationToken ct) => TypedResults.Ok(await runs.ListRegisteredAsync(ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        pipelines.MapDelete("/{name}", async (string name, IPipelineRuns runs, CancellationToken ct) =>
            {
                await runs.RemoveAsync(name, ct);
                return TypedResults.NoContent();
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        pipelines.MapPost("/{name}/runs", async (string name, StartRegisteredBody? body, IPipelineRuns runs, CancellationToken ct) =>
            {
                var run = await runs.StartRegisteredAsync(name, body?.Params, ct);
                return TypedResults.Created($"/api/pipelines/runs/{run.Id}", run);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        return group;
    }
}

/// <summary>Body of <c>POST /api/pipelines</c>.</summary>
public sealed record RegisterPipelineBody(string Yaml, string? Source = null);

/// <summary>Body of <c>POST /api/pipelines/{name}/runs</c>.</summary>
public sealed record StartRegisteredBody(IReadOnlyDictionary<string, string>? Params = null);

/// <summary>Body of the approve and reject calls.</summary>
public sealed record DecisionBody(string Comment);
