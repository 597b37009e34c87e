namespace LlmOps.Identity;

/// <summary>Scope strings: <c>*</c>, an area (<c>models</c>) or an area with access (<c>models:read</c>).</summary>
public static class ApiScopes
{
    public const string All = "*";

    /// <summary>The API areas a scope can name.</summary>
    public static IReadOnlyList<string> Areas { get; } = ["models", "runs", "artifacts", "keys", "audit", "gateway", "deployments"];

    /// <summary>Throws <see cref="InvalidInputException"/> for a scope that names no known area or access.</summary>
    public static void Validate(IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (scope == All) continue;
            var parts = scope.Split(':');
            if (parts.Length > 2 || !Areas.Contains(parts[0]) || (parts.Length == 2 && parts[1] is not ("read" or "write")))
                throw new InvalidInputException("scopes", $"unknown scope '{scope}'; use '*', an area ({string.Join(", ", Areas)}) or area:read / area:write.");
        }
    }

    /// <summary>True when any scope admits the area with the access; write scopes admit reads.</summary>
    public static bool Admits(IEnumerable<string> scopes, string area, Access access)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (scope == All || scope == area) return true;
            if (scope == $"{area}:write") return true;
            if (scope == $"{area}:read" && access == Access.Read) return true;
        }
        return false;
    }
}
