using System.Threading.Channels;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>Continuous batching for one loaded model: every generating request is a sequence in one llama.cpp context,
/// and one decode call advances all of them by a token. Requests join and leave between decode calls, so a new request
/// does not wait for others to finish and a cancelled one frees its slot at the next step.</summary>
/// <remarks>All llama.cpp calls happen on the scheduler's own thread: requests only send it commands and read tokens
/// from channels. One thread, not whichever thread-pool thread is free: llama.cpp's CPU backend is built with OpenMP,
/// which keeps a team of worker threads per calling thread and spin-waits them between calls, so decoding from changing
/// threads makes teams wait on each other (one stream through the gateway ran at about 70 % of the same loop on one
/// thread; bench/README.md, serving-gateway).</remarks>
internal sealed class LlamaBatchScheduler : IDisposable
{
    readonly LLamaContext context;
    readonly LLamaWeights weights;
    readonly Channel<Action> commands = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    readonly List<BatchSequence> active = [];
    readonly Stack<LLamaSeqId> freeSequenceIds = new();
    readonly List<(BatchSequence Sequence, int Index)> sampled = [];
    readonly LLamaBatch batch = new();
    readonly int batchCapacity;
    readonly Thread loop;
    volatile bool disposed;

    public LlamaBatchScheduler(LoadedModel model, int slots, int threads, (LoraAdapter Adapter, float Scale)? lora = null)
    {
        weights = model.Weights;
        batchCapacity = (int)Math.Max(model.ContextSize, 512);
        var parameters = new ModelParams(model.Path)
        {
            // A KV stream per slot (llama.cpp's split cache), each the model's own context length: a token attends only its own
            // sequence's cells. One unified cache made every token attend over all slots' cells, masked (8 streams: 546 → 614 tok/s).
            ContextSize = model.ContextSize * (uint)slots,
            SeqMax = (uint)slots,
            KVUnified = false,
            BatchSize = (uint)batchCapacity,
            UBatchSize = (uint)batchCapacity,
            Threads = threads,
            // A batch of several sequences' tokens decodes with the batch thread count; left to autodetect it used one core here.
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        context = weights.CreateContext(parameters);
        if (lora is { } l) context.NativeHandle.SetLoraAdapters([(l.Adapter, l.Scale)]);
        for (var id = slots - 1; id >= 0; id--) freeSequenceIds.Push((LLamaSeqId)id);
        loop = new Thread(Run) { IsBackground = true, Name = "llama.cpp batch" };
        loop.Start();
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
            if (!freeSequenceIds.TryPop(out var id))
            {
                // The model's slot semaphore admits no more requests than there are sequence ids; this is a bug if it happens.
                pipeline.Dispose();
                sequence.Tokens.Writer.TryComplete(new InferenceException("no free sequence in the batch.", isTransient: true));
                return;
            }
            sequence.Id = id;
            sequence.Pending = prompt;
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

    void Run()
    {
        try
        {
            while (!disposed)
            {
                while (commands.Reader.TryRead(out var command)) command();
                if (!active.Exists(s => s.HasPending))
                {
                    // Nothing to decode: sleep until a request arrives or leaves (or the scheduler is disposed).
                    if (!commands.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;
                    continue;
                }
                Step();
            }
        }
        finally
        {
            FailAll(new ObjectDisposedException(nameof(LlamaBatchScheduler), "the model was unloaded."));
        }
    }

    /// <summary>One decode: every sequence's next token (a generating sequence) or as much of its prompt as fits, then a
    /// token sampled for each sequence whose pending tokens are all decoded.</summary>
    void Step()
    {
        batch.Clear();
        sampled.Clear();
        // Generating sequences (one token each) first, so a long prompt joining cannot hold them back a step.
        AddPending(generating: true);
        AddPending(generating: false);
        DecodeResult result;
        try
        {
            result = context.Decode(batch);
        }
        catch (Exception exception)
        {
            FailAll(new InferenceException($"llama.cpp batch decode failed: {exception.Message}", inner: exception));
            return;
        }
        if (result != DecodeResult.Ok)
        {
            FailAll(new InferenceException($"llama.cpp batch decode failed: {result}.", isTransient: result == DecodeResult.NoKvSlot));
            return;
        }
        foreach (var (sequence, index) in sampled)
        {
            var next = sequence.Pipeline.Sample(context.NativeHandle, index);
            if (next.IsEndOfGeneration(weights.Vocab))
            {
                End(sequence, null);
                continue;
            }
            sequence.Generated++;
            sequence.Tokens.Writer.TryWrite(next);
            if (sequence.Generated >= sequence.MaxTokens) End(sequence, null);
            else sequence.Pending = [next];
        }
    }

    void AddPending(bool generating)
    {
        foreach (var sequence in active)
        {
            if (!sequence.HasPending || (sequence.Pending.Length - sequence.PendingOffset == 1) != generating) continue;
            var take = Math.Min(batchCapacity - batch.TokenCount, sequence.Pending.Length - sequence.PendingOffset);
            for (var i = 0; i < take; i++)
            {
                var last = sequence.PendingOffset == sequence.Pending.Length - 1;
                var index = batch.Add(sequence.Pending[sequence.PendingOffset++], sequence.Position++, sequence.Id, logits: last);
                if (last) sampled.Add((sequence, index));
            }
        }
    }

    /// <summary>Removes a sequence (done, stopped or cancelled): its KV cells and sequence id are free for the next step.</summary>
    internal void End(BatchSequence sequence, Exception? error)
    {
        if (!active.Remove(sequence)) return;
        ActiveSequences = active.Count;
        context.NativeHandle.MemorySequenceRemove(sequence.Id, -1, -1);
        freeSequenceIds.Push(sequence.Id);
        sequence.Pipeline.Dispose();
        sequence.Tokens.Writer.TryComplete(error);
    }

    void FailAll(Exception error)
    {
        foreach (var sequence in active.ToList()) End(sequence, error);
    }

    public void Dispose()
    {
        disposed = true;
        commands.Writer.TryComplete();
        // The loop stops after the decode in progress, if any, and ends every sequence.
        if (!loop.Join(TimeSpan.FromSeconds(10))) return;
        context.Dispose();
    }
}

/// <summary>One request's place in the batch: its sequence id, position, tokens waiting to be decoded, sampler and the tokens it receives.</summary>
internal sealed class BatchSequence(LlamaBatchScheduler scheduler, DefaultSamplingPipeline pipeline, int maxTokens)
{
    LLamaToken[] pending = [];

    public LLamaSeqId Id { get; set; }
    public DefaultSamplingPipeline Pipeline { get; } = pipeline;
    public int MaxTokens { get; } = maxTokens;
    public int Generated { get; set; }

    /// <summary>Position of the next token in the sequence.</summary>
    public int Position { get; set; }

    /// <summary>Tokens to decode (the prompt, then each sampled token); <see cref="PendingOffset"/> of them are in the cache already.</summary>
    public LLamaToken[] Pending
    {
        get => pending;
        set
        {
            pending = value;
            PendingOffset = 0;
        }
    }

    public int PendingOffset { get; set; }
    public bool HasPending => PendingOffset < pending.Length;
    public Channel<LLamaToken> Tokens { get; } = Channel.CreateUnbounded<LLamaToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Leaves the batch (done, stopped by a stop sequence, or cancelled); safe to call more than once.</summary>
    public void Leave()
    {
        try { scheduler.Send(() => scheduler.End(this, null)); }
        catch (ObjectDisposedException) { /* the scheduler is gone and ended every sequence */ }
    }
}
