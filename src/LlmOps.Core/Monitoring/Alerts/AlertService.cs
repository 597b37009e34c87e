using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Storage;

namespace LlmOps.Monitoring.Alerts;

/// <summary>Alert rules: validated, stored, audited; their state and history read back.</summary>
public sealed class AlertService(IStore store, Actor actor, TimeProvider timeProvider)
{
    public const string Area = MonitoringService.Area;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first bad field of a rule.</summary>
    public static AlertRule Validate(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Registry.ModelRegistry.ValidateName(rule.Name, "name");
        var expression = AlertExpression.Parse(rule.Expr);
        if (rule.Window is { } window && (window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromDays(31)))
            throw new InvalidInputException("window", "must be between 1 second and 31 days.");
        if (rule.For is { } holdFor && (holdFor < TimeSpan.Zero || holdFor > TimeSpan.FromDays(7)))
            throw new InvalidInputException("for", "must be between 0 and 7 days.");
        if (rule.Deployment is { } deployment && deployment.LastIndexOf('@') <= 0)
            throw new InvalidInputException("deployment", $"'{deployment}' is not ENDPOINT@ENVIRONMENT.");
        if (expression.Figure.StartsWith("drift_", StringComparison.Ordinal))
        {
            if (rule.Reference is not { } reference) throw new InvalidInputException("reference", $"{expression.Figure} compares against a reference window: give reference.since and reference.until.");
            if (reference.Until <= reference.Since) throw new InvalidInputException("reference.until", "must be after reference.since.");
            if (rule.Deployment is null) throw new InvalidInputException("deployment", "drift is measured per deployment: name one.");
        }
        return rule;
    }

    public async Task<StoredAlertRule> SetAsync(AlertRule rule, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, Area, Access.Write);
        Validate(rule);
        var stored = new StoredAlertRule(rule, timeProvider.GetUtcNow(), actor.Id);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var before = await session.Alerts.GetRuleAsync(rule.Name, cancellationToken);
        await session.Alerts.UpsertRuleAsync(stored, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "alert.rule.set", "alert", rule.Name, before?.Rule, rule, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, Area, Access.Write);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var before = await session.Alerts.GetRuleAsync(name, cancellationToken) ?? throw new NotFoundException("alert rule", name);
        await session.Alerts.DeleteRuleAsync(name, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "alert.rule.remove", "alert", name, before.Rule, null, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }

    /// <summary>Every rule with its current state (ok until first evaluated).</summary>
    public async Task<IReadOnlyList<AlertView>> ListAsync(CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var states = (await session.Alerts.ListStatusAsync(cancellationToken)).ToDictionary(s => s.Name, StringComparer.Ordinal);
        return (await session.Alerts.ListRulesAsync(cancellationToken))
            .Select(r => new AlertView(r.Rule, states.GetValueOrDefault(r.Rule.Name) ?? new AlertStatus(r.Rule.Name, AlertStates.Ok, null, r.CreatedAt, r.CreatedAt, null), r.CreatedBy))
            .ToList();
    }

    public async Task<AlertView> GetAsync(string name, CancellationToken cancellationToken = default) =>
        (await ListAsync(cancellationToken)).FirstOrDefault(a => a.Rule.Name == name) ?? throw new NotFoundException("alert rule", name);

    public async Task<IReadOnlyList<AlertEvent>> HistoryAsync(string? name, int limit, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        if (limit is < 1 or > 10_000) throw new InvalidInputException("limit", "must be between 1 and 10000.");
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        if (name is not null && await session.Alerts.GetRuleAsync(name, cancellationToken) is null) throw new NotFoundException("alert rule", name);
        return await session.Alerts.ListEventsAsync(name, limit, cancellationToken);
    }
}

/// <summary>A rule with where it stands.</summary>
public sealed record AlertView(AlertRule Rule, AlertStatus Status, string CreatedBy);
