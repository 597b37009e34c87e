using System.Globalization;

namespace LlmOps.Benchmarks.Serving;

/// <summary>The machine's one-minute load average (/proc/loadavg): numbers taken beside other work say so.</summary>
internal static class LoadAverage
{
    public static double Now() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}

/// <summary>Reads a value every few seconds on a background loop, and once more when disposed (load average, a process's RSS).</summary>
internal sealed class Sampler : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly Task loop;
    readonly List<(double Seconds, double Value)> samples = [];
    readonly long started = System.Diagnostics.Stopwatch.GetTimestamp();
    readonly Func<double> read;

    public Sampler(Func<double> read, TimeSpan every)
    {
        this.read = read;
        loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(every);
            try
            {
                do Record();
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Disposed.
            }
        });
    }

    void Record()
    {
        var value = read();
        lock (samples) samples.Add((System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, value));
    }

    /// <summary>(seconds since start, value), oldest first.</summary>
    public IReadOnlyList<(double Seconds, double Value)> Samples
    {
        get { lock (samples) return [.. samples]; }
    }

    /// <summary>min–max (mean) of the values.</summary>
    public string Summary(string format)
    {
        var values = Samples.Select(s => s.Value).ToList();
        if (values.Count == 0) return "-";
        string Format(double value) => value.ToString(format, CultureInfo.InvariantCulture);
        return $"{Format(values.Min())}–{Format(values.Max())} (mean {Format(values.Average())})";
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
        // The last value is the one at the end of the measurement.
        Record();
    }
}

/// <summary>Resident memory of a process, from /proc/PID/status (VmRSS), in bytes.</summary>
internal static class ResidentMemory
{
    public static long Of(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"no VmRSS line for process {pid}");
    }
}

/// <summary>Nearest-rank percentiles of a sample.</summary>
internal static class Percentiles
{
    public static double Of(double[] sorted, double percent) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
