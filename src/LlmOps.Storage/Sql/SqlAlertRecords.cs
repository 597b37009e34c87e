using LlmOps.Monitoring.Alerts;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlAlertRecords(SqlSession session) : IAlertRecords
{
    public Task UpsertRuleAsync(StoredAlertRule rule, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO alert_rules (name, spec, created_at, created_by) VALUES (@Name, @Spec, @CreatedAt, @CreatedBy)
            ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, created_at = excluded.created_at, created_by = excluded.created_by
            """, new { rule.Rule.Name, Spec = Write(rule.Rule), CreatedAt = Millis(rule.CreatedAt), rule.CreatedBy }, cancellationToken);

    public async Task<StoredAlertRule?> GetRuleAsync(string name, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<RuleRow>("SELECT name, spec, created_at, created_by FROM alert_rules WHERE name = @name", new { name }, cancellationToken))?.ToRule();

    public async Task<IReadOnlyList<StoredAlertRule>> ListRulesAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<RuleRow>("SELECT name, spec, created_at, created_by FROM alert_rules ORDER BY name", null, cancellationToken)).Select(r => r.ToRule()).ToList();

    public async Task<bool> DeleteRuleAsync(string name, CancellationToken cancellationToken = default)
    {
        await session.ExecuteAsync("DELETE FROM alert_states WHERE name = @name", new { name }, cancellationToken);
        return await session.ExecuteAsync("DELETE FROM alert_rules WHERE name = @name", new { name }, cancellationToken) > 0;
    }

    public async Task<AlertStatus?> GetStatusAsync(string name, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<StatusRow>("SELECT name, state, value, since, evaluated_at, message FROM alert_states WHERE name = @name", new { name }, cancellationToken))?.ToStatus();

    public async Task<IReadOnlyList<AlertStatus>> ListStatusAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<StatusRow>("SELECT name, state, value, since, evaluated_at, message FROM alert_states ORDER BY name", null, cancellationToken)).Select(r => r.ToStatus()).ToList();

    public Task UpsertStatusAsync(AlertStatus status, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO alert_states (name, state, value, since, evaluated_at, message) VALUES (@Name, @State, @Value, @Since, @EvaluatedAt, @Message)
            ON CONFLICT (name) DO UPDATE SET state = excluded.state, value = excluded.value, since = excluded.since,
                evaluated_at = excluded.evaluated_at, message = excluded.message
            """, new { status.Name, status.State, status.Value, Since = Millis(status.Since), EvaluatedAt = Millis(status.EvaluatedAt), status.Message }, cancellationToken);

    public Task InsertEventAsync(AlertEvent alertEvent, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO alert_events (id, name, from_state, to_state, value, message, at) VALUES (@Id, @Name, @From, @To, @Value, @Message, @At)
            """, new { alertEvent.Id, alertEvent.Name, alertEvent.From, alertEvent.To, alertEvent.Value, alertEvent.Message, At = Millis(alertEvent.At) }, cancellationToken);

    public async Task<IReadOnlyList<AlertEvent>> ListEventsAsync(string? name, int limit, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<EventRow>($"""
            SELECT id, name, from_state, to_state, value, message, at FROM alert_events
            {(name is null ? "" : "WHERE name = @name")} ORDER BY at DESC, id DESC LIMIT @limit
            """, new { name, limit }, cancellationToken))
            .Select(r => new AlertEvent(r.Id, r.Name, r.FromState, r.ToState, r.Value, r.Message, Time(r.At))).ToList();

    sealed class RuleRow
    {
        public string Name { get; set; } = "";
        public string Spec { get; set; } = "{}";
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";

        public StoredAlertRule ToRule() => new(Read<AlertRule>(Spec, null!) ?? throw new IntegrityException($"alert rule {Name} has no spec."), Time(CreatedAt), CreatedBy);
    }

    sealed class StatusRow
    {
        public string Name { get; set; } = "";
        public string State { get; set; } = "";
        public double? Value { get; set; }
        public long Since { get; set; }
        public long EvaluatedAt { get; set; }
        public string? Message { get; set; }

        public AlertStatus ToStatus() => new(Name, State, Value, Time(Since), Time(EvaluatedAt), Message);
    }

    sealed class EventRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string FromState { get; set; } = "";
        public string ToState { get; set; } = "";
        public double? Value { get; set; }
        public string? Message { get; set; }
        public long At { get; set; }
    }
}
