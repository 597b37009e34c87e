namespace LlmOps.Training.Trainers;

/// <summary>
/// Examples packed end to end (each followed by a separator token, if given) and cut into windows of
/// sequence length + 1 tokens; window i of epoch e is drawn from a permutation seeded by (seed, e), so the data
/// position of a run is one number: windows consumed.
/// </summary>
public sealed class PackedTokenDataset
{
    /// <summary>Label value whose position the loss ignores (PyTorch's ignore_index).</summary>
    public const long IgnoreIndex = -100;

    private readonly List<(long[] Inputs, long[] Labels)> windows = [];

    /// <param name="examples">Token sequences with optional loss masks, in order.</param>
    /// <param name="sequenceLength">Tokens per window.</param>
    /// <param name="separatorTokenId">Appended after each example (end of document), if given.</param>
    /// <param name="padTokenId">Fills windows; never a target.</param>
    /// <param name="alignExamples">Start each example at a window boundary (padding the rest of the previous window, no loss on
    /// the padding) whenever it fits in one window. Without it, packed SFT examples straddle windows and the model can learn
    /// to continue the <em>previous</em> example instead of answering its own prompt.</param>
    public PackedTokenDataset(IEnumerable<TrainingExample> examples, int sequenceLength, int? separatorTokenId = null, int padTokenId = 0, bool alignExamples = false)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        SequenceLength = sequenceLength;
        var tokens = new List<int>();
        var trainable = new List<bool>();
        foreach (var example in examples)
        {
            if (example.LossMask is { } mask && mask.Count != example.Tokens.Count)
                throw new ArgumentException("A loss mask must have one entry per token.", nameof(examples));
            var used = tokens.Count % sequenceLength;
            if (alignExamples && used != 0 && example.Tokens.Count <= sequenceLength && used + example.Tokens.Count > sequenceLength)
            {
                for (var pad = used; pad < sequenceLength; pad++)
                {
                    tokens.Add(padTokenId);
                    trainable.Add(false);
                }
            }
            for (var i = 0; i < example.Tokens.Count; i++)
            {
                tokens.Add(example.Tokens[i]);
                trainable.Add(example.LossMask?[i] ?? true);
            }
            if (separatorTokenId is { } separator)
            {
                tokens.Add(separator);
                // The separator ends a pretraining document; in SFT its prediction counts only when the example's last token did.
                trainable.Add(example.LossMask is null || (example.LossMask.Count > 0 && example.LossMask[^1]));
            }
        }
        var span = sequenceLength + 1;
        // Windows overlap by one token so that every token is a target once.
        for (var start = 0; start + 1 < tokens.Count; start += sequenceLength)
        {
            var inputs = new long[sequenceLength];
            var labels = new long[sequenceLength];
            for (var t = 0; t < sequenceLength; t++)
            {
                var i = start + t;
                inputs[t] = i < tokens.Count ? tokens[i] : padTokenId;
                labels[t] = i + 1 < tokens.Count && trainable[i + 1] ? tokens[i + 1] : IgnoreIndex;
            }
            if (labels.Any(l => l != IgnoreIndex))
                windows.Add((inputs, labels));
            if (start + span >= tokens.Count)
                break;
        }
        if (windows.Count == 0)
            throw new ArgumentException("The examples contain no token to learn.", nameof(examples));
    }

    public int SequenceLength { get; }

    public int WindowCount => windows.Count;

    /// <summary>Optimizer steps that cover every window once (rounded up), to turn axolotl's num_epochs into max_steps.</summary>
    public int StepsPerEpoch(int microBatchSize, int gradientAccumulationSteps)
    {
        var perStep = (long)microBatchSize * gradientAccumulationSteps;
        ArgumentOutOfRangeException.ThrowIfLessThan(perStep, 1);
        return (int)((windows.Count + perStep - 1) / perStep);
    }

    /// <summary>The window at <paramref name="index"/> in stored (unshuffled) order.</summary>
    public (long[] Inputs, long[] Labels) Window(int index) => windows[index];

    /// <summary>The window drawn at global position <paramref name="position"/> of a run seeded with <paramref name="seed"/>.</summary>
    public (long[] Inputs, long[] Labels) WindowAt(long position, long seed)
    {
        var epoch = position / windows.Count;
        var order = Permutation(seed, epoch);
        return windows[order[(int)(position % windows.Count)]];
    }

    private int[] Permutation(long seed, long epoch)
    {
        if (cachedEpoch == epoch && cachedSeed == seed && cachedOrder is not null)
            return cachedOrder;
        var order = Enumerable.Range(0, windows.Count).ToArray();
        // System.Random with a seed is the stable legacy algorithm: the same order on every run, process and machine
        // (HashCode is randomised per process, so it must not be used here).
        var random = new Random(unchecked((int)(seed * 1_000_003 + epoch * 7_919)));
        random.Shuffle(order);
        (cachedSeed, cachedEpoch, cachedOrder) = (seed, epoch, order);
        return order;
    }

    private long cachedSeed = long.MinValue;
    private long cachedEpoch = -1;
    private int[]? cachedOrder;
}
