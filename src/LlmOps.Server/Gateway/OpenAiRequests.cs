using System.Text.Json;
using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;

namespace LlmOps.Server.Gateway;

/// <summary>A parsed <c>/v1/chat/completions</c> or <c>/v1/completions</c> body.</summary>
public sealed record GatewayRequest(string Model, IReadOnlyList<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage);

/// <summary>Reads OpenAI request bodies by hand: several fields take more than one JSON shape (content as text or parts,
/// stop as a string or a list), and every wrong shape must be a 400 naming the parameter.</summary>
public static class OpenAiRequests
{
    static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static GatewayRequest ParseChat(JsonElement body)
    {
        RequireObject(body);
        var model = RequiredString(body, "model");
        if (!body.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind != JsonValueKind.Array)
            throw new InvalidInputException("messages", "an array of messages is required.");
        var messages = new List<ChatMessage>();
        var index = 0;
        foreach (var message in messagesElement.EnumerateArray())
        {
            var path = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object) throw new InvalidInputException(path, "each message must be an object.");
            var role = RequiredString(message, "role", path + ".role");
            if (!Roles.Contains(role)) throw new InvalidInputException(path + ".role", $"'{role}' is not one of {string.Join(", ", Roles)}.");
            messages.Add(new ChatMessage(new ChatRole(role == "developer" ? "system" : role), Content(message, path + ".content")));
        }
        if (messages.Count == 0) throw new InvalidInputException("messages", "at least one message is required.");
        var options = Sampling(body, defaultMaxTokens: null);
        if (body.TryGetProperty("max_completion_tokens", out var maxCompletion) && maxCompletion.ValueKind != JsonValueKind.Null)
            options.MaxOutputTokens = Integer(maxCompletion, "max_completion_tokens");
        options.ResponseFormat = ResponseFormat(body);
        var (stream, includeUsage) = Stream(body);
        return new GatewayRequest(model, messages, options, stream, includeUsage);
    }

    public static GatewayRequest ParseCompletion(JsonElement body)
    {
        RequireObject(body);
        var model = RequiredString(body, "model");
        if (!body.TryGetProperty("prompt", out var promptElement)) throw new InvalidInputException("prompt", "a prompt is required.");
        var prompt = promptElement.ValueKind switch
        {
            JsonValueKind.String => promptElement.GetString()!,
            JsonValueKind.Array when promptElement.GetArrayLength() == 1 && promptElement[0].ValueKind == JsonValueKind.String => promptElement[0].GetString()!,
            JsonValueKind.Array => throw new InvalidInputException("prompt", "only one prompt per request is supported."),
            _ => throw new InvalidInputException("prompt", "must be a string."),
        };
        if (prompt.Length == 0) throw new InvalidInputException("prompt", "the prompt is empty.");
        // OpenAI's completions default is 16 tokens.
        var options = Sampling(body, defaultMaxTokens: 16);
        (options.AdditionalProperties ??= [])[ChatPrompt.RawPromptKey] = true;
        var (stream, includeUsage) = Stream(body);
        return new GatewayRequest(model, [new ChatMessage(ChatRole.User, prompt)], options, stream, includeUsage);
    }

    static ChatOptions Sampling(JsonElement body, int? defaultMaxTokens)
    {
        var options = new ChatOptions
        {
            Temperature = OptionalFloat(body, "temperature"),
            TopP = OptionalFloat(body, "top_p"),
            PresencePenalty = OptionalFloat(body, "presence_penalty"),
            FrequencyPenalty = OptionalFloat(body, "frequency_penalty"),
            MaxOutputTokens = OptionalInteger(body, "max_tokens") ?? defaultMaxTokens,
            TopK = OptionalInteger(body, "top_k"),
            Seed = body.TryGetProperty("seed", out var seed) && seed.ValueKind != JsonValueKind.Null
                ? (seed.ValueKind == JsonValueKind.Number && seed.TryGetInt64(out var s) ? s : throw new InvalidInputException("seed", "must be a whole number."))
                : null,
        };
        if (body.TryGetProperty("n", out var n) && n.ValueKind != JsonValueKind.Null && Integer(n, "n") != 1)
            throw new InvalidInputException("n", "only n = 1 is supported.");
        if (body.TryGetProperty("stop", out var stop))
        {
            options.StopSequences = stop.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => [stop.GetString()!],
                JsonValueKind.Array => [.. stop.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new InvalidInputException("stop", "each stop sequence must be a string."))],
                _ => throw new InvalidInputException("stop", "must be a string or an array of strings."),
            };
        }
        if (body.TryGetProperty("logit_bias", out var bias) && bias.ValueKind != JsonValueKind.Null)
            (options.AdditionalProperties ??= [])[SamplingSettings.LogitBiasKey] = LogitBias(bias);
        if (body.TryGetProperty("ignore_eos", out var ignoreEos) && ignoreEos.ValueKind != JsonValueKind.Null)
            (options.AdditionalProperties ??= [])[SamplingSettings.IgnoreEosKey] = ignoreEos.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new InvalidInputException("ignore_eos", "must be true or false."),
            };
        return options;
    }

    /// <summary>OpenAI's <c>logit_bias</c>: an object from token id (as a string) to a bias; the range is checked by <see cref="SamplingSettings"/>.</summary>
    static Dictionary<int, float> LogitBias(JsonElement bias)
    {
        if (bias.ValueKind != JsonValueKind.Object) throw new InvalidInputException("logit_bias", "must be an object mapping token ids to numbers.");
        var map = new Dictionary<int, float>();
        foreach (var entry in bias.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var token))
                throw new InvalidInputException($"logit_bias.{entry.Name}", "a key must be a token id (a whole number).");
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out var value))
                throw new InvalidInputException($"logit_bias.{entry.Name}", "must be a number.");
            map[token] = (float)value;
        }
        return map;
    }

    static ChatResponseFormat? ResponseFormat(JsonElement body)
    {
        if (!body.TryGetProperty("response_format", out var format) || format.ValueKind == JsonValueKind.Null) return null;
        if (format.ValueKind != JsonValueKind.Object) throw new InvalidInputException("response_format", "must be an object with a type.");
        var type = RequiredString(format, "type", "response_format.type");
        switch (type)
        {
            case "text": return ChatResponseFormat.Text;
            case "json_object": return ChatResponseFormat.Json;
            case "json_schema":
                if (!format.TryGetProperty("json_schema", out var wrapper) || wrapper.ValueKind != JsonValueKind.Object)
                    throw new InvalidInputException("response_format.json_schema", "json_schema needs an object with name and schema.");
                if (!wrapper.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                    throw new InvalidInputException("response_format.json_schema.schema", "a JSON Schema object is required.");
                var name = wrapper.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                return ChatResponseFormat.ForJsonSchema(schema.Clone(), name);
            default:
                throw new InvalidInputException("response_format.type", $"'{type}' is not one of text, json_object, json_schema.");
        }
    }

    static (bool Stream, bool IncludeUsage) Stream(JsonElement body)
    {
        var stream = false;
        if (body.TryGetProperty("stream", out var s) && s.ValueKind != JsonValueKind.Null)
            stream = s.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw new InvalidInputException("stream", "must be true or false.") };
        var includeUsage = body.TryGetProperty("stream_options", out var o) && o.ValueKind == JsonValueKind.Object
            && o.TryGetProperty("include_usage", out var u) && u.ValueKind == JsonValueKind.True;
        return (stream, includeUsage);
    }

    static string Content(JsonElement message, string path)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw new InvalidInputException(path, "must be a string or an array of text parts.");
        var text = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
                throw new InvalidInputException(path, "only text parts ({\"type\":\"text\",\"text\":…}) are supported.");
            text.Append(value.GetString());
        }
        return text.ToString();
    }

    static void RequireObject(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new InvalidInputException("body", "the request body must be a JSON object.");
    }

    static string RequiredString(JsonElement element, string name, string? path = null)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
            throw new InvalidInputException(path ?? name, "a non-empty string is required.");
        return value.GetString()!;
    }

    static float? OptionalFloat(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number)) throw new InvalidInputException(name, "must be a number.");
        return (float)number;
    }

    static int? OptionalInteger(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Integer(value, name) : null;

    static int Integer(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number)) throw new InvalidInputException(name, "must be a whole number.");
        return number;
    }
}
