using System.Text;
using System.Text.Json;
using LlmOps.DataPrep;
using LlmOps.Datasets;

namespace LlmOps.Training.Jobs;

/// <summary>Reads the records of a prepared dataset split (the JSONL that <see cref="DatasetPreparer.Serialize"/> writes).</summary>
public static class DatasetRecords
{
    /// <summary>The split named <paramref name="split"/> of <paramref name="version"/>, or null when the version has no such split.</summary>
    public static DatasetSplit? Split(DatasetVersion version, string split)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.Splits.FirstOrDefault(s => s.Name == split);
    }

    /// <summary>Every record of a split, streamed from the artifact store.</summary>
    public static async IAsyncEnumerable<DataRecord> ReadAsync(
        TrainingServices services,
        DatasetSplit split,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(split);
        var stream = await services.Download(split.Sha256, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            long line = 0;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
            {
                line++;
                if (text.Length > 0)
                    yield return Parse(text, new RecordOrigin(split.File, line));
            }
        }
    }

    /// <summary>One prepared line: <c>{"text"}</c>, <c>{"prompt","completion"}</c> or <c>{"messages":[{"role","content"}]}</c>.</summary>
    public static DataRecord Parse(string line, RecordOrigin origin)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.TryGetProperty("text", out var text))
            return DataRecord.FromText(text.GetString() ?? "", origin);
        if (root.TryGetProperty("prompt", out var prompt) && root.TryGetProperty("completion", out var completion))
            return DataRecord.FromPromptCompletion(prompt.GetString() ?? "", completion.GetString() ?? "", origin);
        if (root.TryGetProperty("messages", out var messages))
        {
            return DataRecord.FromMessages(
                [.. messages.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString() ?? "", m.GetProperty("content").GetString() ?? ""))],
                origin);
        }
        throw new InvalidRecordException(origin.File, origin.Line, "a prepared record has 'text', 'prompt'/'completion' or 'messages'.");
    }
}
