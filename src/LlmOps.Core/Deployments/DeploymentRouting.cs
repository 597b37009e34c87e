namespace LlmOps.Deployments;

/// <summary>The canary decision: which of a deployment's versions answers a request, in proportion to the weights.</summary>
public static class DeploymentRouting
{
    /// <summary>Picks a version for a uniform draw <paramref name="u"/> in [0, 1).</summary>
    public static WeightedVersion Choose(DeploymentSpec spec, double u)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var total = spec.Versions.Sum(v => v.Weight);
        var point = u * total;
        foreach (var version in spec.Versions)
        {
            if (point < version.Weight) return version;
            point -= version.Weight;
        }
        return spec.Versions.Last(v => v.Weight > 0);
    }

    /// <summary>The order in which versions are tried: the chosen one, then the fallback chain (without repeats).</summary>
    public static IReadOnlyList<VersionRef> Chain(DeploymentSpec spec, WeightedVersion chosen)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(chosen);
        var chain = new List<VersionRef> { new(chosen.Model, chosen.Version) };
        foreach (var fallback in spec.Fallbacks ?? [])
        {
            if (!chain.Contains(fallback)) chain.Add(fallback);
        }
        return chain;
    }
}
