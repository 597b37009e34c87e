using System.Diagnostics;
using System.Globalization;
using LlmOps.Monitoring;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace LlmOps.Server.Gateway;

/// <summary>The gateway's OpenTelemetry span, one per <c>/v1</c> request, following the GenAI semantic conventions
/// (<c>gen_ai.*</c>, conventions 1.37+: <c>gen_ai.provider.name</c> rather than the deprecated <c>gen_ai.system</c>).</summary>
/// <remarks>
/// <para>Span name <c>{gen_ai.operation.name} {gen_ai.request.model}</c> (<c>chat demo@prod</c>), kind <see cref="ActivityKind.Client"/>:
/// the conventions define inference spans as the client side of a call to a model, and this span is the gateway's call to the
/// version(s) that answer, fallbacks included (as a client span covers its retries). The server side of the HTTP request is
/// ASP.NET Core's own span, exported beside it when the exporter is on. The parent is the current activity (ASP.NET Core's,
/// which honours an incoming W3C <c>traceparent</c>) or else the <c>traceparent</c> header itself.</para>
/// <para>The request's trace record is stamped with the span's ids, so a record and its exported span share trace and span id
/// even when nothing exports (then the ids are made here). Its <see cref="TraceRecord.ParentSpanId"/> is the caller's span
/// from <c>traceparent</c>, so that in the trace store the record hangs under the application span that called the gateway.</para>
/// <para><c>error.type</c> is the HTTP status the gateway answered with (<c>404</c>, <c>429</c>, <c>502</c>…), or
/// <c>stream_failed</c> when a version failed after the response had started. A request the client cancelled ends with
/// status unset and <c>llmops.status=cancelled</c>.</para>
/// </remarks>
public static class GatewayTelemetry
{
    /// <summary>The <see cref="ActivitySource"/> name to listen to (<c>AddSource</c>).</summary>
    public const string SourceName = "LlmOps.Gateway";

    /// <summary><c>service.name</c> of the gateway's spans and <see cref="TraceRecord.Service"/> of its records.</summary>
    public const string ServiceName = "llmops-gateway";

    /// <summary><c>gen_ai.provider.name</c> of the gateway's spans.</summary>
    public const string ProviderName = "llmops";

    public const string StreamFailed = "stream_failed";

