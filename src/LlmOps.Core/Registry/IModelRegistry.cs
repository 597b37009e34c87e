namespace LlmOps.Registry;

/// <summary>The model registry as its users see it, locally or through the server.</summary>
public interface IModelRegistry
{
    Task<RegisteredModel> CreateModelAsync(CreateModel request, CancellationToken cancellationToken = default);
    Task<RegisteredModel> GetModelAsync(string name, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(CancellationToken cancellationToken = default);

    /// <summary>Registers a new immutable version (creating the model if it does not exist yet, as MLflow does).</summary>
    Task<ModelVersion> RegisterVersionAsync(RegisterVersion request, CancellationToken cancellationToken = default);
    Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Finds the version an alias points to (<c>name@prod</c>) or a numbered one (<c>name/3</c>).</summary>
    Task<ModelVersion> ResolveAsync(string reference, CancellationToken cancellationToken = default);

    Task<ModelVersion> RequestApprovalAsync(string name, int version, ApprovalDecision request, CancellationToken cancellationToken = default);
    Task<ModelVersion> ApproveAsync(string name, int version, ApprovalDecision decision, CancellationToken cancellationToken = default);
    Task<ModelVersion> RejectAsync(string name, int version, ApprovalDecision decision, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ApprovalEvent>> ListApprovalEventsAsync(string name, int version, CancellationToken cancellationToken = default);

    /// <summary>Points an environment alias at a version; prod only at an approved one.</summary>
    Task<AliasMove> PromoteAsync(string name, int version, string environment, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<AliasMove>> ListAliasMovesAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>Input to <see cref="IModelRegistry.CreateModelAsync"/>.</summary>
public sealed record CreateModel(string Name, string? Description = null, IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>Input to <see cref="IModelRegistry.RegisterVersionAsync"/>; files reference blobs already in the artifact store.</summary>
public sealed record RegisterVersion(
    string ModelName,
    string Format,
    IReadOnlyList<ArtifactFile>? Files = null,
    string? SourceUri = null,
    ModelLineage? Lineage = null,
    IReadOnlyDictionary<string, double>? Metrics = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? ModelCard = null);

/// <summary>A comment and the evidence behind an approval request or decision.</summary>
public sealed record ApprovalDecision(string Comment, IReadOnlyList<Evidence>? Evidence = null);
