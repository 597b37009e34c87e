namespace LlmOps.Identity;

/// <summary>A stored API key: everything but the secret, which is kept only as a slow salted hash.</summary>
public sealed record ApiKey(
    string Id,
    string Name,
    Role Role,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;

    /// <summary>The principal this key authenticates as.</summary>
    public Actor ToActor() => new(Id, Name, Role, Scopes);
}

/// <summary>A key as returned once at creation, with its plaintext.</summary>
public sealed record CreatedApiKey(ApiKey Key, string Secret);

/// <summary>The stored hash of a key's secret.</summary>
public sealed record ApiKeyHash(string Salt, string Hash, int Iterations);
