using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace LlmOps.DataPrep.Ingest;

/// <summary>Streams plain-text records: one per non-blank line, or one per blank-line separated paragraph.</summary>
public static class TextSource
{
    public static async IAsyncEnumerable<SourceRow> ReadAsync(Stream stream, string name, InputSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reader = new Utf8LineReader(stream);
        var paragraph = new StringBuilder();
        long paragraphLine = 0, paragraphBytes = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            var origin = new RecordOrigin(name, reader.LineNumber);
            var blank = line.Span.Trim(" \t"u8).IsEmpty;
            if (!Utf8.IsValid(line.Span))
            {
                yield return SourceRow.Invalid(origin, "invalid UTF-8", line.Length + 1);
                continue;
            }
            if (settings.TextUnit == TextUnit.Line)
            {
                if (!blank)
                    yield return SourceRow.Valid(DataRecord.FromText(Encoding.UTF8.GetString(line.Span), origin), line.Length + 1);
                continue;
            }
            if (blank)
            {
                if (paragraph.Length > 0)
                    yield return SourceRow.Valid(DataRecord.FromText(paragraph.ToString(), new RecordOrigin(name, paragraphLine)), paragraphBytes);
                paragraph.Clear();
                paragraphBytes = 0;
                continue;
            }
            if (paragraph.Length == 0)
                paragraphLine = reader.LineNumber;
            else
                paragraph.Append('\n');
            paragraph.Append(Encoding.UTF8.GetString(line.Span));
            paragraphBytes += line.Length + 1;
        }
        if (paragraph.Length > 0)
            yield return SourceRow.Valid(DataRecord.FromText(paragraph.ToString(), new RecordOrigin(name, paragraphLine)), paragraphBytes);
    }
}
