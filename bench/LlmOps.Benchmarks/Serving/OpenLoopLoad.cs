using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmOps.Benchmarks.Serving;

/// <summary>Where load goes: an OpenAI-compatible base address, its key and the model to name.</summary>
internal sealed record LoadTarget(string Name, Uri BaseAddress, string Key, string Model);

/// <summary>One request: its target, when it was due (seconds from the start), how late it was sent, how long it took, whether it succeeded.</summary>
internal readonly record struct LoadSample(int Target, double DueSeconds, double LagMs, double LatencyMs, bool Ok);

/// <summary>Open-loop load: non-streaming chat completions (<c>max_tokens</c> 1) sent on a fixed schedule of
/// <c>rate</c> per second whether or not earlier ones have answered, so a slow server meets more load, not less.
/// Targets take turns in blocks of a few seconds, so each sees the same rate and the same drift of the machine.</summary>
/// <remarks>One shared <see cref="HttpClient"/> on a <see cref="SocketsHttpHandler"/> with pooled keep-alive connections.
/// A dedicated thread keeps the schedule and hands each request to the thread pool; latency is measured from just
/// before <c>SendAsync</c> to the end of the response body, and the lag between due and sent is kept to show whether
/// the generator kept up.</remarks>
internal sealed class OpenLoopLoad : IDisposable
{
    readonly HttpClient http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        MaxConnectionsPerServer = 1024,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    { Timeout = TimeSpan.FromSeconds(10) };

    readonly ConcurrentDictionary<string, int> errors = new(StringComparer.Ordinal);

    /// <summary>Distinct error messages with how often each occurred.</summary>
    public IReadOnlyDictionary<string, int> Errors => errors;

    /// <summary>One request to each target, to fail fast when a node is not serving.</summary>
    public async Task CheckAsync(IReadOnlyList<LoadTarget> targets)
    {
        foreach (var target in targets)
        {
            using var response = await SendAsync(target, Body(target));
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{target.Name}: HTTP {(int)response.StatusCode}: {body}");
        }
    }

    /// <summary>The target of block <paramref name="block"/>: cycles of all targets, every other one with the targets after the first reversed.</summary>
    static int Target(long block, int targets)
    {
        var position = (int)(block % targets);
        var reversed = block / targets % 2 == 1;
        return reversed && position > 0 ? targets - position : position;
    }

    /// <summary>Sends <paramref name="rate"/> requests per second for <paramref name="duration"/> in blocks: the request due at
    /// second s falls in block b = ⌊s / block⌋, which goes to target b mod the number of targets — with the targets after the
    /// first in reverse order on every other cycle (0, 1, 2, 0, 2, 1, …), so no target always follows the same one (the
    /// third of three measured ~1 ms worse at p99 whichever it was). Returns every request once all have ended.</summary>
    public async Task<LoadSample[]> RunAsync(IReadOnlyList<LoadTarget> targets, double rate, TimeSpan duration, TimeSpan block)
    {
        var count = (int)(rate * duration.TotalSeconds);
        var samples = new LoadSample[count];
        var bodies = targets.Select(Body).ToArray();
        var pending = count;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var period = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        var schedule = new Thread(() =>
        {
            for (var i = 0; i < count; i++)
            {
                var due = start + (long)(i * period);
                WaitUntil(due);
                var index = i;
                var target = Target((long)(i / rate / block.TotalSeconds), targets.Count);
                _ = Task.Run(async () =>
                {
                    samples[index] = await TimeOneAsync(targets[target], target, bodies[target], index / rate, due);
                    if (Interlocked.Decrement(ref pending) == 0) done.SetResult();
                });
            }
        })
        { IsBackground = true, Name = "open-loop schedule" };
        schedule.Start();
        await done.Task;
        return samples;
    }

    async Task<LoadSample> TimeOneAsync(LoadTarget target, int targetIndex, byte[] body, double dueSeconds, long due)
    {
        var sent = Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            using var response = await SendAsync(target, body);
            var content = await response.Content.ReadAsByteArrayAsync();
            ok = response.IsSuccessStatusCode && content.AsSpan().IndexOf("\"choices\""u8) >= 0;
            if (!ok) Error($"{target.Name}: HTTP {(int)response.StatusCode} {Encoding.UTF8.GetString(content.AsSpan(0, Math.Min(content.Length, 200)))}");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            Error($"{target.Name}: {exception.GetType().Name}: {exception.Message}");
        }
        var latency = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        return new LoadSample(targetIndex, dueSeconds, Stopwatch.GetElapsedTime(due, sent).TotalMilliseconds, latency, ok);
    }

    Task<HttpResponseMessage> SendAsync(LoadTarget target, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target.BaseAddress, "v1/chat/completions")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Key);
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    void Error(string message) => errors.AddOrUpdate(message, 1, (_, n) => n + 1);

    static byte[] Body(LoadTarget target) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["model"] = target.Model,
        ["messages"] = new[] { new { role = "user", content = "ping" } },
        ["max_tokens"] = 1,
        ["temperature"] = 0,
    });

    /// <summary>Sleeps (never spins: the machine has two cores) until the due time; late by up to about a millisecond.</summary>
    static void WaitUntil(long due)
    {
        while (true)
        {
            var remaining = due - Stopwatch.GetTimestamp();
            if (remaining <= 0) return;
            Thread.Sleep((int)Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency));
        }
    }

    public void Dispose() => http.Dispose();
}

/// <summary>Latency statistics of one target's requests.</summary>
internal sealed record LatencySummary(string Target, int Requests, int Errors, double P50, double P95, double P99, double Max, double Mean, double LagP99, double LagMax)
{
    /// <summary>The requests of <paramref name="target"/> due at or after <paramref name="fromSeconds"/>.</summary>
    public static LatencySummary Of(LoadSample[] samples, int target, string name, double fromSeconds)
    {
        var mine = samples.Where(s => s.Target == target && s.DueSeconds >= fromSeconds).ToList();
        var latencies = mine.Select(s => s.LatencyMs).Order().ToArray();
        var lags = mine.Select(s => s.LagMs).Order().ToArray();
        return new LatencySummary(name, mine.Count, mine.Count(s => !s.Ok),
            Percentiles.Of(latencies, 50), Percentiles.Of(latencies, 95), Percentiles.Of(latencies, 99), latencies.LastOrDefault(), latencies.DefaultIfEmpty().Average(),
            Percentiles.Of(lags, 99), lags.LastOrDefault());
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Target,-16} {Requests,6} requests, {Errors} errors: p50 {P50:0.000} ms, p95 {P95:0.000} ms, p99 {P99:0.000} ms, max {Max:0.0} ms, mean {Mean:0.000} ms; send lag p99 {LagP99:0.00} ms, max {LagMax:0.0} ms");
}
