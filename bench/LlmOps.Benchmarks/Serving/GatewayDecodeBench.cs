using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;

namespace LlmOps.Benchmarks.Serving;

/// <summary>Issue "Serving" (a): single-stream decode tokens/s through the HTTP gateway against LLamaSharp called
/// directly, on the same GGUF, prompt, token count and greedy sampling, runs interleaved in one process.</summary>
/// <remarks>Peers: <c>context</c> is the plain LLamaSharp loop (one <see cref="LLamaContext"/>, decode, sample, repeat);
/// <c>batched</c> is LLamaSharp's <see cref="BatchedExecutor"/> with the context settings the gateway's continuous
/// batching uses, to tell llama.cpp settings apart from our scheduler, HTTP and SSE. The gateway is a server built by
/// <c>LlmOpsServer.Build</c> with the <c>llmops up</c> defaults (continuous batching, 4 slots) and the same thread count,
/// serving a registered gguf version, read by a streaming HTTP client in this process.</remarks>
internal static class GatewayDecodeBench
{
    const string DefaultPrompt = "Once upon a time there was a benchmark";

    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        LlmOps.Inference.Evaluation.LlamaNativeLog.ErrorsOnly();
        var hidden = BenchArgs.Value(args, "--hidden", 512);
        var layers = BenchArgs.Value(args, "--layers", 8);
        var tokens = BenchArgs.Value(args, "--tokens", 256);
        var rounds = BenchArgs.Value(args, "--rounds", 7);
        var threads = BenchArgs.Value(args, "--threads", Environment.ProcessorCount);
        var slots = BenchArgs.Value(args, "--slots", new LlamaCppOptions().MaxConcurrentRequests);
        var text = BenchArgs.Text(args, "--prompt", DefaultPrompt);
        var chosen = BenchArgs.Text(args, "--paths", "context,batched,gateway").Split(',', StringSplitOptions.RemoveEmptyEntries);

