using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Inference;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Monitoring;
using Environments = LlmOps.Registry.Environments;
using LlmOps.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Gateway;

/// <summary>Serves one OpenAI request: limits, deployment lookup, canary draw, shadow copy, fallback chain, response, trace and metrics.</summary>
/// <remarks>The deployment is read when a request arrives and the request keeps the runtime (and model lease) it started on,
/// so changing a deployment takes effect for the next request while requests in flight finish where they are: drain, then swap.</remarks>
public sealed class GatewayService(
    IStore store, ChatRuntimes runtimes, ITraceSink traces, Monitoring.OnlineEvaluator onlineEval, KeyLimiter limiter, GatewayMetrics metrics, GatewayOptions options,
    TimeProvider timeProvider, IHostApplicationLifetime lifetime, ILogger<GatewayService> logger)
{
    public const string VersionHeader = "x-llmops-version";
    public const string DeploymentHeader = "x-llmops-deployment";
    public const string RevisionHeader = "x-llmops-revision";

    readonly Random? seeded = options.RoutingSeed is { } seed ? new Random(seed) : null;
    readonly Lock randomGate = new();

    /// <summary>Reads <c>endpoint@environment</c>, or a bare <c>endpoint</c> in the default environment.</summary>
    public (string Endpoint, string Environment) ParseModel(string model) => ParseModel(model, options.DefaultEnvironment);

    /// <summary>Reads <c>endpoint@environment</c>, or a bare <c>endpoint</c> in <paramref name="defaultEnvironment"/>.</summary>
    public static (string Endpoint, string Environment) ParseModel(string model, string defaultEnvironment)
    {
        ArgumentNullException.ThrowIfNull(model);
        var at = model.LastIndexOf('@');
        var endpoint = at > 0 ? model[..at] : model;
        var environment = at > 0 ? model[(at + 1)..] : defaultEnvironment;
        if (!Environments.All.Contains(environment))
            throw new InvalidInputException("model", $"'{model}': environment '{environment}' is not one of {string.Join(", ", Environments.All)}; name a model ENDPOINT or ENDPOINT@ENVIRONMENT.");
        return (endpoint, environment);
    }

    /// <summary>Finds the deployment a model name means and checks the key may use it.</summary>
    public async Task<Deployment> ResolveAsync(string model, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var (endpoint, environment) = ParseModel(model);
        if (!ApiScopes.AdmitsDeployment(actor.Scopes, endpoint, environment))
            throw new PermissionDeniedException($"Key '{actor.Name}' ({actor.Id}) has no gateway scope for {endpoint}@{environment}.");
        return await ResolveAsync(model, cancellationToken);
    }

    public async Task<Deployment> ResolveAsync(string model, CancellationToken cancellationToken)
    {
        var (endpoint, environment) = ParseModel(model);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Deployments.GetLatestAsync(environment, endpoint, cancellationToken)
            ?? throw new NotFoundException("model", model);
    }

    /// <summary>Every current deployment, for <c>/v1/models</c>.</summary>
    public async Task<IReadOnlyList<Deployment>> ListAsync(CancellationToken cancellationToken)
    {
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Deployments.ListLatestAsync(cancellationToken);
    }

    /// <summary>A uniform draw for the canary choice (seeded when <see cref="GatewayOptions.RoutingSeed"/> is set).</summary>
    public double Draw()
    {
        if (seeded is null) return Random.Shared.NextDouble();
        lock (randomGate) return seeded.NextDouble();
    }

    public async Task HandleAsync(HttpContext http, Actor actor, GatewayRoute route)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(actor);
        var arrived = Stopwatch.GetTimestamp();
        var at = timeProvider.GetUtcNow();
        using var body = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
        var request = route == GatewayRoute.ChatCompletions ? OpenAiRequests.ParseChat(body.RootElement) : OpenAiRequests.ParseCompletion(body.RootElement);
        // Bad sampling values and schemas a grammar cannot express are the caller's to fix: refuse before routing.
        _ = SamplingSettings.From(request.Options, () => 0);
        _ = JsonGrammar.For(request.Options.ResponseFormat);
        GatewayTelemetry.Start(http, route, request);
        var deployment = await ResolveAsync(request.Model, actor, http.RequestAborted);
        await limiter.AdmitAsync(actor.Id, http.RequestAborted);

        var chosen = DeploymentRouting.Choose(deployment.Spec, Draw());
        var chain = DeploymentRouting.Chain(deployment.Spec, chosen);
        var id = (route == GatewayRoute.ChatCompletions ? "chatcmpl-" : "cmpl-") + Guid.CreateVersion7().ToString("N");
        var created = at.ToUnixTimeSeconds();
        var timeout = deployment.Spec.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.DefaultTimeout;
        if (deployment.Spec.Shadow is { } shadow) StartShadow(deployment, shadow, request, id, actor, route, timeout, at);

        var failed = new List<string>();
        Exception? lastError = null;
        foreach (var reference in chain)
        {
            var labels = new[] { deployment.Name, reference.Reference };
            metrics.Waiting.Add(1, labels);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            attempt.CancelAfter(timeout);
            IAsyncEnumerator<ChatResponseUpdate>? updates = null;
            bool more;
            try
            {
                var client = await runtimes.GetAsync(reference, attempt.Token);
                updates = client.GetStreamingResponseAsync(request.Messages, request.Options, attempt.Token).GetAsyncEnumerator(attempt.Token);
                more = await updates.MoveNextAsync();
            }
            catch (Exception exception) when (exception is not InvalidInputException && !http.RequestAborted.IsCancellationRequested)
            {
                metrics.Waiting.Add(-1, labels);
                if (updates is not null) await updates.DisposeAsync();
                var reason = attempt.IsCancellationRequested ? $"no output within {timeout.TotalSeconds:0.###} s" : exception.Message;
                Log.VersionFailed(logger, deployment.Name, reference.Reference, reason);
                failed.Add(reference.Reference);
                lastError = exception;
                continue;
            }
            catch
            {
                metrics.Waiting.Add(-1, labels);
                if (updates is not null) await updates.DisposeAsync();
                throw;
            }
            attempt.CancelAfter(Timeout.InfiniteTimeSpan);
            metrics.Waiting.Add(-1, labels);
            metrics.Running.Add(1, labels);
            await ServeAsync(http, request, route, deployment, reference, updates, more, id, created, actor, failed, arrived, at);
            return;
        }

        var total = Stopwatch.GetElapsedTime(arrived);
        await traces.RecordAsync(GatewayTelemetry.Complete(http, new TraceRecord(id, deployment.Name, deployment.Revision, failed.LastOrDefault() ?? "-", actor.Id, OpenAiResponses.RouteName(route), false,
            failed, null, null, total, 0, 0, TraceStatus.Error, lastError?.Message, null, at)));
        throw new InferenceException($"every version of {deployment.Name} failed ({string.Join(", ", failed)}); last error: {lastError?.Message}", isTransient: true, lastError);
    }

    async Task ServeAsync(HttpContext http, GatewayRequest request, GatewayRoute route, Deployment deployment, VersionRef reference,
        IAsyncEnumerator<ChatResponseUpdate> updates, bool more, string id, long created, Actor actor, List<string> failed, long arrived, DateTimeOffset at)
    {
        var labels = new[] { deployment.Name, reference.Reference };
        var monitoring = deployment.Spec.Monitoring ?? MonitoringSettings.Default;
        TimeSpan? ttft = null;
        TimeSpan? queue = null;
        var text = new StringBuilder();
        int prompt = 0, completion = 0;
        var finish = "stop";
        var status = TraceStatus.Ok;
        string? error = null;
        try
        {
            http.Response.Headers[VersionHeader] = reference.Reference;
            http.Response.Headers[DeploymentHeader] = deployment.Name;
            http.Response.Headers[RevisionHeader] = deployment.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (request.Stream) OpenAiResponses.StartStream(http);
            var first = true;
            while (more)
            {
                var update = updates.Current;
                if (update.AdditionalProperties?.TryGetValue(LlamaCppChatClient.QueueSecondsKey, out var q) == true && q is double queueSeconds)
                    queue = TimeSpan.FromSeconds(queueSeconds);
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent usage)
                    {
                        prompt = (int)(usage.Details.InputTokenCount ?? prompt);
                        completion = (int)(usage.Details.OutputTokenCount ?? completion);
                    }
                }
                if (update.FinishReason is { } reason) finish = OpenAiResponses.FinishReason(reason);
                var piece = update.Text;
                if (piece.Length > 0)
                {
                    ttft ??= Stopwatch.GetElapsedTime(arrived);
                    if (request.Stream) await OpenAiResponses.WriteChunkAsync(http, route, id, created, request.Model, piece, first, null);
                    if (!request.Stream || monitoring.CaptureContent) text.Append(piece);
                    first = false;
                }
                more = await updates.MoveNextAsync();
            }
            if (request.Stream)
            {
                await OpenAiResponses.WriteChunkAsync(http, route, id, created, request.Model, first ? "" : null, first, finish);
                if (request.IncludeUsage) await OpenAiResponses.WriteUsageChunkAsync(http, route, id, created, request.Model, prompt, completion);
                await OpenAiResponses.WriteDoneAsync(http);
            }
            else
            {
                await OpenAiResponses.WriteCompletionAsync(http, route, id, created, request.Model, text.ToString(), finish, prompt, completion);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away: the generation stopped with the token and its slot is free again.
            status = TraceStatus.Cancelled;
        }
        catch (Exception exception) when (http.Response.HasStarted)
        {
            status = TraceStatus.Error;
            error = exception.Message;
            Log.StreamFailed(logger, exception, deployment.Name, reference.Reference);
            http.Abort();
        }
        finally
        {
            await updates.DisposeAsync();
            var total = Stopwatch.GetElapsedTime(arrived);
            metrics.Running.Add(-1, labels);
            metrics.E2e.Observe(total.TotalSeconds, labels);
            if (ttft is { } t) metrics.Ttft.Observe(t.TotalSeconds, labels);
            metrics.Prompt.Inc(prompt, labels);
            metrics.Generation.Inc(completion, labels);
            metrics.Finished.Inc(1, deployment.Name, reference.Reference, status);
            limiter.Record(actor.Id, prompt, completion);
            var record = GatewayTelemetry.Complete(http, new TraceRecord(id, deployment.Name, deployment.Revision, reference.Reference, actor.Id, OpenAiResponses.RouteName(route), false,
                failed, queue, ttft, total, prompt, completion, status, error, monitoring.CaptureContent ? text.ToString() : null, at)
            {
                Prompt = monitoring.CaptureContent ? PromptText(request.Messages) : null,
                RedactPii = monitoring.RedactPii,
            }, finish);
            await traces.RecordAsync(record);
            if (monitoring.OnlineEval is not null) onlineEval.Offer(record, deployment, Draw());
        }
    }

    /// <summary>The prompt as one text: a single message as it is, a conversation as <c>role: text</c> lines.</summary>
    public static string PromptText(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Count == 1 ? messages[0].Text : string.Join('\n', messages.Select(m => $"{m.Role.Value}: {m.Text}"));
    }

    void StartShadow(Deployment deployment, VersionRef shadow, GatewayRequest request, string id, Actor actor, GatewayRoute route, TimeSpan timeout, DateTimeOffset at)
    {
        // Fire and forget: the caller never waits for the shadow, never sees its answer or its failure.
        _ = Task.Run(async () =>
        {
            var started = Stopwatch.GetTimestamp();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
            cts.CancelAfter(timeout);
            string status = TraceStatus.Ok;
            string? error = null, completion = null;
            int prompt = 0, generated = 0;
            try
            {
                var client = await runtimes.GetAsync(shadow, cts.Token);
                var response = await client.GetResponseAsync(request.Messages, request.Options, cts.Token);
                completion = response.Text;
                prompt = (int)(response.Usage?.InputTokenCount ?? 0);
                generated = (int)(response.Usage?.OutputTokenCount ?? 0);
            }
            catch (Exception exception)
            {
                status = exception is OperationCanceledException ? TraceStatus.Cancelled : TraceStatus.Error;
                error = exception.Message;
                Log.ShadowFailed(logger, deployment.Name, shadow.Reference, exception.Message);
            }
            var total = Stopwatch.GetElapsedTime(started);
            metrics.E2e.Observe(total.TotalSeconds, deployment.Name, shadow.Reference);
            metrics.Prompt.Inc(prompt, deployment.Name, shadow.Reference);
            metrics.Generation.Inc(generated, deployment.Name, shadow.Reference);
            await traces.RecordAsync(new TraceRecord(id, deployment.Name, deployment.Revision, shadow.Reference, actor.Id, OpenAiResponses.RouteName(route), true,
                [], null, null, total, prompt, generated, status, error, completion, at)
            {
                RedactPii = (deployment.Spec.Monitoring ?? MonitoringSettings.Default).RedactPii,
            });
        }, CancellationToken.None);
    }
}
