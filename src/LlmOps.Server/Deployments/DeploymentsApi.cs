using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Deployments;

/// <summary><c>/api/deployments</c>: which registry versions serve each endpoint in each environment, by revision.</summary>
public static class DeploymentsApi
{
    const string Area = DeploymentService.Area;

    public static RouteGroupBuilder MapDeploymentsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/deployments").WithTags("Deployments");

        group.MapGet("/", async (string? environment, IDeployments deployments, CancellationToken ct) => TypedResults.Ok(await deployments.ListAsync(environment, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapGet("/{environment}/{endpoint}", async (string environment, string endpoint, IDeployments deployments, CancellationToken ct) =>
                TypedResults.Ok(await deployments.GetAsync(environment, endpoint, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPut("/{environment}/{endpoint}", async (string environment, string endpoint, DeploymentSpec body, IDeployments deployments, CancellationToken ct) =>
                TypedResults.Ok(await deployments.SetAsync(environment, endpoint, body, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/{environment}/{endpoint}/revisions", async (string environment, string endpoint, IDeployments deployments, CancellationToken ct) =>
                TypedResults.Ok(await deployments.HistoryAsync(environment, endpoint, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/{environment}/{endpoint}/rollback", async (string environment, string endpoint, IDeployments deployments, CancellationToken ct) =>
                TypedResults.Ok(await deployments.RollbackAsync(environment, endpoint, ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        return group;
    }
}
