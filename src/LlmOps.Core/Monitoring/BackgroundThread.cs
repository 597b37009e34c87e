using System.Collections.Concurrent;

namespace LlmOps.Monitoring;

/// <summary>Runs an async loop on a thread of its own: its awaits resume on that thread (a one-thread synchronization
/// context), so a loop that spends milliseconds of CPU at a time (the trace writer's batches) never holds a thread-pool
/// thread that the gateway's requests are queued for.</summary>
/// <remarks>An await that an awaited library ends with <c>ConfigureAwait(false)</c> after real I/O (Npgsql) finishes that
/// library call on the thread pool; the loop's own code comes back to the thread. The thread keeps the normal priority: a
/// lower one (nice 10) showed no gain at 200 requests/s and would let a stalled thread delay the GC's suspension of the process.</remarks>
public static class BackgroundThread
{
    /// <summary>Starts <paramref name="loop"/> on a new background thread named <paramref name="name"/>; the task ends with the loop.</summary>
    public static Task Run(string name, Func<Task> loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var context = new OneThreadContext();
            SynchronizationContext.SetSynchronizationContext(context);
            Task task;
            try
            {
                task = loop();
            }
            catch (Exception exception)
            {
                done.SetException(exception);
                return;
            }
            task.ContinueWith(_ => context.Complete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            context.Run();
            if (task.IsFaulted) done.SetException(task.Exception.InnerExceptions);
            else if (task.IsCanceled) done.SetCanceled();
            else done.SetResult();
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Runs posted continuations on the thread that calls <see cref="Run"/> until <see cref="Complete"/>.</summary>
    sealed class OneThreadContext : SynchronizationContext
    {
        readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> queue = [];

        public override void Post(SendOrPostCallback d, object? state)
        {
            try
            {
                queue.Add((d, state));
            }
            catch (InvalidOperationException)
            {
                // The loop has ended; a late continuation (a timer's) runs on the pool instead.
                ThreadPool.QueueUserWorkItem(_ => d(state));
            }
        }

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Send is not supported on the background thread's context.");

        public override SynchronizationContext CreateCopy() => this;

        public void Run()
        {
            foreach (var (callback, state) in queue.GetConsumingEnumerable()) callback(state);
        }

        public void Complete() => queue.CompleteAdding();
    }
}
