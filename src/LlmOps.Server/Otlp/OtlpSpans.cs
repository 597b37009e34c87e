using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using LlmOps.Monitoring;
using LlmOps.Server.Gateway;
using LlmOps.Server.Otlp.Protocol.Collector;
using LlmOps.Server.Otlp.Protocol.Common;
using LlmOps.Server.Otlp.Protocol.Trace;

namespace LlmOps.Server.Otlp;

/// <summary>Turns the spans of an OTLP export into <see cref="TraceRecord"/>s with <see cref="TraceSources.Otlp"/> as source.</summary>
/// <remarks>
/// <para>A record's <see cref="TraceRecord.Id"/> is <c>{traceId}-{spanId}</c> (hex): W3C makes a span id unique only within
/// its trace, and a sender that retries an export sends the same spans again, so the pair is the id a store can de-duplicate on.</para>
/// <para>Mapping: Operation = span name; Service = the resource's <c>service.name</c>; At = start; TotalTime = end − start;
/// Status = error (with the status message) for <c>STATUS_CODE_ERROR</c>, else ok; Version = <c>gen_ai.response.model</c>, else
/// <c>gen_ai.request.model</c>, else <c>-</c>; Deployment = <c>gen_ai.request.model</c>, else <c>gen_ai.response.model</c>,
/// else <c>-</c>; tokens from <c>gen_ai.usage.input_tokens</c>/<c>output_tokens</c> (or the older <c>prompt_tokens</c>/
/// <c>completion_tokens</c>); Route = <c>gen_ai.operation.name</c>, else <c>span</c>; KeyId = the sending key's id.
/// Attributes holds every resource and span attribute as a string (arrays and maps as JSON; a span attribute wins over a
/// resource one of the same key), plus <c>otel.scope.name</c> and <c>otel.span.kind</c>.</para>
/// <para>A span with a trace id that is not 16 non-zero bytes, a span id that is not 8, a parent id that is neither empty nor 8,
/// no start time or an end before its start is rejected alone; the rest of the export is kept.</para>
/// </remarks>
internal static class OtlpSpans
{
    public const string DefaultRoute = "span";
    public const string ScopeNameAttribute = "otel.scope.name";
    public const string SpanKindAttribute = "otel.span.kind";
    const int MaxReasonsListed = 3;

    /// <summary>The records of the valid spans, how many spans were rejected and why (the first few, with their paths).</summary>
    public sealed record Batch(IReadOnlyList<TraceRecord> Records, int Rejected, string Message);

    public static Batch ToRecords(ExportTraceServiceRequest request, string keyId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var records = new List<TraceRecord>();
        var reasons = new List<string>();
        var rejected = 0;
        for (var r = 0; r < request.ResourceSpans.Count; r++)
        {
            var resourceSpans = request.ResourceSpans[r];
            var resource = new Dictionary<string, string>(StringComparer.Ordinal);
            if (resourceSpans.Resource is { } res) AddAttributes(resource, res.Attributes);
            var service = resource.GetValueOrDefault("service.name");
            for (var s = 0; s < resourceSpans.ScopeSpans.Count; s++)
            {
                var scopeSpans = resourceSpans.ScopeSpans[s];
                for (var i = 0; i < scopeSpans.Spans.Count; i++)
                {
                    var span = scopeSpans.Spans[i];
                    if (Problem(span) is { } problem)
                    {
                        rejected++;
                        if (reasons.Count < MaxReasonsListed) reasons.Add($"resourceSpans[{r}].scopeSpans[{s}].spans[{i}].{problem}");
                        continue;
                    }
                    records.Add(ToRecord(span, resource, service, scopeSpans.Scope?.Name, keyId));
                }
            }
        }
        var message = rejected == 0 ? ""
            : $"{rejected} span(s) rejected: {string.Join("; ", reasons)}{(rejected > reasons.Count ? $"; and {rejected - reasons.Count} more" : "")}.";
        return new Batch(records, rejected, message);
    }

    static string? Take(Dictionary<string, string> attributes, string name) => attributes.Remove(name, out var value) ? value : null;

    /// <summary>Why the span is invalid, as <c>field: reason</c>; null when it is valid.</summary>
    static string? Problem(Span span)
    {
        if (IdProblem(span.TraceId, 16) is { } trace) return $"traceId: {trace}";
        if (IdProblem(span.SpanId, 8) is { } id) return $"spanId: {id}";
        if (!span.ParentSpanId.IsEmpty && IdProblem(span.ParentSpanId, 8) is { } parent) return $"parentSpanId: {parent}";
        if (span.StartTimeUnixNano == 0) return "startTimeUnixNano: missing.";
        if (span.EndTimeUnixNano < span.StartTimeUnixNano) return "endTimeUnixNano: before startTimeUnixNano.";
        return null;
    }

    static string? IdProblem(ByteString id, int length)
    {
        if (id.Length != length) return $"{id.Length} bytes, not {length} (hex '{Convert.ToHexStringLower(id.Span)}').";
        return id.Span.IndexOfAnyExcept((byte)0) < 0 ? "all zeroes, which is invalid." : null;
    }

