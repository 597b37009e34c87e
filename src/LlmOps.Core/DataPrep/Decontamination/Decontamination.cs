namespace LlmOps.DataPrep.Decontamination;

/// <summary>Settings of the <c>decontaminate</c> step.</summary>
public sealed class DecontaminationOptions
{
    /// <summary>Words per n-gram; a record sharing any such n-gram with the eval set is dropped.</summary>
    public int NGram { get; init; } = 13;
}

/// <summary>The <c>decontaminate</c> step: drops records sharing a long word n-gram with an evaluation set.</summary>
/// <remarks>Eval texts shorter than the n-gram contribute their whole word sequence, so short eval items are still caught when quoted verbatim.</remarks>
public sealed class Decontamination : IRecordStep
{
    public const string StepName = "decontaminate";

    private readonly HashSet<ulong> _evalNGrams = [];
    private readonly HashSet<int> _shortLengths = [];
    private readonly int _n;

    public Decontamination(DecontaminationOptions options, IEnumerable<string> evalTexts)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(evalTexts);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NGram, 1);
        _n = options.NGram;
        foreach (var text in evalTexts)
        {
            var words = WordHashes.Of(text);
            if (words.Count == 0)
                continue;
            if (words.Count < _n)
            {
                _evalNGrams.Add(WordHashes.Combine(words, 0, words.Count));
                _shortLengths.Add(words.Count);
                continue;
            }
            for (var i = 0; i + _n <= words.Count; i++)
                _evalNGrams.Add(WordHashes.Combine(words, i, _n));
        }
    }

    public string Name => StepName;

    /// <summary>Number of distinct eval n-grams held.</summary>
    public int EvalNGramCount => _evalNGrams.Count;

    public StepOutcome Apply(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var words = WordHashes.Of(record.ContentText());
        for (var i = 0; i + _n <= words.Count; i++)
        {
            if (_evalNGrams.Contains(WordHashes.Combine(words, i, _n)))
                return StepOutcome.Drop("contaminated");
        }
        foreach (var length in _shortLengths)
        {
            for (var i = 0; i + length <= words.Count; i++)
            {
                if (_evalNGrams.Contains(WordHashes.Combine(words, i, length)))
                    return StepOutcome.Drop("contaminated");
            }
        }
        return StepOutcome.Keep(record);
    }
}