        using var model = await BenchModel.WriteAsync(hidden, layers, contextLength: (uint)(tokens + 64));
        await using var server = await BenchServer.StartAsync(Path.Combine(model.Folder, "data"), "http://127.0.0.1:0", options =>
        {
            options.Gateway.LlamaCpp.Threads = threads;
            options.Gateway.LlamaCpp.MaxConcurrentRequests = slots;
        });
        var name = await server.DeployGgufAsync(model.Path);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        using var weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(model.Path) { GpuLayerCount = 0 });
        var prompt = ChatPrompt.Format(weights, [new ChatMessage(ChatRole.User, text)], null);
        byte[] Body(bool stream) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["model"] = name,
            ["messages"] = new[] { new { role = "user", content = text } },
            ["max_tokens"] = tokens,
            ["temperature"] = 0,
            ["stream"] = stream,
            ["stream_options"] = new { include_usage = true },
        });
        // Our llama.cpp client without the server, on its own model cache set up as the gateway's.
        using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = threads, MaxConcurrentRequests = slots });
        var client = new LlamaCppChatClient(cache, model.Path, model.Sha256, "bench");

        Console.WriteLine(string.Create(inv, $"model: {model.Describe()}; {tokens} greedy tokens; {threads} threads; gateway slots {slots}, continuous batching; {rounds} rounds; load average {LoadAverage.Now():0.00}"));
        var all = new Dictionary<string, Func<Task<DecodeRun>>>(StringComparer.Ordinal)
        {
            ["context"] = () => Task.Run(() => DirectContext(weights, model, prompt, tokens, threads)),
            ["batched"] = () => DirectBatchedAsync(weights, model, prompt, tokens, threads, slots),
            ["client"] = () => ClientAsync(client, text, tokens),
            ["gateway"] = () => GatewayAsync(http, server.GatewayKey, Body(stream: true)),
            ["gateway-whole"] = () => GatewayWholeAsync(http, server.GatewayKey, Body(stream: false)),
        };
        var unknown = chosen.Except(all.Keys).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown path(s) {string.Join(", ", unknown)}; known: {string.Join(", ", all.Keys)}");
        var paths = chosen.Select(c => (Name: c, Run: all[c])).ToArray();
        var runs = paths.ToDictionary(p => p.Name, _ => new List<DecodeRun>());
        foreach (var (pathName, run) in paths) Report(pathName + " (warm-up)", await run());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (pathName, run) in paths)
            {
                var result = await run();
                runs[pathName].Add(result);
                Report(string.Create(inv, $"round {round} {pathName}"), result);
            }
        }

        var texts = runs.Values.SelectMany(r => r).Select(r => r.Text).Distinct().Count();
        Console.WriteLine(texts == 1 ? "every run generated the same text" : $"WARNING: {texts} different texts across runs");
        Console.WriteLine(string.Create(inv, $"medians over {rounds} rounds (load average now {LoadAverage.Now():0.00}):"));
        foreach (var (pathName, list) in runs)
        {
            Console.WriteLine(string.Create(inv,
                $"  {pathName,-8} {Percentiles.Median(list.Select(r => r.EndToEndRate)),7:0.0} tokens/s end to end, {Percentiles.Median(list.Select(r => r.DecodeRate)),7:0.0} tokens/s decode, first token {Percentiles.Median(list.Select(r => r.FirstTokenSeconds * 1000)),6:0.0} ms, {Percentiles.Median(list.Select(r => r.CpuSeconds / r.Tokens * 1000)):0.00} cpu-ms per token"));
        }
        foreach (var ours in runs.Keys.Where(k => k is "gateway" or "gateway-whole" or "client"))
        {
            foreach (var peer in runs.Keys.Where(k => k is "context" or "batched"))
            {
                Console.WriteLine(string.Create(inv,
                    $"  {ours} / {peer}: {Median(runs[ours], r => r.EndToEndRate) / Median(runs[peer], r => r.EndToEndRate):0.000} end to end, {Median(runs[ours], r => r.DecodeRate) / Median(runs[peer], r => r.DecodeRate):0.000} decode"));
            }
        }
        return 0;
    }

    static double Median(List<DecodeRun> runs, Func<DecodeRun, double> value) => Percentiles.Median(runs.Select(value));

    static void Report(string label, DecodeRun run) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-20} {run.Tokens} tokens in {run.TotalSeconds:0.000} s: {run.EndToEndRate,7:0.0} tokens/s end to end, {run.DecodeRate,7:0.0} tokens/s decode, first token {run.FirstTokenSeconds * 1000:0.0} ms, {run.CpuSeconds / run.Tokens * 1000:0.00} cpu-ms per token, load {LoadAverage.Now():0.00}"));

    /// <summary>Plain LLamaSharp: one context, the prompt in one batch, then decode one token, sample greedily, repeat.</summary>
    static DecodeRun DirectContext(LLamaWeights weights, BenchModel model, string prompt, int tokens, int threads)
    {
        var parameters = new ModelParams(model.Path)
        {
            ContextSize = model.ContextLength,
            BatchSize = model.ContextLength,
            UBatchSize = model.ContextLength,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        using var context = weights.CreateContext(parameters);
        using var sampler = new DefaultSamplingPipeline { Temperature = 0 };
        var clock = new DecodeClock();
        var promptTokens = context.Tokenize(prompt, addBos: true, special: true);
        var batch = new LLamaBatch();
        for (var i = 0; i < promptTokens.Length; i++) batch.Add(promptTokens[i], i, LLamaSeqId.Zero, logits: i == promptTokens.Length - 1);
        Decode(context, batch);
        var logitIndex = promptTokens.Length - 1;
        var decoder = new StreamingTokenDecoder(context);
        for (var position = promptTokens.Length; clock.Tokens < tokens; position++)
        {
            var token = sampler.Sample(context.NativeHandle, logitIndex);
            if (token.IsEndOfGeneration(weights.Vocab)) break;
            decoder.Add(token);
            clock.Token(decoder.Read());
            if (clock.Tokens == tokens) break;
            batch.Clear();
            batch.Add(token, position, LLamaSeqId.Zero, logits: true);
            Decode(context, batch);
            logitIndex = 0;
        }
        return clock.Finish();
    }

    static void Decode(LLamaContext context, LLamaBatch batch)
    {
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}");
    }

    /// <summary>LLamaSharp's batched executor with one conversation, on a context set up as the gateway's continuous
    /// batching sets up its shared context (unified KV cache for every slot, batch threads = threads).</summary>
    static async Task<DecodeRun> DirectBatchedAsync(LLamaWeights weights, BenchModel model, string prompt, int tokens, int threads, int slots)
    {
        var parameters = new ModelParams(model.Path)
        {
            ContextSize = model.ContextLength * (uint)slots,
            SeqMax = (uint)slots,
            KVUnified = true,
            BatchSize = Math.Max(model.ContextLength, 512),
            UBatchSize = Math.Max(model.ContextLength, 512),
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        using var executor = new BatchedExecutor(weights, parameters);
        using var sampler = new DefaultSamplingPipeline { Temperature = 0 };
        var clock = new DecodeClock();
        using var conversation = executor.Create();
        conversation.Prompt(weights.Tokenize(prompt, true, true, Encoding.UTF8));
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, weights);
        while (clock.Tokens < tokens)
        {
            var result = await executor.Infer();
            if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}");
            var token = conversation.Sample(sampler);
            if (token.IsEndOfGeneration(weights.Vocab)) break;
            decoder.Add(token);
            clock.Token(decoder.Read());
            if (clock.Tokens < tokens) conversation.Prompt(token);
        }
        return clock.Finish();
    }

    /// <summary>Our llama.cpp chat client called in-process (no server): the scheduler and channels without HTTP.</summary>
    static async Task<DecodeRun> ClientAsync(LlamaCppChatClient client, string text, int tokens)
    {
        var clock = new DecodeClock();
        var usage = -1;
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, text)], new ChatOptions { MaxOutputTokens = tokens, Temperature = 0 }))
        {
            if (update.Text.Length > 0) clock.Piece(update.Text);
            foreach (var content in update.Contents.OfType<UsageContent>()) usage = (int)(content.Details.OutputTokenCount ?? 0);
        }
        return clock.Finish(usage);
    }

    /// <summary>One non-streaming chat completion through the gateway: first and last token times are the response's end.</summary>
    static async Task<DecodeRun> GatewayWholeAsync(HttpClient http, string key, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var clock = new DecodeClock();
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        clock.Piece(completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "");
        return clock.Finish(completion.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    /// <summary>One streaming chat completion through the gateway, timed from send to the end of the event stream.</summary>
    static async Task<DecodeRun> GatewayAsync(HttpClient http, string key, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var clock = new DecodeClock();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var usage = -1;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            if (line == "data: [DONE]") break;
            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            var root = chunk.RootElement;
            if (root.GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices && choices.GetArrayLength() > 0
                && choices[0].GetProperty("delta").TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } text)
                clock.Piece(text);
            if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object) usage = u.GetProperty("completion_tokens").GetInt32();
        }
        if (usage < 0) throw new InvalidOperationException("the stream ended without a usage chunk");
        return clock.Finish(usage);
    }

    /// <summary>Times one generation: start, first and last piece of text, end.</summary>
    sealed class DecodeClock
    {
        readonly long start = Stopwatch.GetTimestamp();
        readonly TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        readonly StringBuilder text = new();
        long first, last;

        public int Tokens { get; private set; }

        /// <summary>A token was generated (its text may be empty until a character is complete).</summary>
        public void Token(string piece)
        {
            Tokens++;
            Piece(piece);
        }

        /// <summary>Text arrived (one or more tokens' worth).</summary>
        public void Piece(string piece)
        {
            var now = Stopwatch.GetTimestamp();
            if (first == 0) first = now;
            last = now;
            text.Append(piece);
        }

        public DecodeRun Finish(int? tokens = null)
        {
            var end = Stopwatch.GetTimestamp();
            return new DecodeRun(tokens ?? Tokens, Stopwatch.GetElapsedTime(start, end).TotalSeconds,
                Stopwatch.GetElapsedTime(start, first).TotalSeconds, Stopwatch.GetElapsedTime(start, last).TotalSeconds,
                (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, text.ToString());
        }
    }

    /// <summary>One generation: tokens, seconds to the end, to the first and last text, CPU seconds of the whole process, and the text.</summary>
    sealed record DecodeRun(int Tokens, double TotalSeconds, double FirstTokenSeconds, double LastTokenSeconds, double CpuSeconds, string Text)
    {
        public double EndToEndRate => Tokens / TotalSeconds;

        /// <summary>Tokens after the first over the time between the first and the last text: the steady decode rate.</summary>
        public double DecodeRate => (Tokens - 1) / (LastTokenSeconds - FirstTokenSeconds);
    }
}
