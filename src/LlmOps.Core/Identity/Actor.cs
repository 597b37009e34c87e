namespace LlmOps.Identity;

/// <summary>The principal performing an operation: an API key's owner, or the local admin of a data directory.</summary>
/// <param name="Id">Stable identifier recorded in the audit log (the key id, or <c>local</c>).</param>
/// <param name="Name">Human-readable name given when the key was created.</param>
/// <param name="Role">Highest role held.</param>
/// <param name="Scopes">API areas this principal may use; <c>*</c> means all.</param>
public sealed record Actor(string Id, string Name, Role Role, IReadOnlyList<string> Scopes)
{
    /// <summary>The principal of CLI commands run directly on a data directory.</summary>
    public static Actor LocalAdmin { get; } = new("local", "local admin", Role.Admin, [ApiScopes.All]);

    /// <summary>True when this principal holds <paramref name="role"/> or a higher one.</summary>
    public bool Has(Role role) => Role >= role;

    /// <summary>True when a scope admits <paramref name="area"/> with the given access.</summary>
    public bool CanUse(string area, Access access) => ApiScopes.Admits(Scopes, area, access);

    /// <summary>Throws <see cref="PermissionDeniedException"/> unless the role and scope allow the operation.</summary>
    public void Demand(Role role, string area, Access access)
    {
        if (!Has(role))
            throw new PermissionDeniedException($"'{Name}' ({Id}) holds role {Role}; this needs {role}.");
        if (!CanUse(area, access))
            throw new PermissionDeniedException($"'{Name}' ({Id}) has no scope for {area}:{access.ToString().ToLowerInvariant()}.");
    }
}

/// <summary>Read or write access to an API area.</summary>
public enum Access
{
    Read,
    Write,
}
