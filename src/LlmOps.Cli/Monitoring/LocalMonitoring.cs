using LlmOps.Artifacts;
using LlmOps.Identity;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Monitoring;
using LlmOps.Monitoring.Alerts;
using LlmOps.Monitoring.Drift;
using LlmOps.Server;
using LlmOps.Server.Gateway;
using LlmOps.Server.Monitoring;
using LlmOps.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace LlmOps.Cli.Monitoring;

/// <summary>Monitoring on a data directory, as this session's principal: the Core services on the store for queries, feedback,
/// prices and rules; the server's <see cref="DriftMonitor"/> and <see cref="AlertEvaluator"/> built here, without a host, for
/// <c>drift</c> and <c>alerts evaluate</c>. Query arguments go through the API's own parser, so both modes read them alike.</summary>
public sealed class LocalMonitoring : IMonitoring, IDisposable
{
    readonly IStore store;
    readonly IArtifactStore artifacts;
    readonly Actor actor;
    readonly TimeProvider time;
    readonly TraceWriter traces;
    readonly MonitoringService monitoring;
    readonly AlertService alerts;
    MonitoringMetrics? metrics;
    LlamaModelCache? models;
    ChatRuntimes? runtimes;
    DriftMonitor? drift;

    public LocalMonitoring(IStore store, IArtifactStore artifacts, Actor actor, TimeProvider time)
    {
        this.store = store;
        this.artifacts = artifacts;
        this.actor = actor;
        this.time = time;
        // Only read through: nothing is recorded here, so the writer's loop never runs.
        traces = new TraceWriter(store, new TraceStoreOptions(), time);
        monitoring = new MonitoringService(store, traces, actor, time);
        alerts = new AlertService(store, actor, time);
    }

    public Task<IReadOnlyList<TraceRecord>> SearchTracesAsync(TraceQuery query, CancellationToken cancellationToken = default) =>
        monitoring.SearchAsync(Filter(query), cancellationToken);

    public Task<TraceDetail> GetTraceAsync(string id, CancellationToken cancellationToken = default) => monitoring.GetAsync(id, cancellationToken);

    public Task<IReadOnlyList<TraceStats>> TraceStatsAsync(TraceQuery query, string? bucket, string? groupBy, CancellationToken cancellationToken = default) =>
        monitoring.StatsAsync(Filter(query), TimeArguments.Duration(bucket, "bucket"), groupBy, cancellationToken);

    public Task<TraceFeedback> AddFeedbackAsync(string traceId, FeedbackInput input, CancellationToken cancellationToken = default) =>
        monitoring.AddFeedbackAsync(traceId, input, cancellationToken);

    public Task<IReadOnlyList<FeedbackSummary>> FeedbackSummaryAsync(string? since, string? until, string? deployment, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return monitoring.FeedbackSummaryAsync(TimeArguments.Instant(since, "since", now), TimeArguments.Instant(until, "until", now), deployment, cancellationToken);
    }

    public Task<IReadOnlyList<ModelPrice>> ListPricesAsync(CancellationToken cancellationToken = default) => monitoring.ListPricesAsync(cancellationToken);

    // A running server's trace writer reads the price table again within 30 s.
    public Task<ModelPrice> SetPriceAsync(string model, PriceInput input, CancellationToken cancellationToken = default) =>
        monitoring.SetPriceAsync(model, input, cancellationToken);

    public Task RemovePriceAsync(string model, CancellationToken cancellationToken = default) => monitoring.RemovePriceAsync(model, cancellationToken);

    public Task<IReadOnlyList<AlertView>> ListAlertsAsync(CancellationToken cancellationToken = default) => alerts.ListAsync(cancellationToken);

    public Task<StoredAlertRule> SetAlertAsync(string name, AlertRuleInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return alerts.SetAsync(input.ToRule(name, time.GetUtcNow()), cancellationToken);
    }

    public Task RemoveAlertAsync(string name, CancellationToken cancellationToken = default) => alerts.RemoveAsync(name, cancellationToken);

    public Task<IReadOnlyList<AlertEvent>> AlertHistoryAsync(string? name, int limit, CancellationToken cancellationToken = default) =>
        alerts.HistoryAsync(name, limit, cancellationToken);

    /// <summary>One pass of the server's evaluator over the data directory's rules. Fire and resolve are audit entries, so a server
    /// on this data directory (now or when it next starts) routes them to webhooks and alert pipelines from its event cursor.</summary>
    public Task<IReadOnlyList<AlertEvent>> EvaluateAlertsAsync(CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, MonitoringService.Area, Access.Write);
        var evaluator = new AlertEvaluator(store, new ServerOptions(), Drift(), Metrics(), time, NullLogger<AlertEvaluator>.Instance);
        return evaluator.EvaluateOnceAsync(cancellationToken);
    }

    public Task<DriftReport> DriftAsync(DriftQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        actor.Demand(Role.Viewer, MonitoringService.Area, Access.Read);
        // Read as GET /api/drift reads its query: same names, same default window, same errors.
        return MonitoringApi.DriftAsync(Query(query.Parameters()), Drift(), time.GetUtcNow(), cancellationToken);
    }

    TraceFilter Filter(TraceQuery query) => MonitoringApi.Filter(Query(query.Parameters()), time.GetUtcNow());

    static QueryCollection Query(IEnumerable<KeyValuePair<string, string>> parameters) =>
        new(parameters.ToDictionary(p => p.Key, p => new StringValues(p.Value), StringComparer.Ordinal));

    // The gauges these set are this process's and end with it; the server's /metrics shows its own evaluations.
    MonitoringMetrics Metrics() => metrics ??= new MonitoringMetrics(traces);

    // Drift embeds with the builtin all-MiniLM-L6-v2 (loaded on first use); no GGUF model is ever loaded by this cache.
    DriftMonitor Drift()
    {
        if (drift is not null) return drift;
        models = new LlamaModelCache(new LlamaCppOptions(), time);
        runtimes = new ChatRuntimes(store, artifacts, models);
        return drift = new DriftMonitor(traces, store, runtimes, Metrics());
    }

    public void Dispose()
    {
        runtimes?.Dispose();
        models?.Dispose();
    }
}
