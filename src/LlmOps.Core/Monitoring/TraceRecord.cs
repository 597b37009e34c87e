namespace LlmOps.Monitoring;

/// <summary>What one gateway request (or its shadow copy) did: who, which deployment and version, how long, how many tokens.</summary>
/// <param name="Id">The response id returned to the client (<c>chatcmpl-…</c>); a shadow record shares its primary's id.</param>
/// <param name="Deployment"><c>endpoint@environment</c>.</param>
/// <param name="Revision">The deployment revision that routed the request.</param>
/// <param name="Version">The registry version that answered (or last failed): <c>name/3</c>.</param>
/// <param name="KeyId">The API key's id.</param>
/// <param name="Route">e.g. <c>chat.completions</c>, <c>completions</c>.</param>
/// <param name="Shadow">True for a shadow copy, whose answer was never returned.</param>
/// <param name="FallbackFrom">Versions tried first that failed or timed out, in order.</param>
/// <param name="QueueTime">Waiting for a generation slot.</param>
/// <param name="TimeToFirstToken">From arrival to the first generated text.</param>
/// <param name="TotalTime">From arrival to the end of the response.</param>
/// <param name="PromptTokens">Tokens in the prompt.</param>
/// <param name="CompletionTokens">Tokens generated.</param>
/// <param name="Status"><c>ok</c>, <c>error</c> or <c>cancelled</c>.</param>
/// <param name="Error">What went wrong, when it did.</param>
/// <param name="Completion">The generated text: always kept for shadow records (to compare with the primary), for others when the
/// deployment keeps content (after PII redaction).</param>
/// <param name="At">When the request arrived.</param>
public sealed record TraceRecord(
    string Id,
    string Deployment,
    int Revision,
    string Version,
    string KeyId,
    string Route,
    bool Shadow,
    IReadOnlyList<string> FallbackFrom,
    TimeSpan? QueueTime,
    TimeSpan? TimeToFirstToken,
    TimeSpan TotalTime,
    int PromptTokens,
    int CompletionTokens,
    string Status,
    string? Error,
    string? Completion,
    DateTimeOffset At)
{
    /// <summary>Where the record came from: <see cref="TraceSources.Gateway"/> or <see cref="TraceSources.Otlp"/> (an application's span).</summary>
    public string Source { get; init; } = TraceSources.Gateway;

    /// <summary>W3C trace id (32 hex digits) when the request carried or started one.</summary>
    public string? TraceId { get; init; }

    /// <summary>W3C span id (16 hex digits).</summary>
    public string? SpanId { get; init; }

    /// <summary>The parent span's id, for spans sent by applications.</summary>
    public string? ParentSpanId { get; init; }

    /// <summary>The span name (<c>chat demo-chat@prod</c>, or what an application named it).</summary>
    public string? Operation { get; init; }

    /// <summary>The sending service (<c>service.name</c>) of an OTLP span; <c>llmops-gateway</c> for the gateway's own.</summary>
    public string? Service { get; init; }

    /// <summary>The prompt as text (messages joined), kept when the deployment keeps content, after PII redaction.</summary>
    public string? Prompt { get; init; }

    /// <summary>What the request cost in the price table's currency; null when the version has no price.</summary>
    public double? Cost { get; init; }

    /// <summary>Asks the trace writer to redact PII from <see cref="Prompt"/> and <see cref="Completion"/> before storing them
    /// (done off the request path); never stored itself.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool RedactPii { get; init; }

    /// <summary>Further attributes (an OTLP span's <c>gen_ai.*</c> and others), as strings.</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }
}

/// <summary>Sources of a <see cref="TraceRecord"/>.</summary>
public static class TraceSources
{
    public const string Gateway = "gateway";
    public const string Otlp = "otlp";
}

/// <summary>Statuses of a <see cref="TraceRecord"/>.</summary>
public static class TraceStatus
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Cancelled = "cancelled";
}
