using LlmOps.Identity;
using LlmOps.Server.Artifacts;
using LlmOps.Server.Audit;
using LlmOps.Server.Datasets;
using LlmOps.Server.Deployments;
using LlmOps.Server.Gateway;
using LlmOps.Server.Hosting;
using LlmOps.Server.Identity;
using LlmOps.Server.Monitoring;
using LlmOps.Server.Otlp;
using LlmOps.Server.Pipelines;
using LlmOps.Server.Registry;
using LlmOps.Server.Runs;
using LlmOps.Storage;
using LlmOps.Artifacts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server;

/// <summary>The LlmOps server as a library: the CLI's <c>up</c> and the tests start the same host in-process.</summary>
public static class LlmOpsServer
{
    /// <summary>Builds the host: services, then the HTTP pipeline and every API group.</summary>
    public static WebApplication Build(ServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "LlmOps.Server" });
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        ConfigureLogging(builder.Logging, builder.Services, options);
        builder.Services.AddLlmOps(options);
        builder.Services.AddLlmOpsPipelines(options);
        builder.Services.AddLlmOpsTelemetry(options);
        builder.Services.Configure<JsonOptions>(json => LlmOpsJson.Configure(json.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(handlers => handlers.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemMapping>();
        builder.Services.AddOpenApi();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapLlmOpsApi(options);
        return app;
    }

    /// <summary>Builds a worker: the pipeline engine and Hangfire workers on the shared store, without HTTP
    /// (<c>llmops worker</c> on other machines, against PostgreSQL).</summary>
    public static IHost BuildWorker(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "LlmOps.Worker" });
        ConfigureLogging(builder.Logging, builder.Services, options);
        builder.Services.AddLlmOps(options);
        builder.Services.AddLlmOpsPipelines(options);
        return builder.Build();
    }

    static void ConfigureLogging(ILoggingBuilder logging, IServiceCollection services, ServerOptions options)
    {
        logging.ClearProviders();
        if (options.JsonLogs) logging.AddJsonConsole();
        else logging.AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; });
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Authentication registers data protection, which LlmOps does not use (no cookies): its key warnings are noise.
        logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        logging.AddFilter("Hangfire", LogLevel.Warning);
        if (options.Quiet)
        {
            // Behind a CLI command: stdout is the command's output (maybe --json), so logs go to stderr.
            logging.SetMinimumLevel(LogLevel.Warning);
            services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        }

    }

    /// <summary>Maps <c>/health</c>, <c>/openapi/v1.json</c> and every <c>/api</c> group.</summary>
    public static IEndpointRouteBuilder MapLlmOpsApi(this IEndpointRouteBuilder routes, ServerOptions options)
    {
        routes.MapGet("/health", (IStore store) => TypedResults.Ok(new HealthReport("ok", store.Provider))).WithTags("Health");
        routes.MapOpenApi();
        routes.MapModelsApi();
        routes.MapDatasetsApi();
        routes.MapRunsApi();
        routes.MapPipelinesApi();
        routes.MapArtifactsApi(options);
        routes.MapKeysApi();
        routes.MapAuditApi();
        routes.MapWebhooksApi();
        routes.MapDeploymentsApi();
        routes.MapGatewayApi();
        routes.MapMonitoringApi();
        routes.MapOtlpApi();
        return routes;
    }

    /// <summary>Migrates the store and creates the first admin key if there is none; returns that key (shown once) or null.</summary>
    public static async Task<CreatedApiKey?> PrepareAsync(this IHost app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        var store = app.Services.GetRequiredService<IStore>();
        await store.MigrateAsync(cancellationToken);
        var options = app.Services.GetRequiredService<ServerOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LlmOps.Server");
        Log.StoreReady(logger, store.Provider, options.Storage.ResolveArtifactsPath());
        _ = app.Services.GetRequiredService<IArtifactStore>();
        await app.Services.GetRequiredService<LlmOps.Pipelines.PipelineEngine>().RecoverAsync(includeQueued: true, cancellationToken);
        if (app.Services.GetService<EventRouter>() is { } router) await router.InitializeAsync(cancellationToken);
        var created = await ApiKeyService.BootstrapAdminAsync(store, app.Services.GetRequiredService<TimeProvider>(), cancellationToken);
        if (created is not null) Log.AdminKeyCreated(logger, created.Key.Id);
        return created;
    }
}

/// <summary>Body of <c>/health</c>.</summary>
public sealed record HealthReport(string Status, string Store);
