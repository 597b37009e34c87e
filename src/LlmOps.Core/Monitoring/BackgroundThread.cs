using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace LlmOps.Monitoring;

/// <summary>Runs an async loop on a thread of its own that yields the CPU to everything else in the process: its awaits resume
/// on that thread (a one-thread synchronization context), and on Linux the thread's nice value is raised, so the kernel runs the
/// gateway's request threads first when both want a core. For work that must not add to request latency (the trace writer).</summary>
/// <remarks>An await that an awaited library ends with <c>ConfigureAwait(false)</c> after real I/O (Npgsql) finishes that
/// library call on the thread pool; the loop's own code comes back to the thread.</remarks>
public static class BackgroundThread
{
    /// <summary>Nice value of the thread (0 is normal, 19 the lowest priority).</summary>
    public const int Nice = 10;

    /// <summary>Starts <paramref name="loop"/> on a new background thread named <paramref name="name"/>; the task ends with the loop.</summary>
    public static Task Run(string name, Func<Task> loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            LowerPriority();
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

    /// <summary>The calling thread's nice value, or null where threads have none (not Linux).</summary>
    public static int? CurrentNice()
    {
        if (!OperatingSystem.IsLinux()) return null;
        Marshal.SetLastPInvokeError(0);
        var nice = getpriority(PrioProcess, gettid());
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
    }

    static void LowerPriority()
    {
        // Linux keeps a nice value per thread (setpriority with a thread id); raising it needs no privilege. Elsewhere the
        // thread keeps the normal priority: .NET's Thread.Priority does not change scheduling on Unix.
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _ = setpriority(PrioProcess, gettid(), Nice);
        }
        catch (EntryPointNotFoundException)
        {
            // A libc without gettid (glibc before 2.30): the thread keeps the normal priority.
        }
    }

    const int PrioProcess = 0;

    // DllImport, not LibraryImport: int-only signatures need no marshalling, and LibraryImport would need unsafe code here.
    [DllImport("libc", SetLastError = true)]
    static extern int setpriority(int which, int who, int prio);

    [DllImport("libc", SetLastError = true)]
    static extern int getpriority(int which, int who);

    [DllImport("libc")]
    static extern int gettid();

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
