using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Monitoring;
using LlmOps.Monitoring.Alerts;
using LlmOps.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Monitoring;

/// <summary>Evaluates every alert rule each interval, as Prometheus does: a condition that holds makes the rule pending, one that
/// has held for the rule's <c>for</c> makes it firing, one that stops holding returns it to ok. Each change is an alert event;
/// firing and resolving are also audit entries (<c>alert.fire</c>, <c>alert.resolve</c>), which the event router turns into
/// signed webhook deliveries (retried with back-off, never on the request path) and runs of pipelines triggered by <c>alert: NAME</c>.</summary>
public sealed class AlertEvaluator(IStore store, ServerOptions options, DriftMonitor drift, MonitoringMetrics metrics, TimeProvider time,
    ILogger<AlertEvaluator> logger) : BackgroundService
{
    /// <summary>The principal alert changes are recorded under.</summary>
    public static readonly Actor AlertManager = new("alertmanager", "alert evaluator", Role.Admin, [ApiScopes.All]);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.AlertInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await EvaluateOnceAsync(stoppingToken);
            }
            catch (StorageException exception) when (exception.IsTransient)
            {
                // Busy store: next tick.
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                Log.AlertEvaluationFailed(logger, exception);
            }
        }
    }

    /// <summary>Evaluates every enabled rule once; returns the state changes made.</summary>
    public async Task<IReadOnlyList<AlertEvent>> EvaluateOnceAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<StoredAlertRule> rules;
        await using (var look = await store.OpenAsync(write: false, cancellationToken))
            rules = await look.Alerts.ListRulesAsync(cancellationToken);
        var changes = new List<AlertEvent>();
        foreach (var rule in rules.Select(r => r.Rule).Where(r => r.Enabled))
        {
            var expression = AlertExpression.Parse(rule.Expr);
            var value = await FigureAsync(rule, expression.Figure, cancellationToken);
            if (await ApplyAsync(rule, expression, value, cancellationToken) is { } change) changes.Add(change);
        }
        return changes;
    }

    async Task<AlertEvent?> ApplyAsync(AlertRule rule, AlertExpression expression, double? value, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var holds = expression.Holds(value);
        var seen = value is { } v ? $"{expression.Figure} = {v:0.####} ({expression})" : $"{expression.Figure}: no data";
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var status = await session.Alerts.GetStatusAsync(rule.Name, cancellationToken) ?? new AlertStatus(rule.Name, AlertStates.Ok, null, now, now, null);
        var next = (status.State, holds) switch
        {
            (AlertStates.Ok, true) => rule.EffectiveFor <= TimeSpan.Zero ? AlertStates.Firing : AlertStates.Pending,
            (AlertStates.Pending, true) => now - status.Since >= rule.EffectiveFor ? AlertStates.Firing : AlertStates.Pending,
            (AlertStates.Firing, true) => AlertStates.Firing,
            _ => AlertStates.Ok,
        };
        await session.Alerts.UpsertStatusAsync(new AlertStatus(rule.Name, next, value, next == status.State ? status.Since : now, now, seen), cancellationToken);
        AlertEvent? change = null;
        if (next != status.State)
        {
            change = new AlertEvent("ae-" + Guid.CreateVersion7().ToString("N"), rule.Name, status.State, next, value, seen, now);
            await session.Alerts.InsertEventAsync(change, cancellationToken);
            if (next == AlertStates.Firing || status.State == AlertStates.Firing)
            {
                var action = next == AlertStates.Firing ? "alert.fire" : "alert.resolve";
                await AuditTrail.AppendAsync(session, time, AlertManager, action, "alert", rule.Name,
                    new { state = status.State }, new { state = next, value, message = seen, rule.Expr, rule.Deployment, rule.Description }, cancellationToken);
            }
        }
        await session.CommitAsync(cancellationToken);
        metrics.AlertState.Set(next switch { AlertStates.Firing => 2, AlertStates.Pending => 1, _ => 0 }, rule.Name);
        if (value is { } shown) metrics.AlertValue.Set(shown, rule.Name);
        if (change is not null) Log.AlertChanged(logger, rule.Name, change.From, change.To, seen);
        return change;
    }

    /// <summary>The figure a rule watches, over its window (and deployment); null when there is no data.</summary>
    public async Task<double?> FigureAsync(AlertRule rule, string figure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var until = time.GetUtcNow();
        var since = until - rule.EffectiveWindow;
        if (figure.StartsWith("drift_", StringComparison.Ordinal))
        {
            try
            {
                var report = await drift.CompareAsync(rule.Deployment!, rule.Reference!.Since, rule.Reference.Until, since, until, cancellationToken);
                return figure == "drift_share" ? report.DriftShare : report.Drifted ? 1 : 0;
            }
            catch (InvalidInputException)
            {
                return null; // a window with too few samples to judge: no data
            }
        }
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        switch (figure)
        {
            case "feedback_avg" or "feedback_count":
                var feedback = await session.Traces.ListFeedbackAsync(null, since, until, rule.Deployment, cancellationToken);
                if (figure == "feedback_count") return feedback.Count;
                var scored = feedback.Where(f => f.Score is not null).ToList();
                return scored.Count == 0 ? null : scored.Average(f => f.Score!.Value);
            case "eval_score" or "eval_pass_rate":
                var scores = await session.Traces.ListScoresAsync(null, since, until, rule.Deployment, cancellationToken);
                if (scores.Count == 0) return null;
                return figure == "eval_score" ? scores.Average(s => s.Score) : scores.Count(s => s.Passed) / (double)scores.Count;
        }
        var records = await session.Traces.SearchAsync(new TraceFilter(since, until, rule.Deployment, Limit: MonitoringService.MaxStatsRecords), withContent: false, cancellationToken);
        var stats = TraceStatistics.Summarize(since, until, null, records);
        if (figure == "requests") return stats.Requests;
        if (figure == "cost") return stats.Cost;
        if (stats.Requests == 0) return null;
        return figure switch
        {
            "error_rate" => stats.ErrorRate,
            "latency_p50" => stats.LatencyMs?.P50,
            "latency_p95" => stats.LatencyMs?.P95,
            "latency_p99" => stats.LatencyMs?.P99,
            "ttft_p50" => stats.TimeToFirstTokenMs?.P50,
            "ttft_p95" => stats.TimeToFirstTokenMs?.P95,
            "ttft_p99" => stats.TimeToFirstTokenMs?.P99,
            "tokens_per_second" => stats.TokensPerSecond,
            _ => throw new InvalidInputException("expr", $"unknown figure '{figure}'."),
        };
    }
}
