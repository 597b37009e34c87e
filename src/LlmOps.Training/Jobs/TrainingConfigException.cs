namespace LlmOps.Training.Jobs;

/// <summary>A training config key is unknown, of the wrong type or does not fit the data or the model; names the key and its YAML line.</summary>
public sealed class TrainingConfigException : LlmOpsException
{
    public TrainingConfigException(string key, long line, string reason)
        : base(line > 0 ? $"{key} (line {line}): {reason}" : $"{key}: {reason}")
    {
        Key = key;
        Line = line;
        Reason = reason;
    }

    /// <summary>The key at fault, nested as <c>datasets[0].type</c>.</summary>
    public string Key { get; }

    /// <summary>1-based YAML line, or 0 when the key was not written.</summary>
    public long Line { get; }

    public string Reason { get; }
}