    static readonly ActivitySource Source = new(SourceName, typeof(GatewayTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of a chat or completions request; the span ends when the response has been sent.</summary>
    public static void Start(HttpContext http, GatewayRoute route, GatewayRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        var tags = new TagList
        {
            { GenAiAttributes.OperationName, route == GatewayRoute.ChatCompletions ? GenAiAttributes.Operations.Chat : GenAiAttributes.Operations.TextCompletion },
        };
        if (options.Temperature is { } temperature) tags.Add(GenAiAttributes.RequestTemperature, (double)temperature);
        if (options.TopP is { } topP) tags.Add(GenAiAttributes.RequestTopP, (double)topP);
        if (options.TopK is { } topK) tags.Add(GenAiAttributes.RequestTopK, (double)topK);
        if (options.MaxOutputTokens is { } max) tags.Add(GenAiAttributes.RequestMaxTokens, max);
        if (options.Seed is { } seed) tags.Add(GenAiAttributes.RequestSeed, seed);
        if (options.FrequencyPenalty is { } frequency) tags.Add(GenAiAttributes.RequestFrequencyPenalty, (double)frequency);
        if (options.PresencePenalty is { } presence) tags.Add(GenAiAttributes.RequestPresencePenalty, (double)presence);
        if (options.StopSequences is { Count: > 0 } stop) tags.Add(GenAiAttributes.RequestStopSequences, stop.ToArray());
        if (options.ResponseFormat is { } format) tags.Add(GenAiAttributes.OutputType, format is ChatResponseFormatJson ? "json" : "text");
        Begin(http, tags, request.Model);
    }

    /// <summary>Starts the span of an embeddings request.</summary>
    public static void StartEmbeddings(HttpContext http, string model) =>
        Begin(http, new TagList { { GenAiAttributes.OperationName, GenAiAttributes.Operations.Embeddings } }, model);

    /// <summary>Puts what the request did on its span and returns <paramref name="record"/> with the span's ids; a record
    /// of a request without a span (none was started) comes back as it was.</summary>
    public static TraceRecord Complete(HttpContext http, TraceRecord record, string? finishReason = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(record);
        var span = http.Features.Get<GatewaySpan>();
        return span is null ? record : span.Complete(record, finishReason);
    }

    // tags: the request's attributes, gen_ai.operation.name first.
    static void Begin(HttpContext http, TagList tags, string model)
    {
        ArgumentNullException.ThrowIfNull(http);
        var operation = (string)tags[0].Value!;
        tags.Add(GenAiAttributes.ProviderName, ProviderName);
        tags.Add(GenAiAttributes.RequestModel, model);
        if (ActorClaims.FromPrincipal(http.User) is { } actor) tags.Add(LlmOpsAttributes.KeyId, actor.Id);

        var headers = http.Request.Headers;
        ActivityContext.TryParse(headers.TraceParent, headers.TraceState, isRemote: true, out var caller);
        var current = Activity.Current;
        var name = $"{operation} {model}";
        // With no current activity the caller's context is the parent; otherwise the current one is (it carries the caller's).
        var activity = Source.StartActivity(name, ActivityKind.Client, current is null ? caller : default, tags);
        var traceId = activity?.TraceId ?? current?.TraceId ?? (caller.TraceId != default ? caller.TraceId : ActivityTraceId.CreateRandom());
        var spanId = activity?.SpanId ?? ActivitySpanId.CreateRandom();
        var span = new GatewaySpan(http, activity, name, traceId.ToHexString(), spanId.ToHexString(),
            caller.SpanId != default && caller.TraceId == traceId ? caller.SpanId.ToHexString() : null);
        http.Features.Set(span);
        http.Response.OnCompleted(() =>
        {
            span.End();
            return Task.CompletedTask;
        });
        // A backstop for a connection torn down before completion callbacks run; End happens once.
        http.Response.RegisterForDispose(span);
    }

    /// <summary>One request's span (maybe not recorded: then only its ids are used) and what the request did.</summary>
    sealed class GatewaySpan(HttpContext http, Activity? activity, string operation, string traceId, string spanId, string? parentSpanId) : IDisposable
    {
        string? status;
        string? error;
        int ended;

        public TraceRecord Complete(TraceRecord record, string? finishReason)
        {
            status = record.Status;
            error = record.Error;
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag(GenAiAttributes.ResponseModel, record.Version);
                activity.SetTag(GenAiAttributes.ResponseId, record.Id);
                activity.SetTag(GenAiAttributes.UsageInputTokens, record.PromptTokens);
                if (record.Route != GenAiAttributes.Operations.Embeddings) activity.SetTag(GenAiAttributes.UsageOutputTokens, record.CompletionTokens);
                if (finishReason is not null && record.Status == TraceStatus.Ok) activity.SetTag(GenAiAttributes.ResponseFinishReasons, new[] { finishReason });
                activity.SetTag(LlmOpsAttributes.Deployment, record.Deployment);
                activity.SetTag(LlmOpsAttributes.Revision, record.Revision);
                activity.SetTag(LlmOpsAttributes.Status, record.Status);
                if (record.FallbackFrom.Count > 0) activity.SetTag(LlmOpsAttributes.FallbackFrom, record.FallbackFrom.ToArray());
            }
            return record with { TraceId = traceId, SpanId = spanId, ParentSpanId = parentSpanId, Operation = operation, Service = ServiceName };
        }

        /// <summary>Ends the span once: the error (if any) from the HTTP status answered, or from the record when the response had started.</summary>
        public void End()
        {
            if (Interlocked.Exchange(ref ended, 1) == 1 || activity is null) return;
            if (activity.IsAllDataRequested)
            {
                var code = http.Response.StatusCode;
                if (code >= 400)
                {
                    activity.SetTag(GenAiAttributes.ErrorType, code.ToString(CultureInfo.InvariantCulture));
                    activity.SetStatus(ActivityStatusCode.Error, error ?? $"HTTP {code}");
                }
                else if (status == TraceStatus.Error)
                {
                    activity.SetTag(GenAiAttributes.ErrorType, StreamFailed);
                    activity.SetStatus(ActivityStatusCode.Error, error);
                }
                else if (status is null)
                {
                    // No record: the request ended before any version answered (cancelled while waiting for a slot).
                    activity.SetTag(LlmOpsAttributes.Status, TraceStatus.Cancelled);
                }
            }
            activity.Stop();
        }

        public void Dispose() => End();
    }
}

/// <summary>OpenTelemetry GenAI semantic-convention attribute names (<c>gen_ai.*</c>), for the gateway's spans and for reading
/// spans sent over OTLP.</summary>
public static class GenAiAttributes
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    /// <summary>The name <c>gen_ai.provider.name</c> had before semantic conventions 1.37; older instrumentations still send it.</summary>
    public const string System = "gen_ai.system";
    public const string RequestModel = "gen_ai.request.model";
    public const string RequestTemperature = "gen_ai.request.temperature";
    public const string RequestTopP = "gen_ai.request.top_p";
    public const string RequestTopK = "gen_ai.request.top_k";
    public const string RequestMaxTokens = "gen_ai.request.max_tokens";
    public const string RequestSeed = "gen_ai.request.seed";
    public const string RequestFrequencyPenalty = "gen_ai.request.frequency_penalty";
    public const string RequestPresencePenalty = "gen_ai.request.presence_penalty";
    public const string RequestStopSequences = "gen_ai.request.stop_sequences";
    public const string OutputType = "gen_ai.output.type";
    public const string ResponseModel = "gen_ai.response.model";
    public const string ResponseId = "gen_ai.response.id";
    public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";
    public const string UsageInputTokens = "gen_ai.usage.input_tokens";
    public const string UsageOutputTokens = "gen_ai.usage.output_tokens";
    /// <summary>Names of the token counts before semantic conventions 1.27 (Semantic Kernel's older releases send them).</summary>
    public const string UsagePromptTokens = "gen_ai.usage.prompt_tokens";
    public const string UsageCompletionTokens = "gen_ai.usage.completion_tokens";

