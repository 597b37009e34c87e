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

/// <summary>Runs this host's Hangfire server on its own storage for the host's lifetime.</summary>
internal sealed class HangfireWorkers(JobStorage storage, BackgroundJobServerOptions options) : IHostedService, IDisposable
{
    BackgroundJobServer? server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        server = new BackgroundJobServer(options, storage);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is null) return;
        server.SendStop();
        await server.WaitForShutdownAsync(cancellationToken);
    }

    public void Dispose() => server?.Dispose();
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
        services.AddSingleton<IPipelineStep, TrainStep>();
        services.AddSingleton<IPipelineStep, TokenizerTrainStep>();
        services.AddSingleton<IPipelineStep, EvaluateStep>();
        services.AddSingleton<IPipelineStep, DeployStep>();
        services.AddSingleton<IPipelineStep, CanaryWatchStep>();
        services.AddSingleton(new PipelineEngineOptions
        {
            WorkRoot = Path.Combine(new DataDirectory(options.Storage.DataDir).Root, "work"),
            HeartbeatInterval = options.StepHeartbeatInterval,
            HeartbeatTimeout = options.StepHeartbeatTimeout,
        });
        services.AddSingleton<IStepDispatcher, HangfireStepDispatcher>();
        services.AddSingleton<PipelineEngine>();
        services.AddTransient<PipelineStepJob>();
        services.AddTransient<PipelineTriggerJob>();
        services.AddTransient<WebhookDeliveryJob>();
        services.AddScoped<IPipelineRuns>(sp => new PipelineRuns(sp.GetRequiredService<PipelineEngine>(), sp.GetRequiredService<LlmOps.Identity.Actor>()));

        // Hangfire's AddHangfire() configures process-wide statics, so two hosts in one process (tests, or a CLI command
        // beside a server) would share one job store. Each host builds its own storage, client and server instead.
        GlobalConfiguration.Configuration.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
        services.AddSingleton<JobStorage>(_ => string.IsNullOrWhiteSpace(options.Storage.PostgresConnectionString)
            ? new SQLiteStorage(Path.Combine(new DataDirectory(options.Storage.DataDir).Ensure().Root, "jobs.db"),
                new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(250) })
            // The sliding invisibility timeout renews a running job's lease, so a long step is not handed to a second worker.
            : new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(options.Storage.PostgresConnectionString, new PostgreSqlStorageOptions()),
                new PostgreSqlStorageOptions { UseSlidingInvisibilityTimeout = true, InvisibilityTimeout = options.JobInvisibilityTimeout, PrepareSchemaIfNecessary = true }));
        services.AddSingleton<IBackgroundJobClient>(sp => new BackgroundJobClient(sp.GetRequiredService<JobStorage>()));
        services.AddSingleton<IRecurringJobManager>(sp => new RecurringJobManager(sp.GetRequiredService<JobStorage>()));
        if (options.Workers > 0)
        {
            services.AddHostedService(sp => new HangfireWorkers(sp.GetRequiredService<JobStorage>(), new BackgroundJobServerOptions
            {
                Queues = [.. options.WorkerQueues],
                WorkerCount = options.Workers,
                ServerName = $"llmops-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}",
                SchedulePollingInterval = TimeSpan.FromSeconds(1),
                // Steps are resumable (heartbeat + engine state), so stopping need not wait long for a running one.
                ShutdownTimeout = TimeSpan.FromSeconds(3),
                StopTimeout = TimeSpan.FromSeconds(1),
                Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()),
            }));
            services.AddHostedService<PipelineRecoverySweep>();
            services.AddSingleton<EventRouter>();
            services.AddHostedService(sp => sp.GetRequiredService<EventRouter>());
        }
        return services;
    }
}
