using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;

namespace LlmOps.Benchmarks.Serving;

/// <summary>Issue "Serving" (a): single-stream decode tokens/s through the HTTP gateway against LLamaSharp called
/// directly, on the same GGUF, prompt, token count and greedy sampling, runs interleaved.</summary>
/// <remarks>Every path runs in its own process (<see cref="BenchProcess"/>): llama.cpp's CPU backend here is built with
/// OpenMP, whose thread teams and spin-waiting are per process, and paths sharing a process were seen to change each
/// other's speed by 10 %. Peers: <c>context</c> is the plain LLamaSharp loop (one <see cref="LLamaContext"/>, decode on
/// one thread, sample, repeat); <c>batched</c> is LLamaSharp's <see cref="BatchedExecutor"/> with the context settings of
/// the gateway's continuous batching; <c>context-async</c> and <c>client</c> (our <see cref="LlamaCppChatClient"/>
/// without a server) are diagnostics. Each peer keeps its context for every run, as the gateway keeps its batch context.
/// The gateway is an LlmOps server (<c>llmops up</c> defaults: continuous batching, 4 slots; the same thread count)
/// serving a registered gguf version, read by a streaming HTTP client in the harness.</remarks>
internal static class GatewayDecodeBench
{
    const string DefaultPrompt = "Tell me a story";
    const string PeerMode = "serving-decode-peer";
    static readonly string[] Peers = ["context", "context-async", "batched", "client"];

    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var hidden = BenchArgs.Value(args, "--hidden", 512);
        var layers = BenchArgs.Value(args, "--layers", 8);
        var tokens = BenchArgs.Value(args, "--tokens", 256);
        var rounds = BenchArgs.Value(args, "--rounds", 9);
        var threads = BenchArgs.Value(args, "--threads", Environment.ProcessorCount);
        var slots = BenchArgs.Value(args, "--slots", new LlamaCppOptions().MaxConcurrentRequests);
        var text = BenchArgs.Text(args, "--prompt", DefaultPrompt);
        var chosen = BenchArgs.Text(args, "--paths", "context,batched,gateway").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var unknown = chosen.Except([.. Peers, "gateway", "gateway-whole"]).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown path(s) {string.Join(", ", unknown)}; known: {string.Join(", ", Peers)}, gateway, gateway-whole");

        using var model = await BenchModel.WriteAsync(hidden, layers, contextLength: (uint)(tokens + 64));
        var shared = new[] { "--model", model.Path, "--tokens", tokens.ToString(inv), "--threads", threads.ToString(inv), "--slots", slots.ToString(inv), "--prompt", text };
        var processes = new List<IAsyncDisposable>();
        try
        {
            var paths = new List<(string Name, Func<Task<DecodeRun>> Run)>();
            GatewayNode? gateway = null;
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMinutes(5) };
            foreach (var name in chosen)
            {
                if (Peers.Contains(name))
                {
                    var peer = await BenchProcess.StartAsync(name, PeerMode, [.. shared, "--path", name]);
                    processes.Add(peer);
                    paths.Add((name, async () => JsonSerializer.Deserialize<DecodeRun>(await peer.AskAsync("run"))!));
                    continue;
                }
                if (gateway is null)
                {
                    gateway = await GatewayNode.StartAsync("gateway", ["--role", "gguf", "--model", model.Path, "--threads", threads.ToString(inv), "--slots", slots.ToString(inv)]);
                    processes.Add(gateway);
                }
                var node = gateway;
                var stream = name == "gateway";
                var body = RequestBody(node.Target.Model, text, tokens, stream);
                paths.Add((name, () => GatewayAsync(http, node, body, stream)));
            }

