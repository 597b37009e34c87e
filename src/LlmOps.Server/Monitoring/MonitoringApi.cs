using LlmOps.Identity;
using LlmOps.Monitoring;
using LlmOps.Monitoring.Drift;
using LlmOps.Monitoring.Alerts;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmOps.Server.Monitoring;

/// <summary><c>/api/traces</c>, <c>/api/feedback</c>, <c>/api/scores</c> and <c>/api/prices</c>: trace queries and aggregates,
/// feedback on traces, online evaluation scores and the price table.</summary>
public static class MonitoringApi
{
    const string Area = MonitoringService.Area;

    public static IEndpointRouteBuilder MapMonitoringApi(this IEndpointRouteBuilder routes)
    {
        var traces = routes.MapGroup("/api/traces").WithTags("Monitoring");
        traces.MapGet("/", async (HttpContext http, MonitoringService monitoring, TimeProvider time, CancellationToken ct) =>
                TypedResults.Ok(await monitoring.SearchAsync(Filter(http.Request.Query, time.GetUtcNow()), ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        traces.MapGet("/stats", async (HttpContext http, MonitoringService monitoring, TimeProvider time, CancellationToken ct) =>
            {
                var query = http.Request.Query;
                var filter = Filter(query, time.GetUtcNow());
                return TypedResults.Ok(await monitoring.StatsAsync(filter, TimeArguments.Duration(query["bucket"], "bucket"), Text(query, "groupBy"), ct));
            })
            .RequirePermission(Role.Viewer, Area, Access.Read);
        traces.MapGet("/{id}", async (string id, MonitoringService monitoring, CancellationToken ct) => TypedResults.Ok(await monitoring.GetAsync(id, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        traces.MapPost("/{id}/feedback", async (string id, FeedbackInput body, MonitoringService monitoring, MonitoringMetrics metrics, CancellationToken ct) =>
            {
                var feedback = await monitoring.AddFeedbackAsync(id, body, ct);
                metrics.FeedbackPosted(feedback);
                return TypedResults.Created($"/api/traces/{id}", feedback);
            })
            .RequirePermission(Role.Viewer, Area, Access.Write);

        routes.MapGet("/api/feedback/summary", async (HttpContext http, MonitoringService monitoring, TimeProvider time, CancellationToken ct) =>
            {
                var (since, until, deployment) = Window(http.Request.Query, time.GetUtcNow());
                return TypedResults.Ok(await monitoring.FeedbackSummaryAsync(since, until, deployment, ct));
            })
            .WithTags("Monitoring").RequirePermission(Role.Viewer, Area, Access.Read);
        routes.MapGet("/api/scores/summary", async (HttpContext http, MonitoringService monitoring, TimeProvider time, CancellationToken ct) =>
            {
                var (since, until, deployment) = Window(http.Request.Query, time.GetUtcNow());
                return TypedResults.Ok(await monitoring.ScoreSummaryAsync(since, until, deployment, ct));
            })
            .WithTags("Monitoring").RequirePermission(Role.Viewer, Area, Access.Read);

        var prices = routes.MapGroup("/api/prices").WithTags("Monitoring");
        prices.MapGet("/", async (MonitoringService monitoring, CancellationToken ct) => TypedResults.Ok(await monitoring.ListPricesAsync(ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        prices.MapPut("/{model}", async (string model, PriceInput body, MonitoringService monitoring, TraceWriter writer, CancellationToken ct) =>
            {
                var price = await monitoring.SetPriceAsync(model, body, ct);
                writer.InvalidatePrices();
                return TypedResults.Ok(price);
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        prices.MapDelete("/{model}", async (string model, MonitoringService monitoring, TraceWriter writer, CancellationToken ct) =>
            {
                await monitoring.RemovePriceAsync(model, ct);
                writer.InvalidatePrices();
                return TypedResults.NoContent();
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        var alerts = routes.MapGroup("/api/alerts").WithTags("Monitoring");
        alerts.MapGet("/", async (AlertService service, CancellationToken ct) => TypedResults.Ok(await service.ListAsync(ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        alerts.MapGet("/events", async (int? limit, AlertService service, CancellationToken ct) => TypedResults.Ok(await service.HistoryAsync(null, limit ?? 100, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        alerts.MapPost("/evaluate", async (AlertEvaluator evaluator, CancellationToken ct) => TypedResults.Ok(await evaluator.EvaluateOnceAsync(ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        alerts.MapGet("/{name}", async (string name, AlertService service, CancellationToken ct) => TypedResults.Ok(await service.GetAsync(name, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);
        alerts.MapPut("/{name}", async (string name, AlertRuleInput body, AlertService service, TimeProvider time, CancellationToken ct) =>
                TypedResults.Ok(await service.SetAsync(body.ToRule(name, time.GetUtcNow()), ct)))
            .RequirePermission(Role.Developer, Area, Access.Write);
        alerts.MapDelete("/{name}", async (string name, AlertService service, CancellationToken ct) =>
            {
                await service.RemoveAsync(name, ct);
                return TypedResults.NoContent();
            })
            .RequirePermission(Role.Developer, Area, Access.Write);
        alerts.MapGet("/{name}/events", async (string name, int? limit, AlertService service, CancellationToken ct) =>
                TypedResults.Ok(await service.HistoryAsync(name, limit ?? 100, ct)))
            .RequirePermission(Role.Viewer, Area, Access.Read);

        routes.MapGet("/api/drift", async (HttpContext http, DriftMonitor drift, TimeProvider time, CancellationToken ct) =>
                TypedResults.Ok(await DriftAsync(http.Request.Query, drift, time.GetUtcNow(), ct)))
            .WithTags("Monitoring").RequirePermission(Role.Viewer, Area, Access.Read);
        return routes;
    }

    /// <summary>The drift comparison a query string asks for: the deployment, a reference window (referenceSince, referenceUntil) or
    /// an evaluation run (referenceEvalRun), and the current window (since, until; default the last hour).</summary>
    public static Task<DriftReport> DriftAsync(IQueryCollection query, DriftMonitor drift, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(drift);
        var deployment = Text(query, "deployment") ?? throw new InvalidInputException("deployment", "name the deployment (endpoint@environment).");
        var since = TimeArguments.Instant(query["since"], "since", now) ?? now.AddHours(-1);
        var until = TimeArguments.Instant(query["until"], "until", now) ?? now;
        if (Text(query, "referenceEvalRun") is { } evalRun) return drift.CompareWithEvalRunAsync(deployment, evalRun, since, until, cancellationToken);
        var referenceSince = TimeArguments.Instant(query["referenceSince"], "referenceSince", now)
            ?? throw new InvalidInputException("referenceSince", "give a reference window (referenceSince and referenceUntil) or referenceEvalRun.");
        var referenceUntil = TimeArguments.Instant(query["referenceUntil"], "referenceUntil", now) ?? throw new InvalidInputException("referenceUntil", "required.");
        return drift.CompareAsync(deployment, referenceSince, referenceUntil, since, until, cancellationToken);
    }

    /// <summary>The trace filter of a query string; bad values are 400s naming the parameter.</summary>
    public static TraceFilter Filter(IQueryCollection query, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (since, until, deployment) = Window(query, now);
        int limit = 100;
        if (Text(query, "limit") is { } l && !int.TryParse(l, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out limit))
            throw new InvalidInputException("limit", $"'{l}' is not a whole number.");
        bool shadow = false;
        if (Text(query, "shadow") is { } s && !bool.TryParse(s, out shadow)) throw new InvalidInputException("shadow", $"'{s}' is not true or false.");
        return new TraceFilter(since, until, deployment, Text(query, "version"), Text(query, "key"), Text(query, "status"), Text(query, "text"),
            Text(query, "source"), Text(query, "traceId"), shadow, limit).Validate();
    }

    static (DateTimeOffset? Since, DateTimeOffset? Until, string? Deployment) Window(IQueryCollection query, DateTimeOffset now) =>
        (TimeArguments.Instant(query["since"], "since", now), TimeArguments.Instant(query["until"], "until", now), Text(query, "deployment"));

    static string? Text(IQueryCollection query, string name) => query[name] is { Count: > 0 } values && !string.IsNullOrEmpty(values[0]) ? values[0] : null;
}