    /// <summary>Message content (opt-in in the SDKs: Microsoft.Extensions.AI's EnableSensitiveData); the older names first.</summary>
    public const string Prompt = "gen_ai.prompt";
    public const string Completion = "gen_ai.completion";
    public const string InputMessages = "gen_ai.input.messages";
    public const string OutputMessages = "gen_ai.output.messages";
    public const string SystemInstructions = "gen_ai.system_instructions";
    public const string ErrorType = "error.type";

    /// <summary>Values of <c>gen_ai.operation.name</c> the gateway emits.</summary>
    public static class Operations
    {
        public const string Chat = "chat";
        public const string TextCompletion = "text_completion";
        public const string Embeddings = "embeddings";
    }
}

/// <summary>LlmOps' own span attributes (<c>llmops.*</c>).</summary>
public static class LlmOpsAttributes
{
    /// <summary><c>endpoint@environment</c>.</summary>
    public const string Deployment = "llmops.deployment";
    public const string Revision = "llmops.revision";
    /// <summary>The API key's id (never its secret).</summary>
    public const string KeyId = "llmops.key_id";
    /// <summary>The trace record's status: ok, error or cancelled.</summary>
    public const string Status = "llmops.status";
    /// <summary>Versions tried first that failed, in order.</summary>
    public const string FallbackFrom = "llmops.fallback_from";
}
