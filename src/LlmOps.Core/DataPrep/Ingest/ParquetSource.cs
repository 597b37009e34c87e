using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace LlmOps.DataPrep.Ingest;

/// <summary>Streams Parquet rows one row group at a time; mapped columns must be strings (chat messages as a JSON string).</summary>
public static class ParquetSource
{
    public static async IAsyncEnumerable<SourceRow> ReadAsync(Stream stream, string name, InputSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var fields = reader.Schema.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
        var wanted = settings.Shape switch
        {
            RecordShape.Text => new[] { settings.TextField },
            RecordShape.PromptCompletion => [settings.PromptField, settings.CompletionField],
            _ => [settings.MessagesField],
        };
        long row = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = checked((int)group.RowCount);
            var columns = new Dictionary<string, string?[]>(StringComparer.Ordinal);
            var columnErrors = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var column in wanted)
            {
                if (!fields.TryGetValue(column, out var field))
                {
                    columnErrors[column] = $"missing field '{column}'";
                    continue;
                }
                if ((field.ClrType != typeof(string) && field.ClrType != typeof(ReadOnlyMemory<char>)) || field.IsArray)
                {
                    columnErrors[column] = $"field '{column}' must be a string, found {field.ClrType.Name}{(field.IsArray ? "[]" : string.Empty)}";
                    continue;
                }
                var values = new string?[count];
                await ReadStringsAsync(group, field, values, cancellationToken).ConfigureAwait(false);
                columns[column] = values;
            }
            for (var i = 0; i < count; i++)
            {
                row++;
                var origin = new RecordOrigin(name, row);
                var index = i;
                long bytes = 0;
                var (record, error) = RecordMapping.FromColumns(
                    column =>
                    {
                        if (columnErrors.TryGetValue(column, out var e))
                            return (null, e);
                        var value = columns[column][index];
                        if (value is null)
                            return (null, $"field '{column}' is null");
                        bytes += value.Length;
                        return (value, null);
                    },
                    settings,
                    origin);
                yield return record is null ? SourceRow.Invalid(origin, error!, bytes) : SourceRow.Valid(record, bytes);
            }
        }
    }

    private static async Task ReadStringsAsync(ParquetRowGroupReader group, DataField field, string?[] values, CancellationToken cancellationToken)
    {
        await group.ReadAsync(field, values.AsMemory()!, null, cancellationToken).ConfigureAwait(false);
    }
}
