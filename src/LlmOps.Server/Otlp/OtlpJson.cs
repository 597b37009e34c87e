using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using LlmOps.Server.Otlp.Protocol.Collector;

namespace LlmOps.Server.Otlp;

/// <summary>Reads the OTLP JSON encoding of an <c>ExportTraceServiceRequest</c>.</summary>
/// <remarks>OTLP JSON is protobuf's JSON mapping (lowerCamelCase names, enums as integers, 64-bit integers as decimal strings
/// or numbers, unknown fields ignored) except for one thing: trace and span ids are hex, not base64. So the ids are rewritten
/// from hex to base64 first, each bad one refused with its path, and Google.Protobuf's <see cref="JsonParser"/> reads the rest.
/// An id of valid hex but the wrong length is left for <see cref="OtlpSpans"/> to reject as one invalid span.</remarks>
internal static class OtlpJson
{
    static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Throws <see cref="InvalidInputException"/> naming the field (<c>resourceSpans[0].scopeSpans[1].spans[3].traceId</c>).</summary>
    public static ExportTraceServiceRequest Parse(ReadOnlySpan<byte> utf8)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8);
        }
        catch (JsonException malformed)
        {
            throw new InvalidInputException("body", $"not JSON: {malformed.Message}");
        }
        if (root is not JsonObject request) throw new InvalidInputException("body", "must be a JSON object (an ExportTraceServiceRequest).");

        foreach (var (resource, resourcePath) in Items(request, "resourceSpans", "resource_spans", ""))
        {
            foreach (var (scope, scopePath) in Items(resource, "scopeSpans", "scope_spans", resourcePath + "."))
            {
                foreach (var (span, spanPath) in Items(scope, "spans", "spans", scopePath + "."))
                {
                    HexToBase64(span, "traceId", "trace_id", 16, spanPath);
                    HexToBase64(span, "spanId", "span_id", 8, spanPath);
                    HexToBase64(span, "parentSpanId", "parent_span_id", 8, spanPath);
                    foreach (var (link, linkPath) in Items(span, "links", "links", spanPath + "."))
                    {
                        HexToBase64(link, "traceId", "trace_id", 16, linkPath);
                        HexToBase64(link, "spanId", "span_id", 8, linkPath);
                    }
                }
            }
        }

        try
        {
            return Parser.Parse<ExportTraceServiceRequest>(request.ToJsonString());
        }
        catch (Exception exception) when (exception is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            throw new InvalidInputException("body", $"not an OTLP ExportTraceServiceRequest: {exception.Message}");
        }
    }

    /// <summary>The objects of an array member (either spelling), with their paths; refuses a member that is not an array of objects.</summary>
    static IEnumerable<(JsonObject Item, string Path)> Items(JsonObject parent, string name, string protoName, string prefix)
    {
        var key = parent.ContainsKey(name) ? name : protoName;
        if (!parent.TryGetPropertyValue(key, out var value) || value is null) yield break;
        if (value is not JsonArray array) throw new InvalidInputException(prefix + name, "must be an array.");
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"{prefix}{name}[{i}]";
            yield return (array[i] as JsonObject ?? throw new InvalidInputException(path, "must be an object."), path);
        }
    }

    static void HexToBase64(JsonObject parent, string name, string protoName, int bytes, string path)
    {
        var key = parent.ContainsKey(name) ? name : protoName;
        if (!parent.TryGetPropertyValue(key, out var value) || value is null) return;
        var field = $"{path}.{name}";
        if (value is not JsonValue scalar || !scalar.TryGetValue<string>(out var hex))
            throw new InvalidInputException(field, $"must be a string of {bytes * 2} hex digits.");
        byte[] decoded;
        try
        {
            decoded = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new InvalidInputException(field, $"'{Shorten(hex)}' is not {bytes * 2} hex digits.");
        }
        parent[key] = Convert.ToBase64String(decoded);
    }

    static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
