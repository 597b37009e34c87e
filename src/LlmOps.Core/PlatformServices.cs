using LlmOps.Artifacts;
using LlmOps.Datasets;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Storage;

namespace LlmOps;

/// <summary>The store, the artifact store and the clock, with the Core services for any principal
/// (pipeline steps act as the principal who started the run; an approval acts as the approver).</summary>
public sealed class PlatformServices(IStore store, IArtifactStore artifacts, TimeProvider timeProvider)
{
    public IStore Store { get; } = store;
    public IArtifactStore Artifacts { get; } = artifacts;
    public TimeProvider Time { get; } = timeProvider;

    public IModelRegistry Models(Actor actor) => new ModelRegistry(Store, Artifacts, actor, Time);
    public IDatasetRegistry Datasets(Actor actor) => new DatasetRegistry(Store, Artifacts, actor, Time);
    public IRunTracker Runs(Actor actor) => new RunTracker(Store, Artifacts, actor, Time);
}
