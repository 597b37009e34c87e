namespace LlmOps.Benchmarks.Serving;

/// <summary>The processes of the gateway-overhead setup on loopback: one upstream LlmOps (serving the stub) and one
/// front LlmOps per variant, each a remote version on that upstream.</summary>
internal sealed class LoopbackChain : IAsyncDisposable
{
    LoopbackChain(GatewayNode upstream, IReadOnlyList<GatewayNode> fronts)
    {
        Upstream = upstream;
        Fronts = fronts;
    }

    public GatewayNode Upstream { get; }
    public IReadOnlyList<GatewayNode> Fronts { get; }

    /// <summary>Every node, the upstream first.</summary>
    public IEnumerable<GatewayNode> Nodes => Fronts.Prepend(Upstream);

    public static async Task<LoopbackChain> StartAsync(IReadOnlyList<string> frontVariants)
    {
        var unknown = frontVariants.Where(v => !ServingNode.FrontVariants.ContainsKey(v)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown front variant(s) {string.Join(", ", unknown)}; known: {string.Join(", ", ServingNode.FrontVariants.Keys)}");
        var upstream = await GatewayNode.StartAsync("upstream", ["--role", "upstream"]);
        var fronts = new List<GatewayNode>();
        try
        {
            foreach (var variant in frontVariants)
            {
                fronts.Add(await GatewayNode.StartAsync(frontVariants.Count == 1 ? "front" : "front-" + variant,
                    ["--role", "front", "--variant", variant, "--upstream", upstream.Target.BaseAddress.ToString()],
                    new Dictionary<string, string> { [ServingNode.UpstreamKeyVariable] = upstream.Target.Key }));
            }
        }
        catch
        {
            foreach (var front in fronts) await front.DisposeAsync();
            await upstream.DisposeAsync();
            throw;
        }
        return new LoopbackChain(upstream, fronts);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var front in Fronts) await front.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
