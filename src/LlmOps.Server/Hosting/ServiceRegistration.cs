using LlmOps.Artifacts;
using LlmOps.Audit;
using LlmOps.Datasets;
using LlmOps.Events;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Monitoring;
using LlmOps.Server.Gateway;
using LlmOps.Server.Identity;
using LlmOps.Server.Monitoring;
using LlmOps.Storage;
using LlmOps.Storage.Artifacts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.Server.Hosting;

/// <summary><c>AddLlmOps()</c>: the store, the artifact store, identity and the Core services, scoped to the caller.</summary>
public static class ServiceRegistration
{
    public static IServiceCollection AddLlmOps(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => options.Storage.CreateStore());
        services.AddSingleton<IArtifactStore>(sp => new FileArtifactStore(options.Storage.ResolveArtifactsPath(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddHttpContextAccessor();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddSingleton<IAuthorizationHandler, PermissionHandler>();

        services.AddScoped(sp => ActorClaims.FromPrincipal(sp.GetRequiredService<IHttpContextAccessor>().HttpContext?.User)
            ?? throw new PermissionDeniedException("No authenticated caller."));
        services.AddScoped<IModelRegistry>(sp => new ModelRegistry(sp.GetRequiredService<IStore>(), sp.GetRequiredService<IArtifactStore>(),
            sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<IRunTracker>(sp => new RunTracker(sp.GetRequiredService<IStore>(), sp.GetRequiredService<IArtifactStore>(),
            sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<IApiKeys>(sp => new ApiKeyService(sp.GetRequiredService<IStore>(), sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<IDatasetRegistry>(sp => new DatasetRegistry(sp.GetRequiredService<IStore>(), sp.GetRequiredService<IArtifactStore>(),
            sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<IWebhooks>(sp => new WebhookService(sp.GetRequiredService<IStore>(), sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(options.Gateway);
        services.AddSingleton(sp => new LlamaModelCache(options.Gateway.LlamaCpp, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ChatRuntimes>();
        services.AddSingleton(options.Traces);
        services.AddSingleton(sp => new TraceWriter(sp.GetRequiredService<IStore>(), options.Traces, sp.GetRequiredService<TimeProvider>(),
            error => Log.TraceWriteFailed(sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<TraceWriter>>(), error.Message)));
        services.AddSingleton<ITraceSink>(sp => sp.GetRequiredService<TraceWriter>());
        services.AddSingleton<ITraceQuery>(sp => sp.GetRequiredService<TraceWriter>());
        services.AddSingleton<MonitoringMetrics>();
        services.AddHostedService<TraceStoreService>();
        services.AddScoped(sp => new LlmOps.Monitoring.Alerts.AlertService(sp.GetRequiredService<IStore>(), sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<DriftMonitor>();
        services.AddSingleton<AlertEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEvaluator>());
        services.AddSingleton<OnlineEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<OnlineEvaluator>());
        services.AddScoped(sp => new MonitoringService(sp.GetRequiredService<IStore>(), sp.GetRequiredService<ITraceQuery>(),
            sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new KeyLimiter(options.Gateway.Limits, sp.GetRequiredService<TimeProvider>(), async (keyId, ct) =>
        {
            await using var session = await sp.GetRequiredService<IStore>().OpenAsync(write: false, ct);
            return (await session.Traces.GetKeyUsageAsync(keyId, ct)).TotalTokens;
        }));
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<GatewayService>();
        services.AddSingleton<EmbeddingsEndpoint>();
        services.AddScoped<IDeployments>(sp => new DeploymentService(sp.GetRequiredService<IStore>(), sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<IAuditTrail>(sp => new AuditTrail(sp.GetRequiredService<IStore>(), sp.GetRequiredService<Actor>()));
        services.AddScoped(sp => new ArtifactGarbageCollector(sp.GetRequiredService<IStore>(), sp.GetRequiredService<IArtifactStore>(),
            sp.GetRequiredService<Actor>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
