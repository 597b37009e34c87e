namespace LlmOps.DataPrep.Ingest;

/// <summary>How plain-text files are cut into records.</summary>
public enum TextUnit
{
    /// <summary>Each non-blank line is a record.</summary>
    Line,

    /// <summary>Blank-line separated paragraphs are records.</summary>
    Paragraph,
}

/// <summary>The recipe's <c>input</c> section: record shape and which source fields hold which parts.</summary>
public sealed class InputSettings
{
    public RecordShape Shape { get; init; } = RecordShape.Text;

    public string TextField { get; init; } = "text";

    public string PromptField { get; init; } = "prompt";

    public string CompletionField { get; init; } = "completion";

    public string MessagesField { get; init; } = "messages";

    public TextUnit TextUnit { get; init; } = TextUnit.Line;

    public char CsvDelimiter { get; init; } = ',';
}

/// <summary>One row read from a source: a record, or the reason it is invalid.</summary>
public readonly record struct SourceRow(DataRecord? Record, RecordOrigin Origin, string? Error, long Bytes)
{
    public static SourceRow Valid(DataRecord record, long bytes) => new(record, record.Origin, null, bytes);

    public static SourceRow Invalid(RecordOrigin origin, string error, long bytes) => new(null, origin, error, bytes);

    /// <summary>A JSON line not parsed yet: the preparer parses these on its workers, so reading scales with threads.</summary>
    internal byte[]? UnparsedJson { get; init; }

    internal static SourceRow Unparsed(byte[] line, RecordOrigin origin) => new(null, origin, null, line.Length + 1L) { UnparsedJson = line };

    /// <summary>Parses an <see cref="Unparsed"/> row; other rows are returned as they are.</summary>
    internal SourceRow Parse(InputSettings settings) =>
        UnparsedJson is { } json ? JsonlSource.Parse(json, Origin, settings) : this;
}

/// <summary>The formats data preparation reads.</summary>
public enum SourceFormat
{
    Jsonl,
    Csv,
    Parquet,
    Text,
}
