using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LlmOps.Artifacts;
using LlmOps.Audit;
using LlmOps.Datasets;
using LlmOps.Events;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Pipelines;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Storage;

namespace LlmOps.Cli.Remote;

/// <summary>The server's <c>/api</c> behind the same Core interfaces the CLI uses locally; ProblemDetails become the same exceptions.</summary>
public sealed partial class LlmOpsClient : IModelRegistry, IDatasetRegistry, IRunTracker, IPipelineRuns, IApiKeys, IAuditTrail, IWebhooks, IDeployments, IDisposable
{
    readonly HttpClient http;

    public LlmOpsClient(Uri server, string? apiKey, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.BaseAddress = server;
        http.Timeout = Timeout.InfiniteTimeSpan;
        if (!string.IsNullOrEmpty(apiKey)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    // Models
    public Task<RegisteredModel> CreateModelAsync(CreateModel request, CancellationToken cancellationToken = default) =>
        SendAsync<RegisteredModel>(HttpMethod.Post, "api/models", request, cancellationToken);
    public Task<RegisteredModel> GetModelAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<RegisteredModel>(HttpMethod.Get, $"api/models/{Esc(name)}", null, cancellationToken);
    public Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<RegisteredModel>>(HttpMethod.Get, "api/models", null, cancellationToken);
    public Task<ModelVersion> RegisterVersionAsync(RegisterVersion request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<ModelVersion>(HttpMethod.Post, $"api/models/{Esc(request.ModelName)}/versions",
            new { request.Format, request.Files, request.SourceUri, request.Lineage, request.Metrics, request.Tags, request.ModelCard }, cancellationToken);
    }
    public Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default) =>
        SendAsync<ModelVersion>(HttpMethod.Get, $"api/models/{Esc(name)}/versions/{version}", null, cancellationToken);
    public Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ModelVersion>>(HttpMethod.Get, $"api/models/{Esc(name)}/versions", null, cancellationToken);
    public Task<ModelVersion> ResolveAsync(string reference, CancellationToken cancellationToken = default) =>
        SendAsync<ModelVersion>(HttpMethod.Get, $"api/model-versions/resolve?reference={Esc(reference)}", null, cancellationToken);
    public Task<ModelVersion> RequestApprovalAsync(string name, int version, ApprovalDecision request, CancellationToken cancellationToken = default) =>
        SendAsync<ModelVersion>(HttpMethod.Post, $"api/models/{Esc(name)}/versions/{version}/request-approval", request, cancellationToken);
    public Task<ModelVersion> ApproveAsync(string name, int version, ApprovalDecision decision, CancellationToken cancellationToken = default) =>
        SendAsync<ModelVersion>(HttpMethod.Post, $"api/models/{Esc(name)}/versions/{version}/approve", decision, cancellationToken);
    public Task<ModelVersion> RejectAsync(string name, int version, ApprovalDecision decision, CancellationToken cancellationToken = default) =>
        SendAsync<ModelVersion>(HttpMethod.Post, $"api/models/{Esc(name)}/versions/{version}/reject", decision, cancellationToken);
    public Task<IReadOnlyList<ApprovalEvent>> ListApprovalEventsAsync(string name, int version, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ApprovalEvent>>(HttpMethod.Get, $"api/models/{Esc(name)}/versions/{version}/approvals", null, cancellationToken);
    public Task<AliasMove> PromoteAsync(string name, int version, string environment, CancellationToken cancellationToken = default) =>
        SendAsync<AliasMove>(HttpMethod.Put, $"api/models/{Esc(name)}/aliases/{Esc(environment)}", new { version }, cancellationToken);
    public Task<IReadOnlyList<AliasMove>> ListAliasMovesAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<AliasMove>>(HttpMethod.Get, $"api/models/{Esc(name)}/aliases/history", null, cancellationToken);

    // Datasets
    public Task<DatasetVersion> RegisterAsync(RegisterDataset request, CancellationToken cancellationToken = default) =>
        SendAsync<DatasetVersion>(HttpMethod.Post, "api/datasets", request, cancellationToken);
    public Task<DatasetVersion> GetAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<DatasetVersion>(HttpMethod.Get, $"api/datasets/{Esc(id)}", null, cancellationToken);
    Task<IReadOnlyList<DatasetVersion>> IDatasetRegistry.ListAsync(string? name, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<DatasetVersion>>(HttpMethod.Get, name is null ? "api/datasets" : $"api/datasets?name={Esc(name)}", null, cancellationToken);
    public Task<DatasetDiff> DiffAsync(string from, string to, CancellationToken cancellationToken = default) =>
        SendAsync<DatasetDiff>(HttpMethod.Get, $"api/datasets/diff?from={Esc(from)}&to={Esc(to)}", null, cancellationToken);

    // Runs
    public Task<Run> StartRunAsync(StartRun request, CancellationToken cancellationToken = default) =>
        SendAsync<Run>(HttpMethod.Post, "api/runs", request, cancellationToken);
    public Task<RunDetails> GetRunAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<RunDetails>(HttpMethod.Get, $"api/runs/{Esc(id)}", null, cancellationToken);
    public Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parts = new List<string> { $"limit={query.Limit}" };
        if (query.Experiment is not null) parts.Add($"experiment={Esc(query.Experiment)}");
        if (query.Status is not null) parts.Add($"status={query.Status}");
        if (query.ParentRunId is not null) parts.Add($"parent={Esc(query.ParentRunId)}");
        return SendAsync<IReadOnlyList<Run>>(HttpMethod.Get, $"api/runs?{string.Join('&', parts)}", null, cancellationToken);
    }
    public Task LogParamsAsync(string id, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Post, $"api/runs/{Esc(id)}/params", parameters, cancellationToken);
    public Task LogMetricsAsync(string id, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Post, $"api/runs/{Esc(id)}/metrics", points, cancellationToken);
    public Task<IReadOnlyList<MetricPoint>> GetMetricHistoryAsync(string id, string name, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<MetricPoint>>(HttpMethod.Get, $"api/runs/{Esc(id)}/metrics/{Esc(name)}", null, cancellationToken);
    public Task<ArtifactFile> LogArtifactAsync(string id, string name, string sha256, CancellationToken cancellationToken = default) =>
        SendAsync<ArtifactFile>(HttpMethod.Post, $"api/runs/{Esc(id)}/artifacts", new { name, sha256 }, cancellationToken);
    public Task<Run> EndRunAsync(string id, RunStatus status, CancellationToken cancellationToken = default) =>
        SendAsync<Run>(HttpMethod.Post, $"api/runs/{Esc(id)}/end", new { status }, cancellationToken);
    public Task<RunComparison> CompareAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return SendAsync<RunComparison>(HttpMethod.Get, $"api/runs/compare?{string.Join('&', ids.Select(i => $"ids={Esc(i)}"))}", null, cancellationToken);
    }

    // Pipelines
    public Task<PipelineRun> StartAsync(StartPipeline request, CancellationToken cancellationToken = default) =>
        SendAsync<PipelineRun>(HttpMethod.Post, "api/pipelines/runs", request, cancellationToken);
    Task<PipelineRunDetails> IPipelineRuns.GetAsync(string runId, CancellationToken cancellationToken) =>
        SendAsync<PipelineRunDetails>(HttpMethod.Get, $"api/pipelines/runs/{Esc(runId)}", null, cancellationToken);
    Task<IReadOnlyList<PipelineRun>> IPipelineRuns.ListAsync(string? pipeline, int limit, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<PipelineRun>>(HttpMethod.Get, $"api/pipelines/runs?limit={limit}" + (pipeline is null ? "" : $"&pipeline={Esc(pipeline)}"), null, cancellationToken);
    public Task<IReadOnlyList<StepLogLine>> LogsAsync(string runId, string? stepId = null, long afterSequence = 0, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<StepLogLine>>(HttpMethod.Get, $"api/pipelines/runs/{Esc(runId)}/logs?after={afterSequence}" + (stepId is null ? "" : $"&step={Esc(stepId)}"), null, cancellationToken);
    public Task<PipelineRun> CancelAsync(string runId, CancellationToken cancellationToken = default) =>
        SendAsync<PipelineRun>(HttpMethod.Post, $"api/pipelines/runs/{Esc(runId)}/cancel", null, cancellationToken);
    public Task<PipelineRun> RetryAsync(string runId, CancellationToken cancellationToken = default) =>
        SendAsync<PipelineRun>(HttpMethod.Post, $"api/pipelines/runs/{Esc(runId)}/retry", null, cancellationToken);
    public Task<PipelineRun> DecideAsync(string runId, PipelineDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return SendAsync<PipelineRun>(HttpMethod.Post, $"api/pipelines/runs/{Esc(runId)}/{(decision.Approve ? "approve" : "reject")}", new { comment = decision.Comment }, cancellationToken);
    }

    public Task<RegisteredPipeline> RegisterAsync(string yaml, string? source = null, CancellationToken cancellationToken = default) =>
        SendAsync<RegisteredPipeline>(HttpMethod.Post, "api/pipelines", new { yaml, source }, cancellationToken);
    public Task<IReadOnlyList<RegisteredPipeline>> ListRegisteredAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<RegisteredPipeline>>(HttpMethod.Get, "api/pipelines", null, cancellationToken);
    public Task RemoveAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"api/pipelines/{Esc(name)}", null, cancellationToken);
    public Task<PipelineRun> StartRegisteredAsync(string name, IReadOnlyDictionary<string, string>? parameters = null, CancellationToken cancellationToken = default) =>
        SendAsync<PipelineRun>(HttpMethod.Post, $"api/pipelines/{Esc(name)}/runs", new { @params = parameters }, cancellationToken);

    // Webhooks
    public Task<Webhook> CreateAsync(CreateWebhook request, CancellationToken cancellationToken = default) =>
        SendAsync<Webhook>(HttpMethod.Post, "api/webhooks", request, cancellationToken);
    Task<IReadOnlyList<Webhook>> IWebhooks.ListAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<Webhook>>(HttpMethod.Get, "api/webhooks", null, cancellationToken);
    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"api/webhooks/{Esc(id)}", null, cancellationToken);

    // Keys
    public Task<CreatedApiKey> CreateAsync(CreateApiKey request, CancellationToken cancellationToken = default) =>
        SendAsync<CreatedApiKey>(HttpMethod.Post, "api/keys", request, cancellationToken);
    Task<IReadOnlyList<ApiKey>> IApiKeys.ListAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ApiKey>>(HttpMethod.Get, "api/keys", null, cancellationToken);
    public Task<ApiKey> RevokeAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<ApiKey>(HttpMethod.Delete, $"api/keys/{Esc(id)}", null, cancellationToken);

    // Audit
    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default) =>
        SendAsync<AuditVerification>(HttpMethod.Get, "api/audit/verify", null, cancellationToken);
    Task<IReadOnlyList<AuditEntry>> IAuditTrail.ListAsync(long afterSequence, int limit, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<AuditEntry>>(HttpMethod.Get, $"api/audit?after={afterSequence}&limit={limit}", null, cancellationToken);

    // Deployments
    public Task<Deployment> SetAsync(string environment, string endpoint, DeploymentSpec spec, CancellationToken cancellationToken = default) =>
        SendAsync<Deployment>(HttpMethod.Put, $"api/deployments/{Esc(environment)}/{Esc(endpoint)}", spec, cancellationToken);
    public Task<Deployment> GetAsync(string environment, string endpoint, CancellationToken cancellationToken = default) =>
        SendAsync<Deployment>(HttpMethod.Get, $"api/deployments/{Esc(environment)}/{Esc(endpoint)}", null, cancellationToken);
    Task<IReadOnlyList<Deployment>> IDeployments.ListAsync(string? environment, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<Deployment>>(HttpMethod.Get, environment is null ? "api/deployments" : $"api/deployments?environment={Esc(environment)}", null, cancellationToken);
    public Task<IReadOnlyList<Deployment>> HistoryAsync(string environment, string endpoint, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<Deployment>>(HttpMethod.Get, $"api/deployments/{Esc(environment)}/{Esc(endpoint)}/revisions", null, cancellationToken);
    public Task<Deployment> RollbackAsync(string environment, string endpoint, CancellationToken cancellationToken = default) =>
        SendAsync<Deployment>(HttpMethod.Post, $"api/deployments/{Esc(environment)}/{Esc(endpoint)}/rollback", null, cancellationToken);

    // Artifacts
    /// <summary>Streams a file to the server's artifact store.</summary>
    public async Task<BlobInfo> UploadAsync(Stream content, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "api/artifacts") { Content = new StreamContent(content, 1 << 20) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendRawAsync(request, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<BlobInfo>(LlmOpsJson.Options, cancellationToken))!;
    }

    /// <summary>Streams a blob from the server's artifact store; the caller disposes the stream.</summary>
    public async Task<Stream> DownloadAsync(string sha256, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/artifacts/{Esc(sha256)}");
        var response = await SendRawAsync(request, cancellationToken);
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: LlmOpsJson.Options);
        using var response = await SendRawAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent) return default!;
        return (await response.Content.ReadFromJsonAsync<T>(LlmOpsJson.Options, cancellationToken))!;
    }

    async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new ServerUnreachableException($"cannot reach the LlmOps server at {http.BaseAddress}: {exception.Message}", exception);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            string detail;
            string? field = null, rule = null;
            try
            {
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                detail = problem.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : response.ReasonPhrase ?? "";
                if (problem.TryGetProperty("field", out var f)) field = f.GetString();
                if (problem.TryGetProperty("rule", out var r)) rule = r.GetString();
            }
            catch (JsonException)
            {
                detail = response.ReasonPhrase ?? response.StatusCode.ToString();
            }
            throw response.StatusCode switch
            {
                HttpStatusCode.NotFound => new RemoteNotFoundException(detail),
                HttpStatusCode.Conflict => new RuleViolationException(rule ?? "conflict", detail),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new PermissionDeniedException(detail),
                HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity =>
                    new InvalidInputException(field ?? "request", detail),
                _ => new ServerUnreachableException($"server answered {(int)response.StatusCode}: {detail}", null),
            };
        }
    }

    static string Esc(string value) => Uri.EscapeDataString(value);

    public void Dispose() => http.Dispose();
}

/// <summary>The server said 404; its message is the server's own.</summary>
public sealed class RemoteNotFoundException(string message) : LlmOpsException(message);

/// <summary>The server could not be reached or failed; the CLI exits with 3.</summary>
public sealed class ServerUnreachableException(string message, Exception? inner) : LlmOpsException(message, inner)
{
    public override bool IsTransient => true;
}
