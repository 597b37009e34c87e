using LlmOps.Artifacts;
using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Artifacts;

/// <summary><c>/api/artifacts</c>: upload and download blobs by SHA-256; garbage collection.</summary>
public static class ArtifactsApi
{
    const string Area = "artifacts";

    public static RouteGroupBuilder MapArtifactsApi(this IEndpointRouteBuilder routes, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var group = routes.MapGroup("/api/artifacts").WithTags("Artifacts");

        // The body streams straight into the store: a file of many GB never sits in memory.
        group.MapPut("/", async (HttpRequest request, IArtifactStore store, CancellationToken ct) =>
                TypedResults.Ok(await store.PutAsync(request.Body, ct)))
            .WithMetadata(new RequestSizeLimitAttribute(options.MaxArtifactBytes))
            .RequirePermission(Role.Developer, Area, Access.Write);
        group.MapGet("/{sha256}", (string sha256, IArtifactStore store) =>
                // Verified while streaming; on a mismatch the connection is aborted, so a client never takes corrupt bytes for whole ones.
                TypedResults.Stream(store.OpenRead(sha256), "application/octet-stream",
                    entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{sha256}\"")))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        group.MapPost("/gc", async (ArtifactGarbageCollector collector, ServerOptions serverOptions, CancellationToken ct) =>
                TypedResults.Ok(await collector.CollectAsync(serverOptions.ArtifactGracePeriod, ct)))
            .RequirePermission(Role.Admin, Area, Access.Write);
        return group;
    }
}