    static TraceRecord ToRecord(Span span, Dictionary<string, string> resource, string? service, string? scope, string keyId)
    {
        var attributes = new Dictionary<string, string>(resource, StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(scope)) attributes[ScopeNameAttribute] = scope;
        if (span.Kind != Span.Types.SpanKind.Unspecified) attributes[SpanKindAttribute] = KindName(span.Kind);
        AddAttributes(attributes, span.Attributes);

        var traceId = Convert.ToHexStringLower(span.TraceId.Span);
        var spanId = Convert.ToHexStringLower(span.SpanId.Span);
        var requestModel = Text(span.Attributes, GenAiAttributes.RequestModel);
        var responseModel = Text(span.Attributes, GenAiAttributes.ResponseModel);
        var failed = span.Status?.Code == Status.Types.StatusCode.Error;
        // Message content the application chose to send is stored like the gateway's own (prompt, completion), so drift and
        // online evaluation see it, and like the gateway's it is redacted of PII before it is stored; it is not kept twice.
        var prompt = Take(attributes, GenAiAttributes.InputMessages) ?? Take(attributes, GenAiAttributes.Prompt);
        var completion = Take(attributes, GenAiAttributes.OutputMessages) ?? Take(attributes, GenAiAttributes.Completion);
        if (Take(attributes, GenAiAttributes.SystemInstructions) is { } instructions) prompt = prompt is null ? instructions : instructions + "\n" + prompt;
        return new TraceRecord(
            Id: $"{traceId}-{spanId}",
            Deployment: requestModel ?? responseModel ?? "-",
            Revision: 0,
            Version: responseModel ?? requestModel ?? "-",
            KeyId: keyId,
            Route: Text(span.Attributes, GenAiAttributes.OperationName) ?? DefaultRoute,
            Shadow: false,
            FallbackFrom: [],
            QueueTime: null,
            TimeToFirstToken: null,
            TotalTime: TimeSpan.FromTicks((long)((span.EndTimeUnixNano - span.StartTimeUnixNano) / 100)),
            PromptTokens: Count(span.Attributes, GenAiAttributes.UsageInputTokens) ?? Count(span.Attributes, GenAiAttributes.UsagePromptTokens) ?? 0,
            CompletionTokens: Count(span.Attributes, GenAiAttributes.UsageOutputTokens) ?? Count(span.Attributes, GenAiAttributes.UsageCompletionTokens) ?? 0,
            Status: failed ? TraceStatus.Error : TraceStatus.Ok,
            Error: failed ? (string.IsNullOrEmpty(span.Status!.Message) ? "error" : span.Status.Message) : null,
            Completion: completion,
            At: DateTimeOffset.UnixEpoch.AddTicks((long)(span.StartTimeUnixNano / 100)))
        {
            Prompt = prompt,
            RedactPii = prompt is not null || completion is not null,
            Source = TraceSources.Otlp,
            TraceId = traceId,
            SpanId = spanId,
            ParentSpanId = span.ParentSpanId.IsEmpty ? null : Convert.ToHexStringLower(span.ParentSpanId.Span),
            Operation = span.Name,
            Service = service,
            Attributes = attributes,
        };
    }

    static string KindName(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Internal => "internal",
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => ((int)kind).ToString(CultureInfo.InvariantCulture),
    };

    static void AddAttributes(Dictionary<string, string> into, RepeatedField<KeyValue> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (attribute.Value is { ValueCase: not AnyValue.ValueOneofCase.None } value) into[attribute.Key] = Stringify(value);
        }
    }

    static string? Text(RepeatedField<KeyValue> attributes, string key)
    {
        var value = Find(attributes, key);
        return value is null ? null : Stringify(value) is { Length: > 0 } text ? text : null;
    }

    /// <summary>A token count: an int, a whole double or a numeric string; null when absent or not a count.</summary>
    static int? Count(RepeatedField<KeyValue> attributes, string key) => Find(attributes, key) switch
    {
        { ValueCase: AnyValue.ValueOneofCase.IntValue } v when v.IntValue is >= 0 and <= int.MaxValue => (int)v.IntValue,
        { ValueCase: AnyValue.ValueOneofCase.DoubleValue } v when v.DoubleValue is >= 0 and <= int.MaxValue => (int)v.DoubleValue,
        { ValueCase: AnyValue.ValueOneofCase.StringValue } v when int.TryParse(v.StringValue, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    static AnyValue? Find(RepeatedField<KeyValue> attributes, string key)
    {
        foreach (var attribute in attributes)
        {
            if (attribute.Key == key) return attribute.Value;
        }
        return null;
    }

    /// <summary>Scalars as their invariant text, bytes as base64, arrays and maps as JSON.</summary>
    static string Stringify(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
        _ => JsonSerializer.Serialize(ToPlain(value)),
    };

    static object? ToPlain(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Select(ToPlain).ToList(),
        AnyValue.ValueOneofCase.KvlistValue => value.KvlistValue.Values.GroupBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Value is { } v ? ToPlain(v) : null, StringComparer.Ordinal),
        _ => null,
    };
}
