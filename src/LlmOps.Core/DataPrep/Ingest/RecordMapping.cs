using System.Text.Json;

namespace LlmOps.DataPrep.Ingest;

/// <summary>Builds a <see cref="DataRecord"/> from source fields as the recipe's field mapping says.</summary>
internal static class RecordMapping
{
    /// <summary>Maps one JSON object; returns the record or the reason it is invalid.</summary>
    public static (DataRecord? Record, string? Error) FromJson(JsonElement root, InputSettings settings, RecordOrigin origin)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return (null, $"expected a JSON object, found {root.ValueKind}");
        switch (settings.Shape)
        {
            case RecordShape.Text:
                {
                    var (text, error) = JsonString(root, settings.TextField);
                    return error is null ? (DataRecord.FromText(text!, origin), null) : (null, error);
                }
            case RecordShape.PromptCompletion:
                {
                    var (prompt, e1) = JsonString(root, settings.PromptField);
                    if (e1 is not null)
                        return (null, e1);
                    var (completion, e2) = JsonString(root, settings.CompletionField);
                    return e2 is null ? (DataRecord.FromPromptCompletion(prompt!, completion!, origin), null) : (null, e2);
                }
            default:
                {
                    if (!root.TryGetProperty(settings.MessagesField, out var messages))
                        return (null, $"missing field '{settings.MessagesField}'");
                    return MessagesFromJson(messages, settings.MessagesField, origin);
                }
        }
    }

    /// <summary>Maps a row of named string columns (CSV, Parquet); chat messages come as a JSON string.</summary>
    public static (DataRecord? Record, string? Error) FromColumns(Func<string, (string? Value, string? Error)> column, InputSettings settings, RecordOrigin origin)
    {
        switch (settings.Shape)
        {
            case RecordShape.Text:
                {
                    var (text, error) = column(settings.TextField);
                    return error is null ? (DataRecord.FromText(text!, origin), null) : (null, error);
                }
            case RecordShape.PromptCompletion:
                {
                    var (prompt, e1) = column(settings.PromptField);
                    if (e1 is not null)
                        return (null, e1);
                    var (completion, e2) = column(settings.CompletionField);
                    return e2 is null ? (DataRecord.FromPromptCompletion(prompt!, completion!, origin), null) : (null, e2);
                }
            default:
                {
                    var (json, error) = column(settings.MessagesField);
                    if (error is not null)
                        return (null, error);
                    try
                    {
                        using var doc = JsonDocument.Parse(json!);
                        return MessagesFromJson(doc.RootElement, settings.MessagesField, origin);
                    }
                    catch (JsonException ex)
                    {
                        return (null, $"field '{settings.MessagesField}' is not valid JSON: {ex.Message}");
                    }
                }
        }
    }

    private static (string? Value, string? Error) JsonString(JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var value))
            return (null, $"missing field '{field}'");
        if (value.ValueKind != JsonValueKind.String)
            return (null, $"field '{field}' must be a string, found {value.ValueKind}");
        return (value.GetString(), null);
    }

    private static (DataRecord? Record, string? Error) MessagesFromJson(JsonElement messages, string field, RecordOrigin origin)
    {
        if (messages.ValueKind != JsonValueKind.Array)
            return (null, $"field '{field}' must be an array, found {messages.ValueKind}");
        var list = new List<ChatMessage>(messages.GetArrayLength());
        var index = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object)
                return (null, $"{field}[{index}] must be an object, found {m.ValueKind}");
            var (role, e1) = JsonString(m, "role");
            if (e1 is not null)
                return (null, $"{field}[{index}]: {e1}");
            if (!ChatMessage.KnownRoles.Contains(role!))
                return (null, $"{field}[{index}]: unknown role '{role}' (expected system, user or assistant)");
            var (content, e2) = JsonString(m, "content");
            if (e2 is not null)
                return (null, $"{field}[{index}]: {e2}");
            list.Add(new ChatMessage(role!, content!));
            index++;
        }
        if (list.Count == 0)
            return (null, $"field '{field}' has no messages");
        return (DataRecord.FromMessages(list, origin), null);
    }
}