            Console.WriteLine(string.Create(inv,
                $"model: {model.Describe()}; {tokens} greedy tokens; {threads} threads; gateway slots {slots}, continuous batching; each path in its own process; {rounds} rounds; load average {LoadAverage.Now():0.00}"));
            var runs = paths.ToDictionary(p => p.Name, _ => new List<DecodeRun>());
            foreach (var (name, run) in paths) Report(name + " (warm-up)", await run());
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var (name, run) in paths)
                {
                    var result = await run();
                    runs[name].Add(result);
                    Report(string.Create(inv, $"round {round} {name}"), result);
                }
            }
            Summarise(runs, rounds);
            return 0;
        }
        finally
        {
            foreach (var process in processes) await process.DisposeAsync();
        }
    }

    static void Summarise(Dictionary<string, List<DecodeRun>> runs, int rounds)
    {
        var inv = CultureInfo.InvariantCulture;
        var texts = runs.Values.SelectMany(r => r).Select(r => r.Text).Distinct().Count();
        Console.WriteLine(texts == 1 ? "every run generated the same text" : $"WARNING: {texts} different texts across runs");
        Console.WriteLine(string.Create(inv, $"medians over {rounds} rounds (load average now {LoadAverage.Now():0.00}):"));
        foreach (var (name, list) in runs)
        {
            Console.WriteLine(string.Create(inv,
                $"  {name,-14} {Median(list, r => r.EndToEndRate),7:0.0} tokens/s end to end (best {list.Max(r => r.EndToEndRate):0.0}), {Median(list, r => r.DecodeRate),7:0.0} tokens/s decode, first token {Median(list, r => r.FirstTokenSeconds * 1000),6:0.0} ms, {Median(list, r => r.CpuSeconds / r.Tokens * 1000):0.00} cpu-ms per token"));
        }
        foreach (var ours in runs.Keys.Where(k => k is "gateway" or "gateway-whole" or "client"))
        {
            foreach (var peer in runs.Keys.Where(k => k is "context" or "context-async" or "batched"))
            {
                Console.WriteLine(string.Create(inv,
                    $"  {ours} / {peer}: {Median(runs[ours], r => r.EndToEndRate) / Median(runs[peer], r => r.EndToEndRate):0.000} end to end (best {runs[ours].Max(r => r.EndToEndRate) / runs[peer].Max(r => r.EndToEndRate):0.000}), {Median(runs[ours], r => r.DecodeRate) / Median(runs[peer], r => r.DecodeRate):0.000} decode"));
            }
        }
    }

    static double Median(List<DecodeRun> runs, Func<DecodeRun, double> value) => Percentiles.Median(runs.Select(value));

    static void Report(string label, DecodeRun run) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-24} {run.Tokens} tokens in {run.TotalSeconds:0.000} s: {run.EndToEndRate,7:0.0} tokens/s end to end, {run.DecodeRate,7:0.0} tokens/s decode, first token {run.FirstTokenSeconds * 1000:0.0} ms, {run.CpuSeconds / run.Tokens * 1000:0.00} cpu-ms per token, load {LoadAverage.Now():0.00}"));

    static byte[] RequestBody(string model, string prompt, int tokens, bool stream) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["model"] = model,
        ["messages"] = new[] { new { role = "user", content = prompt } },
        ["max_tokens"] = tokens,
        ["temperature"] = 0,
        ["stream"] = stream,
        ["stream_options"] = new { include_usage = true },
    });

    /// <summary>One chat completion through the gateway, timed from send to the end of the response; streamed (first and
    /// last text as they arrive) or whole (both at the end). CPU is the gateway process's.</summary>
    static async Task<DecodeRun> GatewayAsync(HttpClient http, GatewayNode node, byte[] body, bool stream)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node.Target.BaseAddress, "v1/chat/completions")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", node.Target.Key);
        var clock = new DecodeClock(() => node.Process.CpuTime);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        if (!stream)
        {
            using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            clock.Piece(completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "");
            return clock.Finish(completion.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var usage = -1;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            if (line == "data: [DONE]") break;
            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            var root = chunk.RootElement;
            if (root.GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices && choices.GetArrayLength() > 0
                && choices[0].GetProperty("delta").TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } piece)
                clock.Piece(piece);
            if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object) usage = u.GetProperty("completion_tokens").GetInt32();
        }
        if (usage < 0) throw new InvalidOperationException("the stream ended without a usage chunk");
        return clock.Finish(usage);
    }

    /// <summary>The child side of a peer path: loads the model, prints "ready", then answers each "run" line with one
    /// generation's <see cref="DecodeRun"/> as JSON, on the main thread, until its standard input closes.</summary>
    public static int RunPeer(string[] args)
    {
        LlmOps.Inference.Evaluation.LlamaNativeLog.ErrorsOnly();
        var path = BenchArgs.Text(args, "--model", "");
        var tokens = BenchArgs.Value(args, "--tokens", 256);
        var threads = BenchArgs.Value(args, "--threads", Environment.ProcessorCount);
        var slots = BenchArgs.Value(args, "--slots", 4);
        var text = BenchArgs.Text(args, "--prompt", DefaultPrompt);
        var kind = BenchArgs.Text(args, "--path", "context");
        using var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { GpuLayerCount = 0 });
        var contextLength = (uint)weights.ContextSize;
        var prompt = ChatPrompt.Format(weights, [new ChatMessage(ChatRole.User, text)], null);
        Func<Task<DecodeRun>> run;
        var owned = new List<IDisposable>();
        switch (kind)
        {
            case "context" or "context-async":
                var context = weights.CreateContext(ContextParameters(path, contextLength, threads));
                owned.Add(context);
                run = () => DirectContextAsync(context, weights, prompt, tokens, onThreadPool: kind == "context-async");
                break;
            case "batched":
                var executor = new BatchedExecutor(weights, BatchedParameters(path, contextLength, threads, slots));
                owned.Add(executor);
                run = () => DirectBatchedAsync(executor, weights, prompt, tokens);
                break;
            case "client":
                var cache = new LlamaModelCache(new LlamaCppOptions { Threads = threads, MaxConcurrentRequests = slots });
                owned.Add(cache);
                var client = new LlamaCppChatClient(cache, path, LlamaModelCache.HashFileAsync(path).GetAwaiter().GetResult(), "bench");
                run = () => ClientAsync(client, text, tokens);
                break;
            default:
                throw new ArgumentException($"unknown peer path '{kind}'");
        }
        try
        {
            Console.WriteLine("ready");
            while (Console.ReadLine() is { } line)
            {
                if (line != "run") throw new InvalidOperationException($"unknown command '{line}'");
                Console.WriteLine(JsonSerializer.Serialize(run().GetAwaiter().GetResult()));
            }
            return 0;
        }
        finally
        {
            foreach (var item in owned) item.Dispose();
        }
    }

    /// <summary>Plain LLamaSharp: one context (emptied first), the prompt in one batch, then decode one token, sample
    /// greedily, repeat. Decode runs on the calling thread, or with <paramref name="onThreadPool"/> through LLamaSharp's
    /// DecodeAsync (a thread-pool thread per decode), as our client's per-request path does.</summary>
    static async Task<DecodeRun> DirectContextAsync(LLamaContext context, LLamaWeights weights, string prompt, int tokens, bool onThreadPool)
    {
        context.NativeHandle.MemoryClear(data: false);
        using var sampler = new DefaultSamplingPipeline { Temperature = 0 };
        var clock = new DecodeClock();
        var promptTokens = context.Tokenize(prompt, addBos: true, special: true);
        var batch = new LLamaBatch();
        for (var i = 0; i < promptTokens.Length; i++) batch.Add(promptTokens[i], i, LLamaSeqId.Zero, logits: i == promptTokens.Length - 1);
        await DecodeAsync(context, batch, onThreadPool);
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
            await DecodeAsync(context, batch, onThreadPool);
            logitIndex = 0;
        }
        return clock.Finish();
    }

    static async Task DecodeAsync(LLamaContext context, LLamaBatch batch, bool onThreadPool)
    {
        var result = onThreadPool ? await context.DecodeAsync(batch) : context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}");
    }

    static ModelParams ContextParameters(string path, uint contextLength, int threads) => new(path)
    {
        ContextSize = contextLength,
        BatchSize = contextLength,
        UBatchSize = contextLength,
        Threads = threads,
        BatchThreads = threads,
        GpuLayerCount = 0,
    };

    /// <summary>The context settings of the gateway's continuous batching (LlamaBatchScheduler): a unified KV cache for
    /// every slot, batch threads = threads.</summary>
    static ModelParams BatchedParameters(string path, uint contextLength, int threads, int slots) => new(path)
    {
        ContextSize = contextLength * (uint)slots,
        SeqMax = (uint)slots,
        KVUnified = true,
        BatchSize = Math.Max(contextLength, 512),
        UBatchSize = Math.Max(contextLength, 512),
        Threads = threads,
        BatchThreads = threads,
        GpuLayerCount = 0,
    };

    /// <summary>LLamaSharp's batched executor with one conversation (freed at the end), on a context set up as the
    /// gateway's continuous batching sets up its shared one.</summary>
    static async Task<DecodeRun> DirectBatchedAsync(BatchedExecutor executor, LLamaWeights weights, string prompt, int tokens)
    {
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

    /// <summary>Times one generation: start, first and last piece of text, end, and the CPU time of the process doing it.</summary>
    sealed class DecodeClock
    {
        readonly Func<TimeSpan> cpu;
        readonly TimeSpan cpuAtStart;
        readonly long start;
        readonly StringBuilder text = new();
        long first, last;

        public DecodeClock(Func<TimeSpan>? cpu = null)
        {
            this.cpu = cpu ?? (() => Process.GetCurrentProcess().TotalProcessorTime);
            cpuAtStart = this.cpu();
            start = Stopwatch.GetTimestamp();
        }

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
                (cpu() - cpuAtStart).TotalSeconds, text.ToString());
        }
    }
}

/// <summary>One generation: tokens, seconds to the end, to the first and last text, CPU seconds of the process that
/// generated it, and the text.</summary>
internal sealed record DecodeRun(int Tokens, double TotalSeconds, double FirstTokenSeconds, double LastTokenSeconds, double CpuSeconds, string Text)
{
    [JsonIgnore]
    public double EndToEndRate => Tokens / TotalSeconds;

    /// <summary>Tokens after the first over the time between the first and the last text: the steady decode rate.</summary>
    [JsonIgnore]
    public double DecodeRate => (Tokens - 1) / (LastTokenSeconds - FirstTokenSeconds);
}
