namespace LlmOps.DataPrep;

/// <summary>Base of the errors data preparation raises for input a person must fix.</summary>
public class DataPrepException : Exception
{
    public DataPrepException()
    {
    }

    public DataPrepException(string message)
        : base(message)
    {
    }

    public DataPrepException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Input errors do not go away on retry.</summary>
    public virtual bool IsTransient => false;
}

/// <summary>A malformed input row (bad JSON, missing field, wrong type, invalid UTF-8) at a file and line.</summary>
public sealed class InvalidRecordException : DataPrepException
{
    public InvalidRecordException(string file, long line, string reason)
        : base($"{file}:{line}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public InvalidRecordException()
        : this("?", 0, "invalid record")
    {
    }

    public InvalidRecordException(string message)
        : this("?", 0, message)
    {
    }

    public InvalidRecordException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = "?";
        Reason = message;
    }

    public string File { get; }

    public long Line { get; }

    public string Reason { get; }
}

/// <summary>A recipe error (unknown step or setting, bad value) naming the YAML line.</summary>
public sealed class RecipeException : DataPrepException
{
    public RecipeException(string reason, long line)
        : base(line > 0 ? $"recipe line {line}: {reason}" : $"recipe: {reason}")
    {
        Reason = reason;
        Line = line;
    }

    public RecipeException()
        : this("invalid recipe", 0)
    {
    }

    public RecipeException(string message)
        : this(message, 0)
    {
    }

    public RecipeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public string Reason { get; }

    /// <summary>1-based line in the recipe YAML, or 0 when not tied to a line.</summary>
    public long Line { get; }
}
