using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hangfire;
using LlmOps.Audit;
using LlmOps.Pipelines;
using LlmOps.Server.Pipelines.Steps;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Pipelines;

/// <summary>Routes events to triggers and webhooks. The audit log is the event log: every change is in it, in order, durably.
/// The router reads it past its cursor under the writer lock (so one router acts at a time, across machines), enqueues a
/// Hangfire job per trigger firing or webhook delivery, then moves the cursor: at-least-once, nothing lost on a crash.</summary>
public sealed class EventRouter(PlatformServices platform, IBackgroundJobClient jobs, IRecurringJobManager recurring, JobStorage storage, ILogger<EventRouter> logger) : BackgroundService
{
    public const string CursorName = "event-router";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await SyncCronAsync(stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RouteOnceAsync(stoppingToken);
            }
            catch (StorageException exception) when (exception.IsTransient)
            {
                // Busy store: next tick.
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                Log.EventRoutingFailed(logger, exception);
            }
        }
    }

    /// <summary>On the very first start of a store, routes from now on rather than replaying the whole history.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var session = await platform.Store.OpenAsync(write: true, cancellationToken);
        if (await session.Events.GetCursorAsync(CursorName, cancellationToken) >= 0) return;
        await session.Events.SetCursorAsync(CursorName, (await session.Audit.GetLastAsync(cancellationToken))?.Sequence ?? 0, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }

    /// <summary>Handles the audit entries written since the last call; returns how many jobs were enqueued.</summary>
    public async Task<int> RouteOnceAsync(CancellationToken cancellationToken = default)
    {
        var enqueued = 0;
        var cronChanged = false;
        // A cheap look first, so an idle router does not take the writer lock every second.
        await using (var look = await platform.Store.OpenAsync(write: false, cancellationToken))
        {
            var seen = await look.Events.GetCursorAsync(CursorName, cancellationToken);
            if (seen < 0 || ((await look.Audit.GetLastAsync(cancellationToken))?.Sequence ?? 0) <= seen) return 0;
        }
        await using (var session = await platform.Store.OpenAsync(write: true, cancellationToken))
        {
            var cursor = await session.Events.GetCursorAsync(CursorName, cancellationToken);
            if (cursor < 0) return 0; // not initialised yet: InitializeAsync runs at start-up
            var entries = await session.Audit.ListAsync(cursor, 500, cancellationToken);
            if (entries.Count == 0) return 0;
            var pipelines = (await session.Pipelines.ListDefinitionsAsync(cancellationToken)).Select(p => PipelineParser.Parse(p.Yaml)).ToList();
            var webhooks = await session.Events.ListWebhooksAsync(cancellationToken);
            foreach (var entry in entries)
            {
                cronChanged |= entry.Action is "pipeline.register" or "pipeline.remove";
                foreach (var pipeline in pipelines)
                {
                    foreach (var trigger in pipeline.Triggers)
                    {
                        if (Matches(trigger, entry) is not { } match) continue;
                        var name = pipeline.Name;
                        var sequence = entry.Sequence;
                        jobs.Enqueue<PipelineTriggerJob>(job => job.FireAsync(name, $"{trigger.Kind}:{trigger.Value}", match, sequence));
                        enqueued++;
                    }
                }
                foreach (var webhook in webhooks.Where(w => w.Wants(entry.Action)))
                {
                    var id = webhook.Id;
                    var sequence = entry.Sequence;
                    jobs.Enqueue<WebhookDeliveryJob>(job => job.DeliverAsync(id, sequence, CancellationToken.None));
                    enqueued++;
                }
            }
            await session.Events.SetCursorAsync(CursorName, entries[^1].Sequence, cancellationToken);
            await session.CommitAsync(cancellationToken);
        }
        if (cronChanged) await SyncCronAsync(cancellationToken);
        return enqueued;
    }

    /// <summary>For a trigger that matches the entry, the value handed to the run (a dataset version id, or "" when none).</summary>
    static string? Matches(PipelineTrigger trigger, AuditEntry entry) => trigger.Kind switch
    {
        "dataset" when entry.Action == "dataset.register" && NameOf(entry.After) == trigger.Value => entry.EntityId,
        "registry" when entry.Action == trigger.Value => entry.EntityId,
        "alert" when entry.Action == "alert.fire" && entry.EntityId == trigger.Value => entry.EntityId,
        _ => null,
    };

    static string? NameOf(string? json)
    {
        if (json is null) return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("name", out var name) ? name.GetString() : null;
    }

    /// <summary>One Hangfire recurring job per registered pipeline with a cron trigger; none for the others.</summary>
    public async Task SyncCronAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<RegisteredPipeline> registered;
        await using (var session = await platform.Store.OpenAsync(write: false, cancellationToken))
            registered = await session.Pipelines.ListDefinitionsAsync(cancellationToken);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pipeline in registered)
        {
            var definition = PipelineParser.Parse(pipeline.Yaml);
            foreach (var (cron, index) in definition.Triggers.Where(t => t.Kind == "cron").Select((t, i) => (t.Value, i)))
            {
                var id = RecurringId(definition.Name, index);
                wanted.Add(id);
                var name = definition.Name;
                recurring.AddOrUpdate<PipelineTriggerJob>(id, job => job.FireAsync(name, $"cron:{cron}", "", 0), cron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
            }
        }
        using var connection = storage.GetConnection();
        foreach (var job in Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection))
        {
            if (job.Id.StartsWith("pipeline:", StringComparison.Ordinal) && !wanted.Contains(job.Id)) recurring.RemoveIfExists(job.Id);
        }
    }

    public static string RecurringId(string pipeline, int index) => $"pipeline:{pipeline}:cron{index}";
}

