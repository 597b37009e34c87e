using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace LlmOps.DataPrep.Ingest;

/// <summary>Streams Parquet rows one row group at a time; mapped columns must be strings (chat messages as a JSON string).</summary>
public static class ParquetSource
{
    public static async IAsyncEnumerable<SourceRow> ReadAsync(Stream stream, string name, InputSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (settings.Shape == RecordShape.Chat && reader.Schema.Fields.FirstOrDefault(f => f.Name == settings.MessagesField) is ListField)
        {
            await foreach (var chat in ReadNestedChatAsync(stream, reader.RowGroupCount, name, settings.MessagesField, cancellationToken).ConfigureAwait(false))
                yield return chat;
            yield break;
        }
        var fields = reader.Schema.GetDataFields().Where(f => f.Path.Length == 1).ToDictionary(f => f.Name, StringComparer.Ordinal);
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

    /// <summary>Chat messages stored as a list of structs (role, content), the layout Hugging Face datasets write.</summary>
    private static async IAsyncEnumerable<SourceRow> ReadNestedChatAsync(Stream stream, int rowGroups, string name, string messagesField, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long row = 0;
        for (var g = 0; g < rowGroups; g++)
        {
            stream.Position = 0;
            var group = await ParquetSerializer.DeserializeUntypedAsync(stream, null, g, cancellationToken).ConfigureAwait(false);
            foreach (var values in group.Data)
            {
                row++;
                var origin = new RecordOrigin(name, row);
                var (record, error, bytes) = ChatFromUntyped(values, messagesField, origin);
                yield return record is null ? SourceRow.Invalid(origin, error!, bytes) : SourceRow.Valid(record, bytes);
            }
        }
    }

    private static (DataRecord? Record, string? Error, long Bytes) ChatFromUntyped(Dictionary<string, object> values, string field, RecordOrigin origin)
    {
        if (!values.TryGetValue(field, out var value) || value is not System.Collections.IEnumerable list)
            return (null, $"field '{field}' is null", 0);
        var messages = new List<ChatMessage>();
        long bytes = 0;
        var index = 0;
        foreach (var item in list)
        {
            if (item is not IDictionary<string, object> message)
                return (null, $"{field}[{index}] must be a struct with role and content", bytes);
            var role = message.TryGetValue("role", out var r) ? r as string : null;
            var content = message.TryGetValue("content", out var c) ? c as string : null;
            if (role is null)
                return (null, $"{field}[{index}]: missing field 'role'", bytes);
            if (!ChatMessage.KnownRoles.Contains(role))
                return (null, $"{field}[{index}]: unknown role '{role}' (expected system, user or assistant)", bytes);
            if (content is null)
                return (null, $"{field}[{index}]: missing field 'content'", bytes);
            bytes += role.Length + content.Length;
            messages.Add(new ChatMessage(role, content));
            index++;
        }
        return messages.Count == 0 ? (null, $"field '{field}' has no messages", bytes) : (DataRecord.FromMessages(messages, origin), null, bytes);
    }
}
