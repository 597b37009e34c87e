using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using LlmOps.Artifacts;
using LlmOps.Pipelines;
using LlmOps.Server.Pipelines.Steps;
using LlmOps.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmOps.Server.Pipelines;

/// <summary>Hands queued steps to Hangfire workers on the step's queue; Hangfire keeps them durable and retries crashed ones.</summary>
public sealed class HangfireStepDispatcher(IBackgroundJobClient jobs) : IStepDispatcher
{
    public void Dispatch(string runId, string stepId, string queue, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) jobs.Enqueue<PipelineStepJob>(queue, job => job.ExecuteAsync(runId, stepId, CancellationToken.None));
        else jobs.Schedule<PipelineStepJob>(queue, job => job.ExecuteAsync(runId, stepId, CancellationToken.None), delay);
    }
}

/// <summary>The Hangfire job: one step of one run. Retries are the engine's (with the pipeline's back-off), not Hangfire's.</summary>
public sealed class PipelineStepJob(PipelineEngine engine)
{
    [AutomaticRetry(Attempts = 0)]
    public Task ExecuteAsync(string runId, string stepId, CancellationToken cancellationToken) => engine.ExecuteStepAsync(runId, stepId, cancellationToken);
}

/// <summary>Takes over steps whose worker died: every half heartbeat-timeout, running steps with a stale heartbeat are
/// queued again (on any storage, so it does not rely on the job store noticing the dead worker).</summary>
public sealed class PipelineRecoverySweep(PipelineEngine engine, PipelineEngineOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatTimeout / 2);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await engine.RecoverAsync(includeQueued: false, stoppingToken);
            }
            catch (StorageException exception) when (exception.IsTransient)
            {
                // Busy store: the next tick tries again.
            }
        }
    }
}

/// <summary><c>AddLlmOpsPipelines()</c>: the engine, the built-in steps, and Hangfire on the same database as the store
/// (its own SQLite file beside the store's, or the same PostgreSQL database, schema <c>hangfire</c>).</summary>
public static class PipelineRegistration
{
    public static IServiceCollection AddLlmOpsPipelines(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddHttpClient();
        services.AddSingleton(sp => new PlatformServices(sp.GetRequiredService<IStore>(), sp.GetRequiredService<IArtifactStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IPipelineStep, ShellStep>();
        services.AddSingleton<IPipelineStep, NotifyStep>();
        services.AddSingleton<IPipelineStep, PromoteStep>();
        services.AddSingleton<IPipelineStep, ApprovalStep>();
        services.AddSingleton<IPipelineStep, DataPrepareStep>();
        services.AddSingleton<IPipelineStep, RegisterStep>();
        services.AddSingleton(new PipelineEngineOptions
        {
            WorkRoot = Path.Combine(new DataDirectory(options.Storage.DataDir).Root, "work"),
            HeartbeatInterval = options.StepHeartbeatInterval,
            HeartbeatTimeout = options.StepHeartbeatTimeout,
        });
        services.AddSingleton<IStepDispatcher, HangfireStepDispatcher>();
        services.AddSingleton<PipelineEngine>();
        services.AddTransient<PipelineStepJob>();
        services.AddScoped<IPipelineRuns>(sp => new PipelineRuns(sp.GetRequiredService<PipelineEngine>(), sp.GetRequiredService<LlmOps.Identity.Actor>()));

        services.AddHangfire(configuration =>
        {
            configuration.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (string.IsNullOrWhiteSpace(options.Storage.PostgresConnectionString))
            {
                var path = Path.Combine(new DataDirectory(options.Storage.DataDir).Ensure().Root, "jobs.db");
                configuration.UseSQLiteStorage(path, new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(250) });
            }
            else
            {
                // The sliding invisibility timeout renews a running job's lease, so a long step is not handed to a second worker.
                configuration.UsePostgreSqlStorage(pg => pg.UseNpgsqlConnection(options.Storage.PostgresConnectionString),
                    new PostgreSqlStorageOptions { UseSlidingInvisibilityTimeout = true, InvisibilityTimeout = options.JobInvisibilityTimeout, PrepareSchemaIfNecessary = true });
            }
        });
        if (options.Workers > 0)
        {
            services.AddHangfireServer(server =>
            {
                server.Queues = [.. options.WorkerQueues];
                server.WorkerCount = options.Workers;
                server.ServerName = $"llmops-{Environment.MachineName}-{Environment.ProcessId}";
                server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                // Steps are resumable (heartbeat + engine state), so stopping need not wait long for a running one.
                server.ShutdownTimeout = TimeSpan.FromSeconds(3);
                server.StopTimeout = TimeSpan.FromSeconds(1);
            });
            services.AddHostedService<PipelineRecoverySweep>();
        }
        return services;
    }
}
