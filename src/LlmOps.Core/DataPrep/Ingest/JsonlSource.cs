using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;

namespace LlmOps.DataPrep.Ingest;

/// <summary>Streams JSON Lines records; blank lines are skipped, every other line must be one JSON object.</summary>
public static class JsonlSource
{
    public static async IAsyncEnumerable<SourceRow> ReadAsync(Stream stream, string name, InputSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reader = new Utf8LineReader(stream);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Span.Trim(" \t"u8).IsEmpty)
                continue;
            yield return Parse(line.Span, new RecordOrigin(name, reader.LineNumber), settings);
        }
    }

    /// <summary>Like <see cref="ReadAsync"/>, but leaves each line unparsed (copied) for the caller to parse in parallel.</summary>
    internal static async IAsyncEnumerable<SourceRow> ReadUnparsedAsync(Stream stream, string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = new Utf8LineReader(stream);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Span.Trim(" \t"u8).IsEmpty)
                continue;
            yield return SourceRow.Unparsed(line.ToArray(), new RecordOrigin(name, reader.LineNumber));
        }
    }

    internal static SourceRow Parse(ReadOnlySpan<byte> line, RecordOrigin origin, InputSettings settings)
    {
        var bytes = line.Length + 1L;
        if (!Utf8.IsValid(line))
            return SourceRow.Invalid(origin, "invalid UTF-8", bytes);
        try
        {
            if (settings.Shape != RecordShape.Chat)
            {
                var (flat, flatError) = ParseFlat(line, settings, origin);
                return flat is null ? SourceRow.Invalid(origin, flatError!, bytes) : SourceRow.Valid(flat, bytes);
            }
            var reader = new Utf8JsonReader(line);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
                return SourceRow.Invalid(origin, "bad JSON: more than one value on the line", bytes);
            var (record, error) = RecordMapping.FromJson(doc.RootElement, settings, origin);
            return record is null ? SourceRow.Invalid(origin, error!, bytes) : SourceRow.Valid(record, bytes);
        }
        catch (JsonException ex)
        {
            return SourceRow.Invalid(origin, $"bad JSON: {ex.Message}", bytes);
        }
        catch (InvalidOperationException ex)
        {
            // GetString refuses strings that are not valid UTF-16 (an unpaired surrogate escape).
            return SourceRow.Invalid(origin, $"bad JSON: {ex.Message}", bytes);
        }
    }

    /// <summary>Reads text or prompt/completion fields straight from the token stream (no DOM): the hot path for large corpora.</summary>
    private static (DataRecord? Record, string? Error) ParseFlat(ReadOnlySpan<byte> line, InputSettings settings, RecordOrigin origin)
    {
        var text = settings.Shape == RecordShape.Text;
        var first = text ? settings.TextField : settings.PromptField;
        var second = text ? null : settings.CompletionField;
        var reader = new Utf8JsonReader(line);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var kind = Kind(reader.TokenType);
            reader.Skip();
            return reader.Read()
                ? (null, "bad JSON: more than one value on the line")
                : (null, $"expected a JSON object, found {kind}");
        }
        string? a = null, b = null, errorA = null, errorB = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isA = reader.ValueTextEquals(first);
            var isB = second is not null && !isA && reader.ValueTextEquals(second);
            reader.Read();
            if (isA || isB)
            {
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (!JsonStringValue.TryRead(ref reader, out var value))
                        return (null, $"bad JSON: unpaired surrogate escape in field '{(isA ? first : second)}'");
                    if (isA)
                        a = value;
                    else
                        b = value;
                }
                else if (isA)
                {
                    errorA = $"field '{first}' must be a string, found {Kind(reader.TokenType)}";
                }
                else
                {
                    errorB = $"field '{second}' must be a string, found {Kind(reader.TokenType)}";
                }
            }
            reader.Skip();
        }
        if (reader.Read())
            return (null, "bad JSON: more than one value on the line");
        if (errorA is not null || a is null)
            return (null, errorA ?? $"missing field '{first}'");
        if (second is null)
            return (DataRecord.FromText(a, origin), null);
        if (errorB is not null || b is null)
            return (null, errorB ?? $"missing field '{second}'");
        return (DataRecord.FromPromptCompletion(a, b, origin), null);
    }

    private static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "Array",
        JsonTokenType.StartObject => "Object",
        JsonTokenType.True => "True",
        JsonTokenType.False => "False",
        JsonTokenType.Null => "Null",
        JsonTokenType.Number => "Number",
        JsonTokenType.String => "String",
        _ => token.ToString(),
    };
}
