using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Audit;

/// <summary><c>/api/audit</c>: reading and verifying the hash-chained audit log (Admin).</summary>
public static class AuditApi
{
    const string Area = "audit";

    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/audit").WithTags("Audit");
        group.MapGet("/", async (long? after, int? limit, IAuditTrail audit, CancellationToken ct) =>
                TypedResults.Ok(await audit.ListAsync(after ?? 0, limit ?? 100, ct)))
            .RequirePermission(Role.Admin, Area, Access.Read);
        group.MapGet("/verify", async (IAuditTrail audit, CancellationToken ct) => TypedResults.Ok(await audit.VerifyAsync(ct)))
            .RequirePermission(Role.Admin, Area, Access.Read);
        return group;
    }
}
