using System.Diagnostics;
using System.Globalization;
using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;

namespace LlmOps.Benchmarks.Serving;

/// <summary>llama.cpp serving throughput: N concurrent requests, each its own context (the baseline) or all sequences
/// of one continuously batched context. Random weights (speed does not depend on what the weights say).</summary>
internal static class ServingBench
{
    public static async Task RunAsync(int hidden, int layers, int tokens, int[] concurrencies, int threads)
    {
        var inv = CultureInfo.InvariantCulture;
        using var model = await BenchModel.WriteAsync(hidden, layers, contextLength: (uint)(tokens + 64));
        Console.WriteLine(string.Create(inv, $"model: {model.Describe()}; {tokens} tokens per request; {threads} threads; load average {LoadAverage.Now():0.00}"));
        foreach (var batching in new[] { false, true })
        {
            foreach (var n in concurrencies)
            {
                using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = threads, MaxConcurrentRequests = n, ContinuousBatching = batching });
                var client = new LlamaCppChatClient(cache, model.Path, model.Sha256, "bench");
                // Every stream generates exactly `tokens` (ignore_eos, as vLLM's and llama.cpp's serving benchmarks do): with random
                // weights an end-of-text token comes at random, and streams ending early would leave the batch half empty.
                var options = new ChatOptions { MaxOutputTokens = tokens, Temperature = 0, AdditionalProperties = new() { [SamplingSettings.IgnoreEosKey] = true } };
                await client.GetResponseAsync("warm up", new ChatOptions { MaxOutputTokens = 2 });
                var ttfts = new double[n];
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                var generated = await Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
                {
                    var start = Stopwatch.GetTimestamp();
                    var count = 0;
                    var first = true;
                    await foreach (var update in client.GetStreamingResponseAsync($"request {i} says", options))
                    {
                        if (first && update.Text.Length > 0)
                        {
                            ttfts[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                            first = false;
                        }
                        foreach (var usage in update.Contents.OfType<UsageContent>()) count = (int)(usage.Details.OutputTokenCount ?? 0);
                    }
                    return count;
                }));
                wall.Stop();
                var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                var total = generated.Sum();
                Array.Sort(ttfts);
                Console.WriteLine(string.Create(inv,
                    $"{(batching ? "batched" : "alone  ")} n={n,-2}: {total} tokens in {wall.Elapsed.TotalSeconds:0.000} s = {total / wall.Elapsed.TotalSeconds,7:0} tokens/s, {total / cpuSeconds,7:0} tokens per cpu-second, ttft p50 {ttfts[n / 2]:0.0} ms max {ttfts[^1]:0.0} ms"));
            }
        }
    }
}
