using LlmOps.Datasets;
using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Datasets;

/// <summary><c>/api/datasets</c>: immutable, content-addressed dataset versions.</summary>
public static class DatasetsApi
{
    const string Area = "datasets";

    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/datasets").WithTags("Datasets");
        group.MapPost("/", async (RegisterDataset body, IDatasetRegistry datasets, CancellationToken ct) =>
            {
                var version = await datasets.RegisterAsync(body, ct);
                return TypedResults.Created($"/api/datasets/{version.Id}", version);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/", async (string? name, IDatasetRegistry datasets, CancellationToken ct) => TypedResults.Ok(await datasets.ListAsync(name, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/diff", async (string from, string to, IDatasetRegistry datasets, CancellationToken ct) => TypedResults.Ok(await datasets.DiffAsync(from, to, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/{id}", async (string id, IDatasetRegistry datasets, CancellationToken ct) => TypedResults.Ok(await datasets.GetAsync(id, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        return group;
    }
}
