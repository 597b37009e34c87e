using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Server.Identity;
using LlmOps.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Runs;

/// <summary><c>/api/runs</c>: experiment tracking.</summary>
public static class RunsApi
{
    const string Area = "runs";

    public static RouteGroupBuilder MapRunsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/runs").WithTags("Runs");

        group.MapPost("/", async (StartRun body, IRunTracker runs, CancellationToken ct) =>
            {
                var run = await runs.StartRunAsync(body, ct);
                return TypedResults.Created($"/api/runs/{run.Id}", run);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/", async (string? experiment, RunStatus? status, string? parent, int? limit, IRunTracker runs, CancellationToken ct) =>
                TypedResults.Ok(await runs.ListRunsAsync(new RunQuery(experiment, status, parent, limit ?? 100), ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/compare", async (string[] ids, IRunTracker runs, CancellationToken ct) => TypedResults.Ok(await runs.CompareAsync(ids, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/{id}", async (string id, IRunTracker runs, CancellationToken ct) => TypedResults.Ok(await runs.GetRunAsync(id, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/{id}/params", async (string id, Dictionary<string, string> body, IRunTracker runs, CancellationToken ct) =>
            {
                await runs.LogParamsAsync(id, body, ct);
                return TypedResults.NoContent();
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapPost("/{id}/metrics", async (string id, List<MetricInput> body, IRunTracker runs, CancellationToken ct) =>
            {
                await runs.LogMetricsAsync(id, body.Select(m => new MetricPoint(m.Name, m.Step, m.Value, m.At ?? default)).ToList(), ct);
                return TypedResults.NoContent();
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/{id}/metrics/{name}", async (string id, string name, IRunTracker runs, CancellationToken ct) =>
                TypedResults.Ok(await runs.GetMetricHistoryAsync(id, name, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/{id}/artifacts", async (string id, RunArtifact body, IRunTracker runs, CancellationToken ct) =>
                TypedResults.Ok(await runs.LogArtifactAsync(id, body.Name, body.Sha256, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapPost("/{id}/end", async (string id, RunEnd body, IRunTracker runs, CancellationToken ct) =>
                TypedResults.Ok(await runs.EndRunAsync(id, body.Status, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        return group;
    }
}

/// <summary>Body of <c>POST /api/runs/{id}/artifacts</c>: a name for a blob already uploaded.</summary>
public sealed record RunArtifact(string Name, string Sha256);

/// <summary>One point in the body of <c>POST /api/runs/{id}/metrics</c>; without <c>at</c> it is stamped on arrival.</summary>
public sealed record MetricInput(string Name, long Step, double Value, DateTimeOffset? At = null);

/// <summary>Body of <c>POST /api/runs/{id}/end</c>.</summary>
public sealed record RunEnd(RunStatus Status);
