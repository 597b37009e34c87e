using System.Threading.Channels;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>Continuous batching for one loaded model: every generating request is a sequence in one llama.cpp context
/// (LLamaSharp's <see cref="BatchedExecutor"/>), and one decode call advances all of them by a token. Requests join and
/// leave between decode calls, so a new request does not wait for others to finish and a cancelled one frees its slot
/// at the next step.</summary>
/// <remarks>All llama.cpp calls happen on the scheduler's loop: requests only send it commands and read tokens from channels.</remarks>
internal sealed class LlamaBatchScheduler : IDisposable
{
    readonly BatchedExecutor executor;
    readonly LLamaWeights weights;
    readonly Channel<Action> commands = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    readonly List<BatchSequence> active = [];
    readonly CancellationTokenSource stopping = new();
    readonly Task loop;

    public LlamaBatchScheduler(LoadedModel model, int slots, int threads, (LoraAdapter Adapter, float Scale)? lora = null)
    {
        weights = model.Weights;
        var parameters = new ModelParams(model.Path)
        {
            // One unified KV cache shared by the slots; each sequence is held to the model's own context length.
            ContextSize = model.ContextSize * (uint)slots,
            SeqMax = (uint)slots,
            KVUnified = true,
            BatchSize = Math.Max(model.ContextSize, 512),
            UBatchSize = Math.Max(model.ContextSize, 512),
            Threads = threads,
            // A batch of several sequences' tokens decodes with the batch thread count; left to autodetect it used one core here.
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        executor = new BatchedExecutor(weights, parameters);
        if (lora is { } l) executor.Context.NativeHandle.SetLoraAdapters([(l.Adapter, l.Scale)]);
        loop = Task.Run(RunAsync);
    }

    /// <summary>Sequences in the batch now.</summary>
    public int ActiveSequences { get; private set; }

    /// <summary>The most sequences that were in the batch at once.</summary>
    public int PeakSequences { get; private set; }

    /// <summary>Adds a request: its prompt is decoded with the next batch, then one token per step arrives on the reader.
    /// The scheduler owns <paramref name="pipeline"/> from here on and disposes it when the sequence ends.</summary>
    public BatchSequence Start(LLamaToken[] prompt, DefaultSamplingPipeline pipeline, int maxTokens)
    {
        var sequence = new BatchSequence(this, pipeline, maxTokens);
        Send(() =>
        {
            sequence.Conversation = executor.Create();
            sequence.Conversation.Prompt(prompt);
            active.Add(sequence);
            ActiveSequences = active.Count;
            PeakSequences = Math.Max(PeakSequences, active.Count);
        });
        return sequence;
    }

    internal void Send(Action command)
    {
        if (!commands.Writer.TryWrite(command)) throw new ObjectDisposedException(nameof(LlamaBatchScheduler));
    }

    async Task RunAsync()
    {
        var token = stopping.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                while (commands.Reader.TryRead(out var command)) command();
                if (executor.BatchedTokenCount == 0 && executor.BatchQueueCount == 0)
                {
                    // Nothing to decode: sleep until a request arrives or leaves.
                    if (!await commands.Reader.WaitToReadAsync(token)) return;
                    continue;
                }
                DecodeResult result;
                try
                {
                    result = await executor.Infer(token);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    FailAll(new InferenceException($"llama.cpp batch decode failed: {exception.Message}", inner: exception));
                    continue;
                }
                if (result != DecodeResult.Ok)
                {
                    FailAll(new InferenceException($"llama.cpp batch decode failed: {result}.", isTransient: result == DecodeResult.NoKvSlot));
                    continue;
                }
                foreach (var sequence in active.ToList())
                {
                    if (sequence.Leaving)
                    {
                        End(sequence, null);
                        continue;
                    }
                    if (!sequence.Conversation!.RequiresSampling) continue;
                    var next = sequence.Conversation.Sample(sequence.Pipeline);
                    if (next.IsEndOfGeneration(weights.Vocab))
                    {
                        End(sequence, null);
                        continue;
                    }
                    sequence.Generated++;
                    sequence.Tokens.Writer.TryWrite(next);
                    if (sequence.Generated >= sequence.MaxTokens) End(sequence, null);
                    else sequence.Conversation.Prompt(next);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed.
        }
        finally
        {
            FailAll(new ObjectDisposedException(nameof(LlamaBatchScheduler), "the model was unloaded."));
        }
    }

    /// <summary>Marks a sequence to leave. With tokens of it still waiting in the batch it leaves right after the next
    /// decode: llama.cpp refuses a batch whose positions no longer follow the sequence's cache.</summary>
    internal void Leave(BatchSequence sequence)
    {
        sequence.Leaving = true;
        if (sequence.Conversation is null || !sequence.Conversation.RequiresInference) End(sequence, null);
    }

    /// <summary>Removes a sequence: its KV cells and slot are free for the next step.</summary>
    internal void End(BatchSequence sequence, Exception? error)
    {
        if (!active.Remove(sequence)) return;
        ActiveSequences = active.Count;
        sequence.Conversation?.Dispose();
        sequence.Pipeline.Dispose();
        sequence.Tokens.Writer.TryComplete(error);
    }

    void FailAll(Exception error)
    {
        foreach (var sequence in active.ToList()) End(sequence, error);
    }

    public void Dispose()
    {
        commands.Writer.TryComplete();
        stopping.Cancel();
        try { loop.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { /* the loop reports its own failures to the sequences */ }
        executor.Dispose();
        stopping.Dispose();
    }
}

/// <summary>One request's place in the batch: its conversation, sampler and the tokens it receives.</summary>
internal sealed class BatchSequence(LlamaBatchScheduler scheduler, DefaultSamplingPipeline pipeline, int maxTokens)
{
    public Conversation? Conversation { get; set; }
    public DefaultSamplingPipeline Pipeline { get; } = pipeline;
    public int MaxTokens { get; } = maxTokens;
    public int Generated { get; set; }
    public bool Leaving { get; set; }
    public Channel<LLamaToken> Tokens { get; } = Channel.CreateUnbounded<LLamaToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Leaves the batch (done, stopped by a stop sequence, or cancelled); safe to call more than once.</summary>
    public void Leave()
    {
        try { scheduler.Send(() => scheduler.Leave(this)); }
        catch (ObjectDisposedException) { /* the scheduler is gone and ended every sequence */ }
    }
}
