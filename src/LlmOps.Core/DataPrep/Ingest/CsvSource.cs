using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace LlmOps.DataPrep.Ingest;

/// <summary>Streams RFC 4180 CSV records (header row first; quoted fields may span lines).</summary>
public static class CsvSource
{
    public static async IAsyncEnumerable<SourceRow> ReadAsync(Stream stream, string name, InputSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reader = new Utf8LineReader(stream);
        var row = new CsvRow(settings.CsvDelimiter);
        Dictionary<string, int>? header = null;
        long rowLine = 0, rowBytes = 0;
        string? rowError = null;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!row.InQuotes)
            {
                rowLine = reader.LineNumber;
                rowBytes = 0;
                rowError = null;
                if (line.Span.Trim(" \t"u8).IsEmpty)
                    continue;
            }
            rowBytes += line.Length + 1;
            if (!Utf8.IsValid(line.Span))
                rowError ??= "invalid UTF-8";
            if (!row.Feed(rowError is null ? Encoding.UTF8.GetString(line.Span) : string.Empty))
                continue;
            var origin = new RecordOrigin(name, rowLine);
            var fields = row.TakeFields();
            if (header is null)
            {
                if (rowError is not null)
                    throw new InvalidRecordException(name, rowLine, $"CSV header: {rowError}");
                header = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < fields.Count; i++)
                    header.TryAdd(fields[i], i);
                continue;
            }
            if (rowError is not null)
            {
                yield return SourceRow.Invalid(origin, rowError, rowBytes);
                continue;
            }
            if (fields.Count != header.Count)
            {
                yield return SourceRow.Invalid(origin, $"expected {header.Count} CSV fields, found {fields.Count}", rowBytes);
                continue;
            }
            var (record, error) = RecordMapping.FromColumns(
                column => header.TryGetValue(column, out var index) ? (fields[index], null) : (null, $"missing field '{column}'"),
                settings,
                origin);
            yield return record is null ? SourceRow.Invalid(origin, error!, rowBytes) : SourceRow.Valid(record, rowBytes);
        }
        if (row.InQuotes)
            yield return SourceRow.Invalid(new RecordOrigin(name, rowLine), "unterminated quoted CSV field", rowBytes);
    }

    /// <summary>Accumulates the physical lines of one CSV row.</summary>
    private sealed class CsvRow(char delimiter)
    {
        private readonly List<string> _fields = [];
        private readonly StringBuilder _field = new();

        public bool InQuotes { get; private set; }

        /// <summary>Consumes one physical line; true when the row is complete.</summary>
        public bool Feed(string line)
        {
            var i = 0;
            if (InQuotes)
                _field.Append('\n');
            while (i < line.Length)
            {
                var c = line[i];
                if (InQuotes)
                {
                    if (c == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            _field.Append('"');
                            i += 2;
                            continue;
                        }
                        InQuotes = false;
                    }
                    else
                    {
                        _field.Append(c);
                    }
                }
                else if (c == '"' && _field.Length == 0)
                {
                    InQuotes = true;
                }
                else if (c == delimiter)
                {
                    _fields.Add(_field.ToString());
                    _field.Clear();
                }
                else
                {
                    _field.Append(c);
                }
                i++;
            }
            if (InQuotes)
                return false;
            _fields.Add(_field.ToString());
            _field.Clear();
            return true;
        }

        public List<string> TakeFields()
        {
            var copy = new List<string>(_fields);
            _fields.Clear();
            return copy;
        }
    }
}
