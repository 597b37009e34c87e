using System.CommandLine;
using LlmOps.Artifacts;
using LlmOps.Audit;
using LlmOps.Datasets;
using LlmOps.Events;
using LlmOps.Deployments;
using LlmOps.Cli.Monitoring;
using LlmOps.Cli.Remote;
using LlmOps.Identity;
using LlmOps.Pipelines;
using LlmOps.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Storage;
using LlmOps.Storage.Artifacts;

namespace LlmOps.Cli;

/// <summary>What a command works against: the data directory directly (as the local admin, or as the principal of
/// <c>--api-key</c>), or a server through its <c>/api</c>. Commands see the same Core interfaces either way.</summary>
public sealed class CliSession : IAsyncDisposable
{
    readonly IAsyncDisposable? owned;
    readonly LlmOpsClient? client;
    readonly StorageOptions? storage;
    readonly Actor? localActor;
    WebApplication? workers;

    CliSession(IModelRegistry models, IDatasetRegistry datasets, IRunTracker runs, IApiKeys keys, IAuditTrail audit, IWebhooks webhooks, IDeployments deployments,
        IMonitoring monitoring, Func<Stream, CancellationToken, Task<BlobInfo>> upload, Func<string, CancellationToken, Task<Stream>> download,
        IAsyncDisposable? owned, LlmOpsClient? client, string location, StorageOptions? storage = null, Actor? localActor = null)
    {
        this.storage = storage;
        this.localActor = localActor;
        Download = download;
        Deployments = deployments;
        Models = models;
        Datasets = datasets;
        Runs = runs;
        Keys = keys;
        Audit = audit;
        Webhooks = webhooks;
        Monitoring = monitoring;
        Upload = upload;
        this.owned = owned;
        this.client = client;
        Location = location;
    }

    public IModelRegistry Models { get; }
    public IDatasetRegistry Datasets { get; }
    public IRunTracker Runs { get; }
    public IApiKeys Keys { get; }
    public IAuditTrail Audit { get; }
    public IWebhooks Webhooks { get; }
    public IDeployments Deployments { get; }

    /// <summary>Traces, feedback, prices, alerts and drift.</summary>
    public IMonitoring Monitoring { get; }

    /// <summary>Streams content into the artifact store (local folder or server).</summary>
    public Func<Stream, CancellationToken, Task<BlobInfo>> Upload { get; }

    /// <summary>Opens a blob of the artifact store (local folder or server) by SHA-256.</summary>
    public Func<string, CancellationToken, Task<Stream>> Download { get; }

    /// <summary>True when commands work on a data directory (so pipeline steps run in this process).</summary>
    public bool IsLocal => client is null;

    /// <summary>Pipeline runs: through the server, or locally with Hangfire workers started in this process on first use
    /// (sharing the data directory's job store with any <c>llmops up</c> running beside it).</summary>
    public async Task<IPipelineRuns> PipelinesAsync(CancellationToken cancellationToken)
    {
        if (client is not null) return client;
        if (workers is null)
        {
            // On SQLite the steps run here; on PostgreSQL, `llmops worker` processes run them and this process only enqueues.
            var app = LlmOpsServer.Build(new ServerOptions
            {
                Urls = "http://127.0.0.1:0",
                Storage = storage!,
                Quiet = true,
                Workers = string.IsNullOrWhiteSpace(storage!.PostgresConnectionString) ? 2 : 0,
            });
            if (await app.PrepareAsync(cancellationToken) is { } admin)
            {
                // A fresh data directory: keep its first admin key where `llmops up` would have put it.
                await SecretFiles.WriteAsync(new DataDirectory(storage.DataDir).AdminKeyPath, admin.Secret, cancellationToken);
            }
            await app.StartAsync(cancellationToken);
            workers = app;
        }
        return new PipelineRuns(workers.Services.GetRequiredService<PipelineEngine>(), localActor!);
    }

    /// <summary>Evaluation runs of the data directory, as this session's principal (they are not served over HTTP yet).</summary>
    public Evaluation.EvalHistory EvalHistory() =>
        owned is IStore store && localActor is not null
            ? new Evaluation.EvalHistory(store, localActor, TimeProvider.System)
            : throw new InvalidInputException("--server", "evaluation runs are stored in a data directory; run without --server.");

    /// <summary>The data directory or server URL, for messages.</summary>
    public string Location { get; }

    public static async Task<CliSession> OpenAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var apiKey = parse.GetValue(GlobalOptions.ApiKey) ?? Environment.GetEnvironmentVariable("LLMOPS_API_KEY");
        var serverText = parse.GetValue(GlobalOptions.Server) ?? Environment.GetEnvironmentVariable("LLMOPS_SERVER");
        if (!string.IsNullOrEmpty(serverText))
        {
            if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
                throw new InvalidInputException("--server", $"'{serverText}' is not an http(s) URL.");
            if (string.IsNullOrEmpty(apiKey))
                throw new InvalidInputException("--api-key", "talking to a server needs an API key (--api-key or LLMOPS_API_KEY).");
            var remote = new LlmOpsClient(server, apiKey);
            return new CliSession(remote, remote, remote, remote, remote, remote, remote, remote, remote.UploadAsync, remote.DownloadAsync, null, remote, server.ToString());
        }

        var storage = StorageFor(parse);
        var store = storage.CreateStore();
        try
        {
            await store.MigrateAsync(cancellationToken);
            var actor = Actor.LocalAdmin;
            if (!string.IsNullOrEmpty(apiKey))
            {
                actor = await new ApiKeyAuthenticator(store).AuthenticateAsync(apiKey, cancellationToken)
                    ?? throw new PermissionDeniedException("the API key is unknown, revoked or malformed in this data directory.");
            }
            var time = TimeProvider.System;
            var artifacts = new FileArtifactStore(storage.ResolveArtifactsPath(), time);
            return new CliSession(new ModelRegistry(store, artifacts, actor, time), new DatasetRegistry(store, artifacts, actor, time), new RunTracker(store, artifacts, actor, time),
                new ApiKeyService(store, actor, time), new AuditTrail(store, actor), new WebhookService(store, actor, time), new DeploymentService(store, actor, time), new LocalMonitoring(store, artifacts, actor, time), artifacts.PutAsync,
                (sha256, _) => Task.FromResult(artifacts.OpenRead(sha256)), store, null, new DataDirectory(storage.DataDir).Root, storage, actor);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Storage settings from <c>--data-dir</c>/<c>LLMOPS_HOME</c> and <c>--postgres</c>/<c>LLMOPS_POSTGRES</c>.</summary>
    public static StorageOptions StorageFor(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new StorageOptions
        {
            DataDir = DataDirectory.Resolve(parse.GetValue(GlobalOptions.DataDir)).Root,
            PostgresConnectionString = parse.GetValue(GlobalOptions.Postgres) ?? Environment.GetEnvironmentVariable("LLMOPS_POSTGRES"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (workers is not null)
        {
            await workers.StopAsync();
            await workers.DisposeAsync();
        }
        client?.Dispose();
        if (Monitoring is LocalMonitoring local) local.Dispose();
        if (owned is not null) await owned.DisposeAsync();
    }
}
