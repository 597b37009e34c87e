using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace LlmOps.Server.Gateway;

/// <summary>Which OpenAI route a request came in on; it decides the response's shape.</summary>
public enum GatewayRoute
{
    ChatCompletions,
    Completions,
}

/// <summary>Writes OpenAI response bodies and server-sent-event chunks.</summary>
internal static class OpenAiResponses
{
    static readonly byte[] DataPrefix = "data: "u8.ToArray();
    static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public static string RouteName(GatewayRoute route) => route == GatewayRoute.ChatCompletions ? "chat.completions" : "completions";

    public static string FinishReason(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : "stop";

    public static async Task WriteCompletionAsync(HttpContext http, GatewayRoute route, string id, long created, string model, string text, string finishReason,
        int promptTokens, int completionTokens)
    {
        http.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            Header(json, route == GatewayRoute.ChatCompletions ? "chat.completion" : "text_completion", id, created, model);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            if (route == GatewayRoute.ChatCompletions)
            {
                json.WriteStartObject("message");
                json.WriteString("role", "assistant");
                json.WriteString("content", text);
                json.WriteNull("refusal");
                json.WriteEndObject();
            }
            else
            {
                json.WriteString("text", text);
            }
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", finishReason);
            json.WriteEndObject();
            json.WriteEndArray();
            Usage(json, promptTokens, completionTokens);
            json.WriteEndObject();
        }
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    public static void StartStream(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx would otherwise hold chunks back.
        http.Response.Headers["X-Accel-Buffering"] = "no";
    }

    /// <summary>One chunk with text (and the role on the first), or the last chunk with the finish reason.</summary>
    public static Task WriteChunkAsync(HttpContext http, GatewayRoute route, string id, long created, string model, string? text, bool first, string? finishReason) =>
        WriteEventAsync(http, json =>
        {
            Header(json, route == GatewayRoute.ChatCompletions ? "chat.completion.chunk" : "text_completion", id, created, model);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            if (route == GatewayRoute.ChatCompletions)
            {
                json.WriteStartObject("delta");
                if (first) json.WriteString("role", "assistant");
                if (text is not null) json.WriteString("content", text);
                json.WriteEndObject();
            }
            else
            {
                json.WriteString("text", text ?? "");
            }
            json.WriteNull("logprobs");
            if (finishReason is null) json.WriteNull("finish_reason");
            else json.WriteString("finish_reason", finishReason);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteNull("usage");
            json.WriteEndObject();
        });

    /// <summary>The chunk OpenAI sends last when <c>stream_options.include_usage</c> is set: no choices, the usage.</summary>
    public static Task WriteUsageChunkAsync(HttpContext http, GatewayRoute route, string id, long created, string model, int promptTokens, int completionTokens) =>
        WriteEventAsync(http, json =>
        {
            Header(json, route == GatewayRoute.ChatCompletions ? "chat.completion.chunk" : "text_completion", id, created, model);
            json.WriteStartArray("choices");
            json.WriteEndArray();
            Usage(json, promptTokens, completionTokens);
            json.WriteEndObject();
        });

    public static async Task WriteDoneAsync(HttpContext http)
    {
        await http.Response.Body.WriteAsync(Done, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    static async Task WriteEventAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(DataPrefix);
        using (var json = new Utf8JsonWriter(buffer)) write(json);
        buffer.Write(EventEnd);
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    static void Header(Utf8JsonWriter json, string type, string id, long created, string model)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", type);
        json.WriteNumber("created", created);
        json.WriteString("model", model);
        json.WriteNull("system_fingerprint");
    }

    static void Usage(Utf8JsonWriter json, int promptTokens, int completionTokens)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", promptTokens);
        json.WriteNumber("completion_tokens", completionTokens);
        json.WriteNumber("total_tokens", promptTokens + completionTokens);
        json.WriteEndObject();
    }
}
