using System.Collections.Concurrent;
using LLama;
using LLama.Native;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>A thread that runs every llama.cpp decode of one context, for a request in its own context: llama.cpp's
/// OpenMP workers belong to the thread that calls it, so decoding from whichever thread-pool thread is free makes them
/// change and wait on each other (see <see cref="LlamaBatchScheduler"/>).</summary>
internal sealed class LlamaDecodeThread : IDisposable
{
    readonly BlockingCollection<Action> work = [];
    readonly Thread thread;

    public LlamaDecodeThread()
    {
        thread = new Thread(() =>
        {
            foreach (var item in work.GetConsumingEnumerable()) item();
        })
        { IsBackground = true, Name = "llama.cpp decode" };
        thread.Start();
    }

    public Task<DecodeResult> DecodeAsync(LLamaContext context, LLamaBatch batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<DecodeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        work.Add(() =>
        {
            try { done.SetResult(context.Decode(batch)); }
            catch (Exception exception) { done.SetException(exception); }
        }, cancellationToken);
        return done.Task;
    }

    /// <summary>Waits for the decode in progress, if any, then ends the thread.</summary>
    public void Dispose()
    {
        work.CompleteAdding();
        thread.Join();
        work.Dispose();
    }
}
