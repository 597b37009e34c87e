using System.Text.Json;
using LlmOps.Cli.Monitoring;
using LlmOps.Monitoring;
using LlmOps.Monitoring.Alerts;
using LlmOps.Monitoring.Drift;

namespace LlmOps.Cli.Remote;

/// <summary>The monitoring routes (<c>/api/traces</c>, <c>/api/feedback</c>, <c>/api/prices</c>, <c>/api/alerts</c>, <c>/api/drift</c>).</summary>
public sealed partial class LlmOpsClient : IMonitoring
{
    public Task<IReadOnlyList<TraceRecord>> SearchTracesAsync(TraceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return SendAsync<IReadOnlyList<TraceRecord>>(HttpMethod.Get, "api/traces" + Query(query.Parameters()), null, cancellationToken);
    }

    public Task<TraceDetail> GetTraceAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<TraceDetail>(HttpMethod.Get, $"api/traces/{Esc(id)}", null, cancellationToken);

    public Task<IReadOnlyList<TraceStats>> TraceStatsAsync(TraceQuery query, string? bucket, string? groupBy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = query.Parameters().ToList();
        if (bucket is not null) parameters.Add(new("bucket", bucket));
        if (groupBy is not null) parameters.Add(new("groupBy", groupBy));
        return SendAsync<IReadOnlyList<TraceStats>>(HttpMethod.Get, "api/traces/stats" + Query(parameters), null, cancellationToken);
    }

    public Task<TraceFeedback> AddFeedbackAsync(string traceId, FeedbackInput input, CancellationToken cancellationToken = default) =>
        SendAsync<TraceFeedback>(HttpMethod.Post, $"api/traces/{Esc(traceId)}/feedback", input, cancellationToken);

    public Task<IReadOnlyList<FeedbackSummary>> FeedbackSummaryAsync(string? since, string? until, string? deployment, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<FeedbackSummary>>(HttpMethod.Get, "api/feedback/summary" + Query(Present(("since", since), ("until", until), ("deployment", deployment))), null, cancellationToken);

    public Task<IReadOnlyList<ModelPrice>> ListPricesAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ModelPrice>>(HttpMethod.Get, "api/prices", null, cancellationToken);

    public Task<ModelPrice> SetPriceAsync(string model, PriceInput input, CancellationToken cancellationToken = default) =>
        SendAsync<ModelPrice>(HttpMethod.Put, $"api/prices/{Esc(model)}", input, cancellationToken);

    public Task RemovePriceAsync(string model, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"api/prices/{Esc(model)}", null, cancellationToken);

    public Task<IReadOnlyList<AlertView>> ListAlertsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<AlertView>>(HttpMethod.Get, "api/alerts", null, cancellationToken);

    public Task<StoredAlertRule> SetAlertAsync(string name, AlertRuleInput input, CancellationToken cancellationToken = default) =>
        SendAsync<StoredAlertRule>(HttpMethod.Put, $"api/alerts/{Esc(name)}", input, cancellationToken);

    public Task RemoveAlertAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"api/alerts/{Esc(name)}", null, cancellationToken);

    public Task<IReadOnlyList<AlertEvent>> AlertHistoryAsync(string? name, int limit, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<AlertEvent>>(HttpMethod.Get, (name is null ? "api/alerts/events" : $"api/alerts/{Esc(name)}/events") + $"?limit={limit}", null, cancellationToken);

    public Task<IReadOnlyList<AlertEvent>> EvaluateAlertsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<AlertEvent>>(HttpMethod.Post, "api/alerts/evaluate", null, cancellationToken);

    public Task<DriftReport> DriftAsync(DriftQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return SendAsync<DriftReport>(HttpMethod.Get, "api/drift" + Query(query.Parameters()), null, cancellationToken);
    }

    static IEnumerable<KeyValuePair<string, string>> Present(params (string Name, string? Value)[] parameters) =>
        parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => new KeyValuePair<string, string>(p.Name, p.Value!));

    static string Query(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var joined = string.Join('&', parameters.Select(p => $"{Esc(p.Key)}={Esc(p.Value)}"));
        return joined.Length == 0 ? "" : "?" + joined;
    }
}
