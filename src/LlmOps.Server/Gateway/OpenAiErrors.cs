using System.Text.Json;
using LlmOps.Inference;
using Microsoft.AspNetCore.Http;

namespace LlmOps.Server.Gateway;

/// <summary>Errors in OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c>, which OpenAI clients turn into their own exceptions.</summary>
public static class OpenAiErrors
{
    /// <summary>An error the gateway answers with.</summary>
    public sealed record Error(int Status, string Message, string Type, string? Param, string? Code);

    /// <summary>True for the paths whose errors are OpenAI-shaped.</summary>
    public static bool IsGatewayPath(PathString path) => path.StartsWithSegments("/v1", StringComparison.Ordinal);

    public static Error From(Exception exception) => exception switch
    {
        InvalidInputException invalid => new(StatusCodes.Status400BadRequest, invalid.Message, "invalid_request_error", invalid.Field, "invalid_value"),
        JsonException json => new(StatusCodes.Status400BadRequest, $"malformed JSON: {json.Message}", "invalid_request_error", null, "invalid_json"),
        BadHttpRequestException bad => new(bad.StatusCode, bad.Message, "invalid_request_error", null, null),
        NotFoundException { What: "model" } notFound => new(StatusCodes.Status404NotFound,
            $"{notFound.Message} Nothing is deployed under that name; GET /v1/models lists the models this key may use.", "invalid_request_error", "model", "model_not_found"),
        NotFoundException notFound => new(StatusCodes.Status404NotFound, notFound.Message, "invalid_request_error", null, "not_found"),
        PermissionDeniedException denied => new(StatusCodes.Status403Forbidden, denied.Message, "permission_error", null, "insufficient_permissions"),
        RateLimitedException limited => new(StatusCodes.Status429TooManyRequests, limited.Message, "rate_limit_error", null, limited.Code),
        InferenceException inference => new(StatusCodes.Status502BadGateway, inference.Message, "upstream_error", null, "upstream_failed"),
        _ => new(StatusCodes.Status500InternalServerError, "The server failed while handling the request; the server log has the details.", "server_error", null, null),
    };

    public static async Task WriteAsync(HttpContext http, Error error)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(error);
        http.Response.StatusCode = error.Status;
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", error.Message);
        json.WriteString("type", error.Type);
        json.WriteString("param", error.Param);
        json.WriteString("code", error.Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>A per-key limit was reached; <see cref="RetryAfter"/> says when a retry can succeed.</summary>
public sealed class RateLimitedException(string message, string code, TimeSpan retryAfter) : LlmOpsException(message)
{
    public string Code { get; } = code;
    public TimeSpan RetryAfter { get; } = retryAfter;
    public override bool IsTransient => true;
}
