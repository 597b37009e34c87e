namespace LlmOps.DataPrep.Filters;

/// <summary>Settings of the <c>filter_symbols</c> step.</summary>
public sealed class SymbolRatioFilterOptions
{
    /// <summary>Drop when more than this fraction of non-space characters are neither letters nor digits.</summary>
    public double MaxRatio { get; init; } = 0.5;
}

/// <summary>The <c>filter_symbols</c> step: drops text that is mostly symbols (markup debris, encoded blobs).</summary>
public sealed class SymbolRatioFilter(SymbolRatioFilterOptions options) : IRecordStep
{
    public const string StepName = "filter_symbols";

    public string Name => StepName;

    public StepOutcome Apply(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return SymbolRatio(record.ContentText()) > options.MaxRatio ? StepOutcome.Drop("too_many_symbols") : StepOutcome.Keep(record);
    }

    public static double SymbolRatio(string text)
    {
        int symbols = 0, visible = 0;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsLowSurrogate(c))
                continue;
            visible++;
            if (!char.IsLetterOrDigit(c) && !char.IsHighSurrogate(c))
                symbols++;
        }
        return visible == 0 ? 0 : (double)symbols / visible;
    }
}
