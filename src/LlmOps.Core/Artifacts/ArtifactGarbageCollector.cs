using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Storage;

namespace LlmOps.Artifacts;

/// <summary>Deletes blobs that no model version, dataset version or run references (Admin only).</summary>
public sealed class ArtifactGarbageCollector(IStore store, IArtifactStore artifacts, Actor actor, TimeProvider timeProvider)
{
    /// <summary>Runs under the writer lock, so no registration can start referencing a blob while it is deleted;
    /// blobs younger than <paramref name="gracePeriod"/> are kept (uploaded, not yet registered).</summary>
    public async Task<GarbageCollection> CollectAsync(TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Admin, "artifacts", Access.Write);
        if (gracePeriod < TimeSpan.Zero) throw new InvalidInputException("gracePeriod", "must not be negative.");
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var referenced = new HashSet<string>(await session.Models.ListReferencedBlobsAsync(cancellationToken), StringComparer.Ordinal);
        referenced.UnionWith(await session.Runs.ListReferencedBlobsAsync(cancellationToken));
        referenced.UnionWith(await session.Datasets.ListReferencedBlobsAsync(cancellationToken));
        var result = await artifacts.CollectGarbageAsync(referenced, gracePeriod, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "artifact.gc", "artifact_store", "sha256", null, result, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return result;
    }
}
