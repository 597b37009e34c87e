using LlmOps.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Identity;

/// <summary><c>/api/keys</c>: API key administration (Admin).</summary>
public static class KeysApi
{
    const string Area = "keys";

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/keys").WithTags("Keys");
        group.MapPost("/", async (CreateApiKey body, IApiKeys keys, CancellationToken ct) =>
            {
                var created = await keys.CreateAsync(body, ct);
                return TypedResults.Created($"/api/keys/{created.Key.Id}", created);
            })
            .RequirePermission(Role.Admin, Area, Access.Write);
        group.MapGet("/", async (IApiKeys keys, CancellationToken ct) => TypedResults.Ok(await keys.ListAsync(ct)))
            .RequirePermission(Role.Admin, Area, Access.Read);
        group.MapDelete("/{id}", async (string id, IApiKeys keys, CancellationToken ct) => TypedResults.Ok(await keys.RevokeAsync(id, ct)))
            .RequirePermission(Role.Admin, Area, Access.Write);
        return group;
    }
}
