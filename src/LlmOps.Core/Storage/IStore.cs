using LlmOps.Audit;
using LlmOps.Datasets;
using LlmOps.Events;
using LlmOps.Evaluation;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Monitoring;
using LlmOps.Monitoring.Alerts;
using LlmOps.Pipelines;
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
    IDatasetRecords Datasets { get; }
    IPipelineRecords Pipelines { get; }
    IEventRecords Events { get; }
    IEvalRecords Evals { get; }
    IDeploymentRecords Deployments { get; }
    ITraceRecords Traces { get; }
    IAlertRecords Alerts { get; }

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

/// <summary>Dataset versions and their files.</summary>
public interface IDatasetRecords
{
    Task InsertAsync(DatasetVersion version, CancellationToken cancellationToken = default);
    Task<DatasetVersion?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Versions whose id starts with <paramref name="prefix"/>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DatasetVersion>> FindByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default);

    /// <summary>Newest first, optionally of one name.</summary>
    Task<IReadOnlyList<DatasetVersion>> ListAsync(string? name, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<string>> ListReferencedBlobsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Pipeline runs, their step states and logs.</summary>
public interface IPipelineRecords
{
    Task InsertRunAsync(PipelineRun run, IReadOnlyList<StepRun> steps, CancellationToken cancellationToken = default);
    Task<PipelineRun?> GetRunAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Newest first, optionally of one pipeline.</summary>
    Task<IReadOnlyList<PipelineRun>> ListRunsAsync(string? pipeline, int limit, CancellationToken cancellationToken = default);
    Task UpdateRunAsync(PipelineRun run, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StepRun>> GetStepsAsync(string runId, CancellationToken cancellationToken = default);
    Task UpdateStepAsync(StepRun step, CancellationToken cancellationToken = default);

    /// <summary>Outputs of the newest succeeded (not cached) step run with this cache key, and the run it belongs to.</summary>
    Task<(string RunId, IReadOnlyDictionary<string, string> Outputs)?> FindCachedAsync(string cacheKey, CancellationToken cancellationToken = default);

    Task UpsertDefinitionAsync(RegisteredPipeline pipeline, CancellationToken cancellationToken = default);
    Task<RegisteredPipeline?> GetDefinitionAsync(string name, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<RegisteredPipeline>> ListDefinitionsAsync(CancellationToken cancellationToken = default);
    Task<bool> DeleteDefinitionAsync(string name, CancellationToken cancellationToken = default);

    Task AppendLogAsync(string runId, string stepId, IReadOnlyList<(DateTimeOffset At, string Line)> lines, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<StepLogLine>> GetLogAsync(string runId, string? stepId, long afterSequence, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Event routing state (how far the audit log has been read) and webhook subscriptions.</summary>
public interface IEventRecords
{
    /// <summary>The last sequence a reader named <paramref name="name"/> has handled, or -1 when it has never run.</summary>
    Task<long> GetCursorAsync(string name, CancellationToken cancellationToken = default);
    Task SetCursorAsync(string name, long sequence, CancellationToken cancellationToken = default);

    Task InsertWebhookAsync(Webhook webhook, CancellationToken cancellationToken = default);
    Task<Webhook?> GetWebhookAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Webhook>> ListWebhooksAsync(CancellationToken cancellationToken = default);
    Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>Evaluation runs and their per-case results.</summary>
public interface IEvalRecords
{
    Task InsertRunAsync(EvalRunRecord run, IReadOnlyList<EvalCaseRecord> cases, CancellationToken cancellationToken = default);
    Task<EvalRunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<EvalRunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Candidate cases, then baseline cases, each in run order.</summary>
    Task<IReadOnlyList<EvalCaseRecord>> ListCasesAsync(string runId, CancellationToken cancellationToken = default);
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

/// <summary>Trace records of the gateway and of applications (OTLP), their feedback and scores, and the price table.</summary>
public interface ITraceRecords
{
    /// <summary>Appends records in one statement batch; a record whose (id, shadow) is already stored is skipped. Returns how many were new.</summary>
    Task<int> AppendAsync(IReadOnlyList<TraceRecord> records, CancellationToken cancellationToken = default);

    /// <summary>Records matching the filter, newest first; without prompt, response and attributes unless <paramref name="withContent"/>.</summary>
    Task<IReadOnlyList<TraceRecord>> SearchAsync(TraceFilter filter, bool withContent, CancellationToken cancellationToken = default);

    /// <summary>The records of one id (the answer and its shadow copy).</summary>
    Task<IReadOnlyList<TraceRecord>> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes up to <paramref name="max"/> records older than <paramref name="cutoff"/> and their scores; returns how many.</summary>
    Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default);

    /// <summary>The arrival time of the <paramref name="keep"/>-th newest record, or null when there are no more than that.</summary>
    Task<DateTimeOffset?> NthNewestAsync(long keep, CancellationToken cancellationToken = default);

    Task<long> CountAsync(CancellationToken cancellationToken = default);

    Task InsertFeedbackAsync(TraceFeedback feedback, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<TraceFeedback>> ListFeedbackAsync(string? traceId, DateTimeOffset? since, DateTimeOffset? until, string? deployment, CancellationToken cancellationToken = default);

    /// <summary>Stores scores, replacing an earlier score of the same trace and name.</summary>
    Task UpsertScoresAsync(IReadOnlyList<TraceScore> scores, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<TraceScore>> ListScoresAsync(string? traceId, DateTimeOffset? since, DateTimeOffset? until, string? deployment, CancellationToken cancellationToken = default);

    /// <summary>Adds to the running usage totals of keys (what the gateway served them; never decreases, kept past trace retention).</summary>
    Task AddKeyUsageAsync(IReadOnlyList<KeyUsage> usage, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>A key's usage totals; zeros when it never used the gateway.</summary>
    Task<KeyUsage> GetKeyUsageAsync(string keyId, CancellationToken cancellationToken = default);

    Task UpsertPriceAsync(ModelPrice price, CancellationToken cancellationToken = default);
    Task<bool> DeletePriceAsync(string model, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ModelPrice>> ListPricesAsync(CancellationToken cancellationToken = default);
}

/// <summary>Alert rules, their current state and the history of state changes.</summary>
public interface IAlertRecords
{
    Task UpsertRuleAsync(StoredAlertRule rule, CancellationToken cancellationToken = default);
    Task<StoredAlertRule?> GetRuleAsync(string name, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<StoredAlertRule>> ListRulesAsync(CancellationToken cancellationToken = default);
    Task<bool> DeleteRuleAsync(string name, CancellationToken cancellationToken = default);

    Task<AlertStatus?> GetStatusAsync(string name, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<AlertStatus>> ListStatusAsync(CancellationToken cancellationToken = default);
    Task UpsertStatusAsync(AlertStatus status, CancellationToken cancellationToken = default);

    Task InsertEventAsync(AlertEvent alertEvent, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<AlertEvent>> ListEventsAsync(string? name, int limit, CancellationToken cancellationToken = default);
}
