namespace LlmOps.Monitoring.Alerts;

/// <summary>An alert rule, as Prometheus writes them: a condition on a monitoring figure over a window, true for long enough.</summary>
/// <param name="Name">The rule's name; a pipeline trigger <c>alert: NAME</c> starts on it, webhooks get <c>alert.fire</c>.</param>
/// <param name="Expr">The condition, <c>FIGURE OP NUMBER</c>: e.g. <c>error_rate &gt; 0.05</c>, <c>latency_p99 &gt; 2000</c>,
/// <c>feedback_avg &lt; 0.6</c>, <c>eval_score &lt; 0.8</c>, <c>cost &gt; 10</c>, <c>drift_share &gt;= 0.5</c>.</param>
/// <param name="Deployment">Only this deployment's traffic (<c>endpoint@environment</c>); null: all of it.</param>
/// <param name="Window">The figure is computed over the last this long.</param>
/// <param name="For">The condition must hold this long before the alert fires (0: at once).</param>
/// <param name="Description">What it means and what to do, for the person who gets it.</param>
/// <param name="Reference">For drift figures: the reference window (start and end).</param>
/// <param name="Enabled">Disabled rules are not evaluated.</param>
public sealed record AlertRule(
    string Name,
    string Expr,
    string? Deployment = null,
    TimeSpan? Window = null,
    TimeSpan? For = null,
    string? Description = null,
    AlertReference? Reference = null,
    bool Enabled = true)
{
    public TimeSpan EffectiveWindow => Window ?? TimeSpan.FromMinutes(5);

    public TimeSpan EffectiveFor => For ?? TimeSpan.Zero;
}

/// <summary>A fixed reference window for drift rules.</summary>
public sealed record AlertReference(DateTimeOffset Since, DateTimeOffset Until);

/// <summary>States of an alert, as Prometheus names them.</summary>
public static class AlertStates
{
    public const string Ok = "ok";
    public const string Pending = "pending";
    public const string Firing = "firing";
}

/// <summary>Where a rule stands now.</summary>
/// <param name="Name">The rule.</param>
/// <param name="State"><see cref="AlertStates"/>.</param>
/// <param name="Value">The figure at the last evaluation (null when there was no data).</param>
/// <param name="Since">When the rule entered this state.</param>
/// <param name="EvaluatedAt">The last evaluation.</param>
/// <param name="Message">What the last evaluation saw.</param>
public sealed record AlertStatus(string Name, string State, double? Value, DateTimeOffset Since, DateTimeOffset EvaluatedAt, string? Message);

/// <summary>A recorded change of an alert's state.</summary>
public sealed record AlertEvent(string Id, string Name, string From, string To, double? Value, string? Message, DateTimeOffset At);

/// <summary>A stored rule with who made it.</summary>
public sealed record StoredAlertRule(AlertRule Rule, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A rule as a person writes it (API body, YAML): durations like <c>5m</c>, instants in ISO 8601.</summary>
public sealed record AlertRuleInput(
    string? Expr = null,
    string? Deployment = null,
    string? Window = null,
    string? For = null,
    string? Description = null,
    AlertReferenceInput? Reference = null,
    bool? Enabled = null)
{
    /// <summary>The rule named <paramref name="name"/>; throws <see cref="InvalidInputException"/> naming a bad field.</summary>
    public AlertRule ToRule(string name, DateTimeOffset now) => AlertService.Validate(new AlertRule(
        name,
        Expr ?? throw new InvalidInputException("expr", "a condition like 'error_rate > 0.05' is required."),
        Deployment,
        TimeArguments.Duration(Window, "window"),
        For is "0" or "0s" ? TimeSpan.Zero : TimeArguments.Duration(For, "for"),
        Description,
        Reference is null ? null : new AlertReference(
            TimeArguments.Instant(Reference.Since, "reference.since", now) ?? throw new InvalidInputException("reference.since", "required."),
            TimeArguments.Instant(Reference.Until, "reference.until", now) ?? throw new InvalidInputException("reference.until", "required.")),
        Enabled ?? true));
}

/// <summary>A reference window as a person writes it.</summary>
public sealed record AlertReferenceInput(string? Since, string? Until);
