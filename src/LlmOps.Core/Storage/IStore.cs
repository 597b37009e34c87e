using LlmOps.Audit;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Runs;

namespace LlmOps.Storage;

/// <summary>The one storage contract: a database of registry, runs, keys and audit, opened as sessions.</summary>
/// <remarks>Providers: SQLite (embedded default) and PostgreSQL. A conformance suite runs against both.</remarks>
public interface IStore : IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    string Provider { get; }

    /// <summary>Applies pending schema migrations; safe to call from several processes at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Opens a session. A write session holds the store's writer lock until committed or disposed, so
    /// checks and writes inside it see no concurrent change; disposing without commit rolls everything back.</summary>
    Task<IStoreSession> OpenAsync(bool write, CancellationToken cancellationToken = default);
}

/// <summary>A unit of work over the store; see <see cref="IStore.OpenAsync"/>.</summary>
public interface IStoreSession : IAsyncDisposable
{
    IModelRecords Models { get; }
    IRunRecords Runs { get; }
    IApiKeyRecords Keys { get; }
    IAuditRecords Audit { get; }
    IDeploymentRecords Deployments { get; }

    /// <summary>Makes the session's writes durable and releases the writer lock.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>Registered models, versions, approvals and aliases.</summary>
public interface IModelRecords
{
    Task<RegisteredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(CancellationToken cancellationToken = default);
    Task InsertModelAsync(RegisteredModel model, CancellationToken cancellationToken = default);
    Task UpdateModelAsync(RegisteredModel model, CancellationToken cancellationToken = default);

    Task<int> GetLatestVersionNumberAsync(string modelName, CancellationToken cancellationToken = default);
    Task<ModelVersion?> GetVersionAsync(string modelName, int version, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string modelName, CancellationToken cancellationToken = default);
    Task InsertVersionAsync(ModelVersion version, CancellationToken cancellationToken = default);
    Task SetApprovalStateAsync(string modelName, int version, ApprovalState state, CancellationToken cancellationToken = default);

    Task InsertApprovalEventAsync(ApprovalEvent approvalEvent, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ApprovalEvent>> ListApprovalEventsAsync(string modelName, int version, CancellationToken cancellationToken = default);

    /// <summary>Points an alias at the move's target version (removes it when that is null) and records the move.</summary>
    Task SetAliasAsync(AliasMove move, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<AliasMove>> ListAliasMovesAsync(string modelName, CancellationToken cancellationToken = default);

    /// <summary>SHA-256 of every blob a model version references.</summary>
    Task<IReadOnlyList<string>> ListReferencedBlobsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Tracked runs, their metric series and artifacts.</summary>
public interface IRunRecords
{
    Task InsertRunAsync(Run run, CancellationToken cancellationToken = default);
    Task<Run?> GetRunAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);
    Task UpdateRunAsync(Run run, CancellationToken cancellationToken = default);

    Task InsertMetricsAsync(string runId, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<MetricPoint>> GetMetricSeriesAsync(string runId, string name, CancellationToken cancellationToken = default);
    Task<IReadOnlyDictionary<string, MetricPoint>> GetLatestMetricsAsync(string runId, CancellationToken cancellationToken = default);

    Task UpsertArtifactAsync(string runId, ArtifactFile file, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ArtifactFile>> ListArtifactsAsync(string runId, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<string>> ListReferencedBlobsAsync(CancellationToken cancellationToken = default);
}

/// <summary>A filter over runs; newest first.</summary>
public sealed record RunQuery(string? Experiment = null, RunStatus? Status = null, string? ParentRunId = null, int Limit = 100);

/// <summary>API keys and their hashes.</summary>
public interface IApiKeyRecords
{
    Task InsertAsync(ApiKey key, ApiKeyHash hash, CancellationToken cancellationToken = default);
    Task<(ApiKey Key, ApiKeyHash Hash)?> GetAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default);
    Task RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);
    Task<int> CountActiveAsync(CancellationToken cancellationToken = default);
}

/// <summary>The append-only audit log. Appends happen only inside write sessions, which serialise them.</summary>
public interface IAuditRecords
{
    Task<AuditEntry?> GetLastAsync(CancellationToken cancellationToken = default);
    Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default);
    IAsyncEnumerable<AuditEntry> ReadAllAsync(CancellationToken cancellationToken = default);
    Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>The sequence and hash of the newest entry as recorded when it was appended (detects removal at the tail).</summary>
    Task<(long Sequence, string Hash)?> GetHeadAsync(CancellationToken cancellationToken = default);
}

/// <summary>Deployment revisions; the newest revision of an endpoint is its current state.</summary>
public interface IDeploymentRecords
{
    Task InsertAsync(Deployment deployment, CancellationToken cancellationToken = default);
    Task<Deployment?> GetLatestAsync(string environment, string endpoint, CancellationToken cancellationToken = default);
    Task<Deployment?> GetAsync(string environment, string endpoint, int revision, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Deployment>> ListRevisionsAsync(string environment, string endpoint, CancellationToken cancellationToken = default);

    /// <summary>The newest revision of every endpoint, by environment then endpoint.</summary>
    Task<IReadOnlyList<Deployment>> ListLatestAsync(CancellationToken cancellationToken = default);
}
