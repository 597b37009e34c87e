using LlmOps.Monitoring;
using LlmOps.Monitoring.Alerts;
using LlmOps.Monitoring.Drift;

namespace LlmOps.Cli.Monitoring;

/// <summary>Monitoring as the commands see it: traces, feedback, prices, alerts and drift, on a data directory
/// (<see cref="LocalMonitoring"/>) or through a server's <c>/api</c> (<see cref="Remote.LlmOpsClient"/>).
/// Time arguments stay text (<c>1h</c> or ISO 8601) so the side that runs the query reads them against its own clock,
/// and errors name the same fields either way (the API's query parameter names).</summary>
public interface IMonitoring
{
    Task<IReadOnlyList<TraceRecord>> SearchTracesAsync(TraceQuery query, CancellationToken cancellationToken = default);

    Task<TraceDetail> GetTraceAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TraceStats>> TraceStatsAsync(TraceQuery query, string? bucket, string? groupBy, CancellationToken cancellationToken = default);

    Task<TraceFeedback> AddFeedbackAsync(string traceId, FeedbackInput input, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<FeedbackSummary>> FeedbackSummaryAsync(string? since, string? until, string? deployment, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ModelPrice>> ListPricesAsync(CancellationToken cancellationToken = default);

    Task<ModelPrice> SetPriceAsync(string model, PriceInput input, CancellationToken cancellationToken = default);

    Task RemovePriceAsync(string model, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AlertView>> ListAlertsAsync(CancellationToken cancellationToken = default);

    Task<StoredAlertRule> SetAlertAsync(string name, AlertRuleInput input, CancellationToken cancellationToken = default);

    Task RemoveAlertAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>State changes of one rule, or of every rule when <paramref name="name"/> is null; newest first.</summary>
    Task<IReadOnlyList<AlertEvent>> AlertHistoryAsync(string? name, int limit, CancellationToken cancellationToken = default);

    /// <summary>Evaluates every enabled rule now; returns the state changes made.</summary>
    Task<IReadOnlyList<AlertEvent>> EvaluateAlertsAsync(CancellationToken cancellationToken = default);

    Task<DriftReport> DriftAsync(DriftQuery query, CancellationToken cancellationToken = default);
}

/// <summary>A trace query as the API's query string takes it; null fields are left out.</summary>
public sealed record TraceQuery(
    string? Since = null,
    string? Until = null,
    string? Deployment = null,
    string? Version = null,
    string? Key = null,
    string? Status = null,
    string? Text = null,
    string? Source = null,
    string? TraceId = null,
    bool Shadow = false,
    int? Limit = null)
{
    /// <summary>The query parameters of <c>GET /api/traces</c>, by the API's names.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters()
    {
        var parameters = new List<KeyValuePair<string, string>>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value)) parameters.Add(new(name, value));
        }
        Add("since", Since);
        Add("until", Until);
        Add("deployment", Deployment);
        Add("version", Version);
        Add("key", Key);
        Add("status", Status);
        Add("text", Text);
        Add("source", Source);
        Add("traceId", TraceId);
        if (Shadow) Add("shadow", "true");
        Add("limit", Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return parameters;
    }
}

/// <summary>A drift comparison: the deployment, its reference (a window of its traffic, or an evaluation run's cases) and the current
/// window (default: the last hour).</summary>
public sealed record DriftQuery(string Deployment, string? ReferenceSince, string? ReferenceUntil, string? Since = null, string? Until = null, string? ReferenceEvalRun = null)
{
    /// <summary>The query parameters of <c>GET /api/drift</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters() =>
        new KeyValuePair<string, string?>[]
        {
            new("deployment", Deployment), new("referenceSince", ReferenceSince), new("referenceUntil", ReferenceUntil), new("since", Since), new("until", Until),
            new("referenceEvalRun", ReferenceEvalRun),
        }.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => new KeyValuePair<string, string>(p.Key, p.Value!)).ToList();
}
