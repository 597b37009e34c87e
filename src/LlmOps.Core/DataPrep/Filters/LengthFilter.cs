namespace LlmOps.DataPrep.Filters;

/// <summary>Settings of the <c>filter_length</c> step; a bound of 0 means none.</summary>
public sealed class LengthFilterOptions
{
    public int MinChars { get; init; }

    public int MaxChars { get; init; }

    public int MinTokens { get; init; }

    public int MaxTokens { get; init; }
}

/// <summary>The <c>filter_length</c> step: drops records whose content is too short or too long in characters or tokens.</summary>
public sealed class LengthFilter(LengthFilterOptions options, ITokenCounter tokens) : IRecordStep
{
    public const string StepName = "filter_length";

    public string Name => StepName;

    public StepOutcome Apply(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = record.ContentText();
        if (options.MinChars > 0 && text.Length < options.MinChars)
            return StepOutcome.Drop("too_few_chars");
        if (options.MaxChars > 0 && text.Length > options.MaxChars)
            return StepOutcome.Drop("too_many_chars");
        if (options.MinTokens > 0 || options.MaxTokens > 0)
        {
            var count = tokens.Count(text);
            if (options.MinTokens > 0 && count < options.MinTokens)
                return StepOutcome.Drop("too_few_tokens");
            if (options.MaxTokens > 0 && count > options.MaxTokens)
                return StepOutcome.Drop("too_many_tokens");
        }
        return StepOutcome.Keep(record);
    }
}
