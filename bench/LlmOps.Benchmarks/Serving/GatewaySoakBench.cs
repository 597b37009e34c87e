using System.Globalization;

namespace LlmOps.Benchmarks.Serving;

/// <summary>Issue "Serving" (d): the front gateway's resident memory over a long run of the gateway-overhead load
/// (open loop, through the front to the upstream LlmOps), sampled from /proc/PID/status, with the error count.</summary>
internal static class GatewaySoakBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var rate = BenchArgs.Value(args, "--rate", 200.0);
        // Ten minutes after a five-minute warm-up: the front's RSS settles only after 4–5 minutes (bench/README.md, (d)).
        var seconds = BenchArgs.Value(args, "--seconds", 900.0);
        var warmup = BenchArgs.Value(args, "--warmup", 300.0);
        var every = BenchArgs.Value(args, "--sample", 5.0);
        var variant = BenchArgs.Text(args, "--front", "default");
        if (seconds <= warmup) throw new ArgumentException("--seconds must be longer than --warmup");

        await using var chain = await LoopbackChain.StartAsync([variant]);
        var front = chain.Fronts[0];
        using var load = new OpenLoopLoad();
        var target = front.Target with { Name = "via " + front.Name };
        await load.CheckAsync([target]);
        Console.WriteLine(string.Create(inv,
            $"open loop {rate:0} requests/s through the front for {seconds:0} s (first {warmup:0} s warm-up); front rss {front.Process.ResidentBytes / 1e6:0.0} MB at start; load average {LoadAverage.Now():0.00}"));
        var loadAverage = new Sampler(LoadAverage.Now, TimeSpan.FromSeconds(every));
        var frontRss = new Sampler(() => front.Process.ResidentBytes / 1e6, TimeSpan.FromSeconds(every));
        var upstreamRss = new Sampler(() => chain.Upstream.Process.ResidentBytes / 1e6, TimeSpan.FromSeconds(every));
        // The front's managed heap beside its RSS: whether growth is objects kept alive or memory the runtime holds.
        var managed = new List<ServingNode.NodeMemory>();
        var frontHeap = new Sampler(() =>
        {
            var memory = front.MemoryAsync().GetAwaiter().GetResult();
            lock (managed) managed.Add(memory);
            return memory.HeapSizeBytes / 1e6;
        }, TimeSpan.FromSeconds(every));
        LoadSample[] samples;
        try
        {
            samples = await load.RunAsync([target], rate, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            await frontRss.DisposeAsync();
            await frontHeap.DisposeAsync();
            await upstreamRss.DisposeAsync();
            await loadAverage.DisposeAsync();
        }

        var rss = frontRss.Samples;
        var baseline = rss.First(s => s.Seconds >= warmup);
        var end = rss[^1];
        var after = rss.Where(s => s.Seconds >= warmup).Select(s => s.Value).ToList();
        var change = (end.Value - baseline.Value) / baseline.Value * 100;
        var widest = after.Max(v => Math.Abs(v - baseline.Value)) / baseline.Value * 100;
        Console.WriteLine("front rss (MB) every minute: " + string.Join(", ",
            rss.GroupBy(s => (int)(s.Seconds / 60)).Select(g => string.Create(inv, $"{g.Key}m {g.First().Value:0.0}"))) + string.Create(inv, $", end {end.Value:0.0}"));
        var heap = frontHeap.Samples;
        Console.WriteLine("front managed heap at the last collection (MB) every minute: " + string.Join(", ",
            heap.GroupBy(s => (int)(s.Seconds / 60)).Select(g => string.Create(inv, $"{g.Key}m {g.First().Value:0.0}"))) + string.Create(inv, $", end {heap[^1].Value:0.0}"));
        lock (managed)
        {
            Console.WriteLine(string.Create(inv,
                $"front gc: committed {managed[0].CommittedBytes / 1e6:0.0} → {managed[^1].CommittedBytes / 1e6:0.0} MB; collections gen0 {managed[^1].Gen0 - managed[0].Gen0}, gen1 {managed[^1].Gen1 - managed[0].Gen1}, gen2 {managed[^1].Gen2 - managed[0].Gen2} during the run"));
        }
        Console.WriteLine(string.Create(inv,
            $"front rss after warm-up ({baseline.Seconds:0} s) {baseline.Value:0.0} MB, at the end ({end.Seconds:0} s) {end.Value:0.0} MB: {change:+0.0;-0.0} %; min {after.Min():0.0} MB, max {after.Max():0.0} MB (widest {widest:0.0} % from the warm-up value)"));
        var secondHalf = rss.Where(s => s.Seconds >= seconds / 2).Select(s => s.Value).ToList();
        Console.WriteLine(string.Create(inv,
            $"front rss over the second half: {secondHalf.Min():0.0}–{secondHalf.Max():0.0} MB ({(secondHalf.Max() - secondHalf.Min()) / secondHalf.Average() * 100:0.0} % of its mean)"));
        Console.WriteLine($"upstream rss (MB): {upstreamRss.Summary("0.0")}; load average during the run: {loadAverage.Summary("0.00")}");
        var summary = LatencySummary.Of(samples, 0, target.Name, warmup);
        Console.WriteLine("  " + summary);
        foreach (var (name, count) in load.Errors.OrderByDescending(e => e.Value).Take(10)) Console.WriteLine($"  error ×{count}: {name}");
        // The issue's figure is the change from the warm-up value to the end; the widest excursion on the way is printed beside it.
        var errors = samples.Count(s => !s.Ok);
        var met = Math.Abs(change) <= 5 && errors == 0;
        Console.WriteLine(string.Create(inv,
            $"memory flat (±5 %) and zero errors: {(met ? "met" : "NOT met")} (end vs warm-up {change:+0.0;-0.0} %, errors {errors}; every sample within ±5 %: {(widest <= 5 ? "yes" : "no")}, widest {widest:0.0} %)"));
        return met ? 0 : 1;
    }
}
