using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Registry;

/// <summary><c>/api/models</c>: registered models, versions, approvals and environment aliases.</summary>
public static class ModelsApi
{
    const string Area = "models";

    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/models").WithTags("Models");

        group.MapGet("/", async (IModelRegistry registry, CancellationToken ct) => TypedResults.Ok(await registry.ListModelsAsync(ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/", async (CreateModel body, IModelRegistry registry, CancellationToken ct) =>
            {
                var model = await registry.CreateModelAsync(body, ct);
                return TypedResults.Created($"/api/models/{model.Name}", model);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/{name}", async (string name, IModelRegistry registry, CancellationToken ct) => TypedResults.Ok(await registry.GetModelAsync(name, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);

        group.MapGet("/{name}/versions", async (string name, IModelRegistry registry, CancellationToken ct) => TypedResults.Ok(await registry.ListVersionsAsync(name, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/{name}/versions", async (string name, VersionRegistration body, IModelRegistry registry, CancellationToken ct) =>
            {
                var version = await registry.RegisterVersionAsync(
                    new RegisterVersion(name, body.Format, body.Files, body.SourceUri, body.Lineage, body.Metrics, body.Tags, body.ModelCard), ct);
                return TypedResults.Created($"/api/models/{name}/versions/{version.Version}", version);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/{name}/versions/{version:int}", async (string name, int version, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.GetVersionAsync(name, version, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/{name}/versions/{version:int}/approvals", async (string name, int version, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.ListApprovalEventsAsync(name, version, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/{name}/versions/{version:int}/request-approval", async (string name, int version, ApprovalDecision body, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.RequestApprovalAsync(name, version, body, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapPost("/{name}/versions/{version:int}/approve", async (string name, int version, ApprovalDecision body, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.ApproveAsync(name, version, body, ct)))
            .RequirePermission(Role.Approver, Area, Access.Write);
        group.MapPost("/{name}/versions/{version:int}/reject", async (string name, int version, ApprovalDecision body, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.RejectAsync(name, version, body, ct)))
            .RequirePermission(Role.Approver, Area, Access.Write);

        group.MapPut("/{name}/aliases/{environment}", async (string name, string environment, AliasTarget body, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.PromoteAsync(name, body.Version, environment, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/{name}/aliases/history", async (string name, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.ListAliasMovesAsync(name, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);

        routes.MapGet("/api/model-versions/resolve", async Task<Ok<ModelVersion>> (string reference, IModelRegistry registry, CancellationToken ct) =>
                TypedResults.Ok(await registry.ResolveAsync(reference, ct)))
            .WithTags("Models")
            .RequirePermission(Role.Viewer, Area, Access.Read);
        return group;
    }
}

/// <summary>Body of <c>POST /api/models/{name}/versions</c>.</summary>
public sealed record VersionRegistration(
    string Format,
    IReadOnlyList<ArtifactFile>? Files = null,
    string? SourceUri = null,
    ModelLineage? Lineage = null,
    IReadOnlyDictionary<string, double>? Metrics = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? ModelCard = null);

/// <summary>Body of <c>PUT /api/models/{name}/aliases/{environment}</c>.</summary>
public sealed record AliasTarget(int Version);
