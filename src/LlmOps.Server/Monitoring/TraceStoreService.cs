using LlmOps.Monitoring;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Monitoring;

/// <summary>Runs the trace writer's batch loop; says in the log when records were dropped (also on /metrics); and every retention
/// interval deletes traces past the age and count limits.</summary>
public sealed class TraceStoreService(TraceWriter writer, TraceStoreOptions options, TimeProvider time, ILogger<TraceStoreService> logger) : BackgroundService
{
    static readonly TimeSpan DropCheck = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The writer's batches (redaction, inserts: milliseconds of CPU each) run on a thread of their own, not the pool's.
        var writing = BackgroundThread.Run("trace writer", () => writer.RunAsync(stoppingToken));
        var tick = options.RetentionInterval < DropCheck ? options.RetentionInterval : DropCheck;
        var lastRetention = time.GetUtcNow();
        long reportedFull = 0, reportedFailed = 0;
        try
        {
            using var timer = new PeriodicTimer(tick, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var (full, failed) = (writer.DroppedQueueFull, writer.DroppedWriteFailed);
                if (full > reportedFull || failed > reportedFailed)
                {
                    Log.TracesDropped(logger, full - reportedFull, failed - reportedFailed, writer.QueueCapacity);
                    (reportedFull, reportedFailed) = (full, failed);
                }
                if (time.GetUtcNow() - lastRetention < options.RetentionInterval) continue;
                lastRetention = time.GetUtcNow();
                try
                {
                    var deleted = await writer.ApplyRetentionAsync(stoppingToken);
                    if (deleted > 0) Log.TracesExpired(logger, deleted);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Log.TraceRetentionFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the writer drains its queue.
        }
        await writing;
    }
}
