using System.Security.Cryptography;
using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Storage;

namespace LlmOps.Events;

/// <summary>Webhook subscriptions (Admin): events are delivered signed with HMAC-SHA256, retried with back-off.</summary>
public sealed class WebhookService(IStore store, Actor actor, TimeProvider timeProvider) : IWebhooks
{
    const string Area = "audit";

    public async Task<Webhook> CreateAsync(CreateWebhook request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor.Demand(Role.Admin, Area, Access.Write);
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidInputException("url", $"'{request.Url}' is not an http(s) URL.");
        if (request.Events is not { Count: > 0 }) throw new InvalidInputException("events", "subscribe to at least one event ('*' for all).");
        var secret = string.IsNullOrEmpty(request.Secret) ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : request.Secret;
        var webhook = new Webhook(Guid.CreateVersion7().ToString("N"), uri.ToString(), secret, request.Events,
            DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds()), actor.Id);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        await session.Events.InsertWebhookAsync(webhook, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "webhook.create", "webhook", webhook.Id, null, new { webhook.Url, webhook.Events }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return webhook;
    }

    public async Task<IReadOnlyList<Webhook>> ListAsync(CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Admin, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return (await session.Events.ListWebhooksAsync(cancellationToken)).Select(w => w with { Secret = "(hidden)" }).ToList();
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Admin, Area, Access.Write);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        if (!await session.Events.DeleteWebhookAsync(id, cancellationToken)) throw new NotFoundException("webhook", id);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "webhook.delete", "webhook", id, null, null, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }
}

/// <summary>Webhook administration, locally or through the server.</summary>
public interface IWebhooks
{
    /// <summary>Creates a subscription; the returned secret (given or generated) is shown only here.</summary>
    Task<Webhook> CreateAsync(CreateWebhook request, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Webhook>> ListAsync(CancellationToken cancellationToken = default);
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>Input to <see cref="IWebhooks.CreateAsync"/>.</summary>
public sealed record CreateWebhook(string Url, IReadOnlyList<string> Events, string? Secret = null);
