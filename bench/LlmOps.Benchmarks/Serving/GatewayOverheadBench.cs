using System.Globalization;

namespace LlmOps.Benchmarks.Serving;

/// <summary>Issue "Serving" (c): the latency an LlmOps gateway adds in front of a remote upstream (a second LlmOps on
/// loopback) under an open-loop load, with the error count. Each node is its own process; the targets (upstream
/// directly, then each front variant) take turns in blocks at the same rate.</summary>
internal static class GatewayOverheadBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var rate = BenchArgs.Value(args, "--rate", 200.0);
        var seconds = BenchArgs.Value(args, "--seconds", 60.0);
        var warmup = BenchArgs.Value(args, "--warmup", 10.0);
        var block = BenchArgs.Value(args, "--block", 5.0);
        var variants = BenchArgs.Text(args, "--fronts", "default").Split(',', StringSplitOptions.RemoveEmptyEntries);

        await using var chain = await LoopbackChain.StartAsync(variants);
        using var load = new OpenLoopLoad();
        var targets = chain.Nodes.Select(n => n.Target with { Name = n == chain.Upstream ? "upstream direct" : "via " + n.Name }).ToList();
        await load.CheckAsync(targets);
        var total = warmup + seconds * targets.Count;
        Console.WriteLine(string.Create(inv,
            $"open loop {rate:0} requests/s, non-streaming, max_tokens 1; targets {string.Join(", ", targets.Select(t => t.Name))} in turns of {block:0.#} s; {warmup:0} s warm-up, then {seconds:0} s per target ({total:0} s); load average {LoadAverage.Now():0.00}"));
        var cpuBefore = chain.Nodes.Select(n => n.Process.CpuTime).ToList();
        var loadAverage = new Sampler(LoadAverage.Now, TimeSpan.FromSeconds(5));
        LoadSample[] samples;
        try
        {
            samples = await load.RunAsync(targets, rate, TimeSpan.FromSeconds(total), TimeSpan.FromSeconds(block));
        }
        finally
        {
            await loadAverage.DisposeAsync();
        }
        var nodes = chain.Nodes.ToList();
        for (var i = 0; i < nodes.Count; i++)
        {
            Console.WriteLine(string.Create(inv,
                $"  {nodes[i].Name}: cpu {(nodes[i].Process.CpuTime - cpuBefore[i]).TotalSeconds:0.0} s over the run ({(nodes[i].Process.CpuTime - cpuBefore[i]).TotalMilliseconds / samples.Count(s => nodes[i] == chain.Upstream || s.Target == i):0.00} cpu-ms per request it served), rss {nodes[i].Process.ResidentBytes / 1e6:0} MB"));
        }
        Console.WriteLine($"load average during the run: {loadAverage.Summary("0.00")}");

        var summaries = targets.Select((t, i) => LatencySummary.Of(samples, i, t.Name, warmup)).ToList();
        foreach (var summary in summaries) Console.WriteLine("  " + summary);
        foreach (var (name, count) in load.Errors.OrderByDescending(e => e.Value).Take(10)) Console.WriteLine($"  error ×{count}: {name}");
        var direct = summaries[0];
        var met = true;
        foreach (var front in summaries.Skip(1))
        {
            double p50 = front.P50 - direct.P50, p95 = front.P95 - direct.P95, p99 = front.P99 - direct.P99;
            var ok = p50 <= 1 && p99 <= 5 && front.Errors == 0 && direct.Errors == 0;
            met &= ok;
            Console.WriteLine(string.Create(inv,
                $"added by the gateway ({front.Target}): p50 {p50:+0.000;-0.000} ms (target ≤ 1), p95 {p95:+0.000;-0.000} ms, p99 {p99:+0.000;-0.000} ms (target ≤ 5), errors {front.Errors + direct.Errors} (target 0): {(ok ? "met" : "NOT met")}"));
        }
        // Fronts side by side (e.g. default against notraces): what the first front's configuration adds over each other one.
        foreach (var other in summaries.Skip(2))
        {
            var first = summaries[1];
            Console.WriteLine(string.Create(inv,
                $"{first.Target} against {other.Target}: p50 {first.P50 - other.P50:+0.000;-0.000} ms, p95 {first.P95 - other.P95:+0.000;-0.000} ms, p99 {first.P99 - other.P99:+0.000;-0.000} ms"));
        }
        return met ? 0 : 1;
    }
}
