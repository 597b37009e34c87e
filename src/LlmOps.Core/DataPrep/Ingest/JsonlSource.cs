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

    internal static SourceRow Parse(ReadOnlySpan<byte> line, RecordOrigin origin, InputSettings settings)
    {
        var bytes = line.Length + 1L;
        if (!Utf8.IsValid(line))
            return SourceRow.Invalid(origin, "invalid UTF-8", bytes);
        try
        {
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
    }
}
