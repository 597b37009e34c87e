using LlmOps.Monitoring;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Monitoring;

/// <summary>Runs the trace writer's batch loop and, every retention interval, deletes traces past the age and count limits.</summary>
public sealed class TraceStoreService(TraceWriter writer, TraceStoreOptions options, TimeProvider time, ILogger<TraceStoreService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writing = writer.RunAsync(stoppingToken);
        try
        {
            using var timer = new PeriodicTimer(options.RetentionInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
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
