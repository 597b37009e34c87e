using LlmOps.Audit;
using LlmOps.Storage;

namespace LlmOps.Identity;

/// <summary>Creates, lists and revokes API keys (Admin only); every change audited.</summary>
public sealed class ApiKeyService(IStore store, Actor actor, TimeProvider timeProvider) : IApiKeys
{
    const string Area = "keys";

    public async Task<CreatedApiKey> CreateAsync(CreateApiKey request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor.Demand(Role.Admin, Area, Access.Write);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var created = await CreateAsync(session, actor, timeProvider, request, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return created;
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Admin, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Keys.ListAsync(cancellationToken);
    }

    public async Task<ApiKey> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Admin, Area, Access.Write);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var found = await session.Keys.GetAsync(id, cancellationToken) ?? throw new NotFoundException("api key", id);
        if (found.Key.IsRevoked) throw new RuleViolationException("key-revoked", $"key {id} is already revoked.");
        var at = DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        await session.Keys.RevokeAsync(id, at, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "key.revoke", "api_key", id, null, new { revokedAt = at }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return found.Key with { RevokedAt = at };
    }

    /// <summary>Creates the first admin key when the store has no active key; returns null when keys already exist.</summary>
    public static async Task<CreatedApiKey?> BootstrapAdminAsync(IStore store, TimeProvider timeProvider, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        if (await session.Keys.CountActiveAsync(cancellationToken) > 0) return null;
        var created = await CreateAsync(session, Actor.LocalAdmin, timeProvider, new CreateApiKey("admin", Role.Admin), cancellationToken);
        await session.CommitAsync(cancellationToken);
        return created;
    }

    static async Task<CreatedApiKey> CreateAsync(IStoreSession session, Actor actor, TimeProvider timeProvider, CreateApiKey request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
            throw new InvalidInputException("name", "a key needs a name of 1-100 characters.");
        if (!Enum.IsDefined(request.Role))
            throw new InvalidInputException("role", $"unknown role '{request.Role}'; use Viewer, Developer, Approver or Admin.");
        var scopes = request.Scopes is { Count: > 0 } ? request.Scopes : [ApiScopes.All];
        ApiScopes.Validate(scopes);
        var (id, plaintext) = ApiKeySecrets.Generate();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        var key = new ApiKey(id, request.Name, request.Role, scopes, at, actor.Id, null);
        await session.Keys.InsertAsync(key, ApiKeySecrets.Hash(plaintext), cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "key.create", "api_key", id, null, key, cancellationToken);
        return new CreatedApiKey(key, plaintext);
    }
}
