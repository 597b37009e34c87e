namespace LlmOps.Identity;

/// <summary>Scope strings: <c>*</c>, an area (<c>models</c>) or an area with access (<c>models:read</c>); for the gateway
/// also deployments, <c>gateway:ENDPOINT@ENVIRONMENT</c> where either side may be <c>*</c> (<c>gateway:chat@qa</c>, <c>gateway:*@dev</c>).</summary>
public static class ApiScopes
{
    public const string All = "*";

    /// <summary>The API areas a scope can name.</summary>
    public static IReadOnlyList<string> Areas { get; } = ["models", "datasets", "runs", "pipelines", "artifacts", "keys", "audit", "gateway", "deployments", "monitoring"];

    /// <summary>Throws <see cref="InvalidInputException"/> for a scope that names no known area or access.</summary>
    public static void Validate(IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (scope == All) continue;
            var parts = scope.Split(':');
            if (parts.Length == 2 && parts[0] == Gateway && IsDeploymentPattern(parts[1])) continue;
            if (parts.Length > 2 || !Areas.Contains(parts[0]) || (parts.Length == 2 && parts[1] is not ("read" or "write")))
                throw new InvalidInputException("scopes", $"unknown scope '{scope}'; use '*', an area ({string.Join(", ", Areas)}), area:read / area:write, or gateway:ENDPOINT@ENVIRONMENT ('*' for any).");
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
            // A gateway scope narrowed to deployments admits the area; which deployments is checked per request.
            if (area == Gateway && access == Access.Read && scope.StartsWith(Gateway + ":", StringComparison.Ordinal) && IsDeploymentPattern(scope[(Gateway.Length + 1)..])) return true;
        }
        return false;
    }

    public const string Gateway = "gateway";

    /// <summary>True when the scopes let a key call the deployment <paramref name="endpoint"/>@<paramref name="environment"/> through the gateway.</summary>
    public static bool AdmitsDeployment(IEnumerable<string> scopes, string endpoint, string environment)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (scope is All or Gateway or "gateway:read" or "gateway:write") return true;
            if (!scope.StartsWith(Gateway + ":", StringComparison.Ordinal)) continue;
            var pattern = scope[(Gateway.Length + 1)..];
            if (!IsDeploymentPattern(pattern)) continue;
            var at = pattern.IndexOf('@', StringComparison.Ordinal);
            var (e, v) = (pattern[..at], pattern[(at + 1)..]);
            if ((e == "*" || e == endpoint) && (v == "*" || v == environment)) return true;
        }
        return false;
    }

    static bool IsDeploymentPattern(string pattern)
    {
        var at = pattern.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == pattern.Length - 1 || pattern.IndexOf('@', at + 1) >= 0) return false;
        var environment = pattern[(at + 1)..];
        return environment is "*" or "dev" or "qa" or "prod";
    }
}
