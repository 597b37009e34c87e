using System.Runtime.CompilerServices;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using System.Text;
using Microsoft.Extensions.AI;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>A GGUF model on llama.cpp as an <see cref="IChatClient"/>: per-request sampling, streaming, usage counts.
/// The weights come from the shared <see cref="LlamaModelCache"/>; requests are sequences of the model's continuous batch
/// (<see cref="LlamaBatchScheduler"/>), or, with batching off, each gets its own context and frees it when done or cancelled.</summary>
public sealed class LlamaCppChatClient(LlamaModelCache cache, string modelPath, string sha256, string modelId, LoraFile? lora = null) : IChatClient
{
    /// <summary>Key in the first update's <see cref="ChatResponseUpdate.AdditionalProperties"/>: seconds spent waiting for a generation slot.</summary>
    public const string QueueSecondsKey = "llmops.queue_seconds";

    public ChatClientMetadata Metadata { get; } = new("llama.cpp", null, modelId);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        var sampling = SamplingSettings.From(options);
        var grammar = JsonGrammar.For(options?.ResponseFormat);
        var responseId = $"chatcmpl-{Guid.CreateVersion7():N}";
        var created = DateTimeOffset.UtcNow;

        using var lease = await cache.AcquireAsync(modelPath, sha256, cancellationToken);
        var model = lease.Model;
        var waitStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        await model.Slots.WaitAsync(cancellationToken);
        var queueSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(waitStarted).TotalSeconds;
        try
        {
            var stream = cache.Options.ContinuousBatching
                ? GenerateBatchedAsync(model, list, options, sampling, grammar, responseId, created, queueSeconds, cancellationToken)
                : GenerateAloneAsync(model, list, options, sampling, grammar, responseId, created, queueSeconds, cancellationToken);
            await foreach (var update in stream) yield return update;
        }
        finally
        {
            model.Slots.Release();
        }
    }

    /// <summary>One request in its own llama.cpp context.</summary>
    async IAsyncEnumerable<ChatResponseUpdate> GenerateAloneAsync(LoadedModel model, IReadOnlyList<ChatMessage> list, ChatOptions? options, SamplingSettings sampling,
        Grammar? grammar, string responseId, DateTimeOffset created, double queueSeconds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var first = true;
        var weights = model.Weights;
        var prompt = ChatPrompt.Format(weights, list, options);
        var parameters = new ModelParams(modelPath)
        {
            ContextSize = model.ContextSize,
            BatchSize = model.ContextSize,
            UBatchSize = model.ContextSize,
            Threads = cache.Options.Threads,
            GpuLayerCount = 0,
        };
        using var context = weights.CreateContext(parameters);
        using var decodeThread = new LlamaDecodeThread();
        if (lora is not null) context.NativeHandle.SetLoraAdapters([(model.Adapter(lora), lora.Scale)]);
        var tokens = context.Tokenize(prompt, addBos: true, special: true);
        var budget = Budget(tokens.Length, context.ContextSize, sampling);

        using var pipeline = Pipeline(sampling, grammar, weights.Vocab);
        var batch = new LLamaBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, logits: i == tokens.Length - 1);
        await DecodeAsync(decodeThread, context, batch, cancellationToken);
        var logitIndex = tokens.Length - 1;
        var position = tokens.Length;

        var decoder = new StreamingTokenDecoder(context);
        var stops = new StopSequenceFilter(sampling.Stop);
        var generated = 0;
        var finish = ChatFinishReason.Length;
        while (generated < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = pipeline.Sample(context.NativeHandle, logitIndex);
            if (token.IsEndOfGeneration(weights.Vocab))
            {
                finish = ChatFinishReason.Stop;
                break;
            }
            generated++;
            decoder.Add(token);
            var (text, stopped) = stops.Push(decoder.Read());
            if (text.Length > 0)
            {
                var update = Update(responseId, created, new TextContent(text));
                if (first) update.AdditionalProperties = new() { [QueueSecondsKey] = queueSeconds };
                first = false;
                yield return update;
            }
            if (stopped)
            {
                finish = ChatFinishReason.Stop;
                break;
            }
            if (generated == budget) break;
            batch.Clear();
            batch.Add(token, position++, LLamaSeqId.Zero, logits: true);
            await DecodeAsync(decodeThread, context, batch, cancellationToken);
            logitIndex = 0;
        }
        if (finish != ChatFinishReason.Stop || !stops.Stopped)
        {
            var rest = stops.Flush();
            if (rest.Length > 0) yield return Update(responseId, created, new TextContent(rest));
        }
        yield return Last(responseId, created, tokens.Length, generated, finish, first ? queueSeconds : null);
    }

    /// <summary>One request as a sequence in the model's shared batch.</summary>
    async IAsyncEnumerable<ChatResponseUpdate> GenerateBatchedAsync(LoadedModel model, IReadOnlyList<ChatMessage> list, ChatOptions? options, SamplingSettings sampling,
        Grammar? grammar, string responseId, DateTimeOffset created, double queueSeconds, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var first = true;
        var weights = model.Weights;
        var prompt = ChatPrompt.Format(weights, list, options);
        var tokens = weights.Tokenize(prompt, true, true, Encoding.UTF8);
        var budget = Budget(tokens.Length, model.ContextSize, sampling);
        var scheduler = model.Scheduler(cache.Options.Threads, lora);
        var sequence = scheduler.Start(tokens, Pipeline(sampling, grammar, weights.Vocab), budget);
        try
        {
            var decoder = new StreamingTokenDecoder(Encoding.UTF8, weights);
            var stops = new StopSequenceFilter(sampling.Stop);
            var generated = 0;
            var stopped = false;
            await foreach (var token in sequence.Tokens.Reader.ReadAllAsync(cancellationToken))
            {
                generated++;
                decoder.Add(token);
                var (text, hit) = stops.Push(decoder.Read());
                if (text.Length > 0)
                {
                    var update = Update(responseId, created, new TextContent(text));
                    if (first) update.AdditionalProperties = new() { [QueueSecondsKey] = queueSeconds };
                    first = false;
                    yield return update;
                }
                if (hit)
                {
                    stopped = true;
                    break;
                }
            }
            if (!stopped)
            {
                var rest = stops.Flush();
                if (rest.Length > 0) yield return Update(responseId, created, new TextContent(rest));
            }
            var finish = stopped || generated < budget ? ChatFinishReason.Stop : ChatFinishReason.Length;
            yield return Last(responseId, created, tokens.Length, generated, finish, first ? queueSeconds : null);
        }
        finally
        {
            // Done, stopped or cancelled: the sequence leaves the batch at the next step and its KV cells are freed.
            sequence.Leave();
        }
    }

    /// <summary>How many tokens may be generated after a prompt of <paramref name="promptTokens"/>; refuses an empty prompt or one that fills the context.</summary>
    static int Budget(int promptTokens, uint contextSize, SamplingSettings sampling)
    {
        if (promptTokens == 0) throw new InvalidInputException("messages", "the prompt is empty.");
        if (promptTokens >= contextSize)
            throw new InvalidInputException("messages", $"the prompt is {promptTokens} tokens; this model's context holds {contextSize} (prompt and completion together).");
        return Math.Min(sampling.MaxTokens, (int)contextSize - promptTokens);
    }

    /// <summary>The final update: usage and finish reason (and the queue time when nothing was streamed before it).</summary>
    ChatResponseUpdate Last(string responseId, DateTimeOffset created, int promptTokens, int generated, ChatFinishReason finish, double? queueSeconds)
    {
        var usage = new UsageDetails { InputTokenCount = promptTokens, OutputTokenCount = generated, TotalTokenCount = promptTokens + generated };
        var last = Update(responseId, created, new UsageContent(usage));
        last.FinishReason = finish;
        if (queueSeconds is { } seconds) last.AdditionalProperties = new() { [QueueSecondsKey] = seconds };
        return last;
    }

    static DefaultSamplingPipeline Pipeline(SamplingSettings sampling, Grammar? grammar, SafeLlamaModelHandle.Vocabulary vocab)
    {
        var bias = new Dictionary<LLamaToken, float>();
        foreach (var (token, value) in sampling.LogitBias)
        {
            if (token >= vocab.Count) throw new InvalidInputException("logit_bias", $"token id {token} is not in this model's vocabulary of {vocab.Count}.");
            bias[token] = value;
        }
        if (sampling.IgnoreEos)
        {
            // As llama-server does for ignore_eos: the end-of-generation tokens can never win.
            foreach (var token in new[] { vocab.EOS, vocab.EOT })
                if (token is { } t) bias[t] = float.NegativeInfinity;
        }
        return new DefaultSamplingPipeline
        {
            Temperature = sampling.Temperature,
            TopP = sampling.TopP,
            TopK = sampling.TopK,
            Seed = sampling.Seed,
            PresencePenalty = sampling.PresencePenalty,
            FrequencyPenalty = sampling.FrequencyPenalty,
            Grammar = grammar,
            LogitBias = bias,
        };
    }

    ChatResponseUpdate Update(string responseId, DateTimeOffset created, AIContent content) => new(ChatRole.Assistant, [content])
    {
        ResponseId = responseId,
        MessageId = responseId,
        CreatedAt = created,
        ModelId = modelId,
    };

    static async Task DecodeAsync(LlamaDecodeThread thread, LLamaContext context, LLamaBatch batch, CancellationToken cancellationToken)
    {
        var result = await thread.DecodeAsync(context, batch, cancellationToken);
        if (result != DecodeResult.Ok) throw new InferenceException($"llama.cpp decode failed: {result}.", isTransient: result == DecodeResult.NoKvSlot);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return Metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        // The weights belong to the shared cache; a client owns nothing.
    }
}

/// <summary>Holds back text that may be the start of a stop sequence; cuts the output where one appears.</summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    string pending = "";

    public bool Stopped { get; private set; }

    public (string Text, bool Stopped) Push(string text)
    {
        if (stops.Count == 0) return (text, false);
        pending += text;
        var cut = -1;
        foreach (var stop in stops)
        {
            var at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            var before = pending[..cut];
            pending = "";
            return (before, true);
        }
        var hold = 0;
        foreach (var stop in stops)
        {
            for (var n = Math.Min(stop.Length - 1, pending.Length); n > hold; n--)
            {
                if (pending.AsSpan(pending.Length - n).SequenceEqual(stop.AsSpan(0, n)))
                {
                    hold = n;
                    break;
                }
            }
        }
        var ready = pending[..^hold];
        pending = pending[^hold..];
        return (ready, false);
    }

    public string Flush()
    {
        var rest = pending;
        pending = "";
        return rest;
    }
}
