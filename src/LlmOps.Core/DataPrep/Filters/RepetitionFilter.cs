namespace LlmOps.DataPrep.Filters;

/// <summary>Settings of the <c>filter_repetition</c> step.</summary>
public sealed class RepetitionFilterOptions
{
    /// <summary>Word n-gram size whose repeats are counted.</summary>
    public int NGram { get; init; } = 3;

    /// <summary>Drop when more than this fraction of the n-grams repeat an earlier one.</summary>
    public double MaxRatio { get; init; } = 0.3;
}

/// <summary>The <c>filter_repetition</c> step: drops text made mostly of repeated word n-grams (spam, loops).</summary>
public sealed class RepetitionFilter(RepetitionFilterOptions options) : IRecordStep
{
    public const string StepName = "filter_repetition";

    public string Name => StepName;

    public StepOutcome Apply(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return RepetitionRatio(record.ContentText(), options.NGram) > options.MaxRatio
            ? StepOutcome.Drop("repetitive")
            : StepOutcome.Keep(record);
    }

    /// <summary>The fraction of word n-grams that repeat an earlier n-gram of the same text (0 when too short).</summary>
    public static double RepetitionRatio(string text, int n)
    {
        var words = WordHashes.Of(text);
        var total = words.Count - n + 1;
        if (total <= 1)
            return 0;
        var seen = new HashSet<ulong>(total);
        var repeats = 0;
        for (var i = 0; i < total; i++)
        {
            if (!seen.Add(WordHashes.Combine(words, i, n)))
                repeats++;
        }
        return (double)repeats / total;
    }
}
