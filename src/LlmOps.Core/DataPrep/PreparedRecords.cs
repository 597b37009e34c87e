using System.Runtime.CompilerServices;
using LlmOps.DataPrep.Ingest;

namespace LlmOps.DataPrep;

/// <summary>Reads back a prepared split file (the JSONL that <see cref="DatasetPreparer"/> writes), streaming.</summary>
/// <remarks>Each line's layout says its shape: <c>text</c>, <c>prompt</c>/<c>completion</c> or <c>messages</c>. Used to train a tokenizer or feed a trainer.</remarks>
public static class PreparedRecords
{
    public static async IAsyncEnumerable<DataRecord> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var name = Path.GetFileName(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var reader = new Utf8LineReader(stream);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Span.Trim(" \t"u8).IsEmpty)
                    continue;
                var shape = line.Span.IndexOf("\"messages\":"u8) >= 0 ? RecordShape.Chat
                    : line.Span.IndexOf("\"prompt\":"u8) >= 0 ? RecordShape.PromptCompletion
                    : RecordShape.Text;
                var row = JsonlSource.Parse(line.Span, new RecordOrigin(name, reader.LineNumber), new InputSettings { Shape = shape });
                yield return row.Record ?? throw new InvalidRecordException(name, reader.LineNumber, row.Error!);
            }
        }
    }

    /// <summary>The content text of every record (chat turns as "role: content" lines), e.g. to train a tokenizer.</summary>
    public static async IAsyncEnumerable<string> ReadTextsAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var record in ReadAsync(path, cancellationToken).ConfigureAwait(false))
            yield return record.ContentText();
    }
}
