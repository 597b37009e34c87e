using LlmOps.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LlmOps.Server.Identity;

/// <summary>What an endpoint needs: a minimum role and a scope for its area. Also endpoint metadata, so tests can enumerate it.</summary>
public sealed record Permission(Role Role, string Area, Access Access) : IAuthorizationRequirement;

/// <summary>Checks <see cref="Permission"/> against the authenticated key.</summary>
internal sealed class PermissionHandler(IHttpContextAccessor accessor) : AuthorizationHandler<Permission>
{
    public const string DenialKey = "llmops.denial";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, Permission requirement)
    {
        var actor = ActorClaims.FromPrincipal(context.User);
        if (actor is null) return Task.CompletedTask;
        string? denial = null;
        if (!actor.Has(requirement.Role))
            denial = $"Key '{actor.Name}' ({actor.Id}) holds role {actor.Role}; this endpoint needs {requirement.Role}.";
        else if (!actor.CanUse(requirement.Area, requirement.Access))
            denial = $"Key '{actor.Name}' ({actor.Id}) has no scope for {requirement.Area}:{requirement.Access.ToString().ToLowerInvariant()}.";
        if (denial is null) context.Succeed(requirement);
        else if (accessor.HttpContext is { } http) http.Items[DenialKey] = denial;
        return Task.CompletedTask;
    }
}

/// <summary><c>RequirePermission(...)</c> for route handlers and groups.</summary>
public static class PermissionExtensions
{
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Role role, string area, Access access)
        where TBuilder : IEndpointConventionBuilder
    {
        var permission = new Permission(role, area, access);
        builder.WithMetadata(permission);
        return builder.RequireAuthorization(policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(permission));
    }
}
