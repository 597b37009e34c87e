using LlmOps.Events;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlEventRecords(SqlSession session) : IEventRecords
{
    public async Task<long> GetCursorAsync(string name, CancellationToken cancellationToken = default) =>
        await session.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(sequence), -1) FROM event_cursors WHERE name = @name", new { name }, cancellationToken);

    public Task SetCursorAsync(string name, long sequence, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO event_cursors (name, sequence) VALUES (@name, @sequence)
            ON CONFLICT (name) DO UPDATE SET sequence = excluded.sequence
            """, new { name, sequence }, cancellationToken);

    public Task InsertWebhookAsync(Webhook webhook, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("INSERT INTO webhooks (id, url, secret, events, created_at, created_by) VALUES (@Id, @Url, @Secret, @Events, @CreatedAt, @CreatedBy)",
            new { webhook.Id, webhook.Url, webhook.Secret, Events = Write(webhook.Events), CreatedAt = Millis(webhook.CreatedAt), webhook.CreatedBy }, cancellationToken);

    public async Task<Webhook?> GetWebhookAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<WebhookRow>("SELECT id, url, secret, events, created_at, created_by FROM webhooks WHERE id = @id", new { id }, cancellationToken))?.ToWebhook();

    public async Task<IReadOnlyList<Webhook>> ListWebhooksAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<WebhookRow>("SELECT id, url, secret, events, created_at, created_by FROM webhooks ORDER BY created_at, id", null, cancellationToken))
            .Select(r => r.ToWebhook()).ToList();

    public async Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken = default) =>
        await session.ExecuteAsync("DELETE FROM webhooks WHERE id = @id", new { id }, cancellationToken) > 0;

    sealed class WebhookRow
    {
        public string Id { get; set; } = "";
        public string Url { get; set; } = "";
        public string Secret { get; set; } = "";
        public string Events { get; set; } = "[]";
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";

        public Webhook ToWebhook() => new(Id, Url, Secret, Read<List<string>>(Events, []), Time(CreatedAt), CreatedBy);
    }
}