/// <summary>Starts a registered pipeline for a trigger, one run at a time: a firing while a run of it is unfinished is skipped,
/// so a pipeline triggered by an event it causes does not pile up runs.</summary>
public sealed class PipelineTriggerJob(PipelineEngine engine, PlatformServices platform, ILogger<PipelineTriggerJob> logger)
{
    [AutomaticRetry(Attempts = 3)]
    public async Task FireAsync(string pipeline, string trigger, string? value, long sequence)
    {
        RegisteredPipeline? registered;
        await using (var session = await platform.Store.OpenAsync(write: false))
        {
            registered = await session.Pipelines.GetDefinitionAsync(pipeline);
            if (registered is null) return;
            if ((await session.Pipelines.ListRunsAsync(pipeline, 20)).Any(r => !r.IsFinished))
            {
                Log.TriggerSkipped(logger, pipeline, trigger);
                return;
            }
        }
        var definition = PipelineParser.Parse(registered.Yaml);
        var parameters = new Dictionary<string, string>();
        if (!string.IsNullOrEmpty(value) && trigger.StartsWith("dataset:", StringComparison.Ordinal) && definition.Parameters.ContainsKey("dataset_version"))
            parameters["dataset_version"] = value;
        await engine.StartRegisteredAsync(pipeline, parameters, null, sequence > 0 ? $"{trigger}#{sequence}" : trigger);
    }
}

/// <summary>Delivers one event to one webhook: JSON body, <c>X-LlmOps-Event</c>, <c>X-LlmOps-Delivery</c> and
/// <c>X-LlmOps-Signature: sha256=HMAC(body)</c>. A failure is retried by Hangfire with growing delays; serving never waits on it.</summary>
public sealed class WebhookDeliveryJob(PlatformServices platform, IHttpClientFactory httpClients)
{
    [AutomaticRetry(Attempts = 8, DelaysInSeconds = [5, 15, 60, 120, 300, 600, 1800, 3600])]
    public async Task DeliverAsync(string webhookId, long sequence, CancellationToken cancellationToken)
    {
        Events.Webhook? webhook;
        AuditEntry? entry;
        await using (var session = await platform.Store.OpenAsync(write: false, cancellationToken))
        {
            webhook = await session.Events.GetWebhookAsync(webhookId, cancellationToken);
            entry = (await session.Audit.ListAsync(sequence - 1, 1, cancellationToken)).FirstOrDefault();
        }
        if (webhook is null || entry is null || entry.Sequence != sequence) return;
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            delivery = $"{webhookId}-{sequence}",
            @event = entry.Action,
            sequence = entry.Sequence,
            at = entry.At,
            actor = entry.ActorId,
            entityType = entry.EntityType,
            entityId = entry.EntityId,
            before = entry.Before is null ? (JsonElement?)null : JsonDocument.Parse(entry.Before).RootElement,
            after = entry.After is null ? (JsonElement?)null : JsonDocument.Parse(entry.After).RootElement,
        }, LlmOpsJson.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-LlmOps-Event", entry.Action);
        request.Headers.Add("X-LlmOps-Delivery", $"{webhookId}-{sequence}");
        request.Headers.Add(NotifyStep.SignatureHeader, "sha256=" + NotifyStep.Sign(body, webhook.Secret));
        using var client = httpClients.CreateClient(nameof(WebhookDeliveryJob));
        client.Timeout = TimeSpan.FromSeconds(10);
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"webhook {webhook.Url} answered {(int)response.StatusCode} for event {sequence}; Hangfire will retry.");
    }
}
