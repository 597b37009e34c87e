using LlmOps.Events;
using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Audit;

/// <summary><c>/api/webhooks</c>: outbound, signed event deliveries (Admin).</summary>
public static class WebhooksApi
{
    const string Area = "audit";

    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/webhooks").WithTags("Webhooks");
        group.MapPost("/", async (CreateWebhook body, IWebhooks webhooks, CancellationToken ct) =>
            {
                var webhook = await webhooks.CreateAsync(body, ct);
                return TypedResults.Created($"/api/webhooks/{webhook.Id}", webhook);
            })
            .RequirePermission(Role.Admin, Area, Access.Write);
        group.MapGet("/", async (IWebhooks webhooks, CancellationToken ct) => TypedResults.Ok(await webhooks.ListAsync(ct)))
            .RequirePermission(Role.Admin, Area, Access.Read);
        group.MapDelete("/{id}", async (string id, IWebhooks webhooks, CancellationToken ct) =>
            {
                await webhooks.DeleteAsync(id, ct);
                return TypedResults.NoContent();
            })
            .RequirePermission(Role.Admin, Area, Access.Write);
        return group;
    }
}
