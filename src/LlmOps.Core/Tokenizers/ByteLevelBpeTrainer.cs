using System.Text;

namespace LlmOps.Tokenizers;

/// <summary>Settings of the byte-level BPE trainer.</summary>
public sealed class BpeTrainerOptions
{
    /// <summary>Target vocabulary size, special tokens and the 256 byte tokens included.</summary>
    public int VocabSize { get; init; } = 8192;

    /// <summary>Pairs seen fewer times than this are never merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Special tokens, given the first ids in this order; llama.cpp recognises <c>&lt;|endoftext|&gt;</c> as end of generation by its text.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["<|endoftext|>"];
}

/// <summary>Trains a byte-level BPE (GPT-2 style) from text: GPT-2 pre-tokenization, then most frequent pair merges.</summary>
/// <remarks>
/// Ids: special tokens first, then the 256 bytes in byte order, then merged tokens in merge order. Ties between
/// equally frequent pairs go to the smaller (left id, right id), so training is deterministic.
/// </remarks>
public sealed class ByteLevelBpeTrainer(BpeTrainerOptions options)
{
    /// <summary>Trains on a stream of texts; only distinct pre-tokens and their counts are kept in memory.</summary>
    public async Task<ByteLevelBpe> TrainAsync(IAsyncEnumerable<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var splitter = new ByteLevelBpe(options.SpecialTokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i), [], options.SpecialTokens);
        await foreach (var text in texts.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (var (piece, isSpecial) in splitter.SplitSpecial(text))
            {
                if (isSpecial)
                    continue;
                foreach (var m in Gpt2PreTokenizer.Regex.EnumerateMatches(piece))
                {
                    var word = piece.Substring(m.Index, m.Length);
                    counts[word] = counts.TryGetValue(word, out var n) ? n + 1 : 1;
                }
            }
        }
        return Train(counts, cancellationToken);
    }

    /// <summary>Trains on texts in memory.</summary>
    public ByteLevelBpe Train(IEnumerable<string> texts) =>
        TrainAsync(texts.ToAsyncEnumerable()).GetAwaiter().GetResult();

    private ByteLevelBpe Train(Dictionary<string, long> wordCounts, CancellationToken cancellationToken)
    {
        var special = options.SpecialTokens;
        if (options.VocabSize < special.Count + 256)
            throw new ArgumentException($"vocab size must be at least {special.Count + 256} (special tokens + 256 bytes)", nameof(options));

        var tokens = new List<string>(options.VocabSize);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in special)
            Add(s);
        for (var b = 0; b < 256; b++)
            Add(ByteLevelAlphabet.ToChar((byte)b).ToString());

        // Words as id sequences, in a fixed order (ordinal) so that nothing depends on hash iteration order.
        var words = wordCounts.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => (Symbols: Encoding.UTF8.GetBytes(p.Key).Select(b => special.Count + b).ToList(), Count: p.Value))
            .ToList();

        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        for (var w = 0; w < words.Count; w++)
            AddPairs(w, +1);

        var queue = new PriorityQueue<(int, int), (long, int, int)>();
        foreach (var (pair, count) in pairCounts)
            queue.Enqueue(pair, (-count, pair.Item1, pair.Item2));

        var merges = new List<(string, string)>();
        while (tokens.Count < options.VocabSize && queue.TryDequeue(out var pair, out var priority))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = pairCounts.GetValueOrDefault(pair);
            if (count != -priority.Item1)
                continue; // stale entry; the current count was queued when it changed
            if (count < options.MinFrequency)
                break;
            var merged = tokens[pair.Item1] + tokens[pair.Item2];
            merges.Add((tokens[pair.Item1], tokens[pair.Item2]));
            var newId = vocab.TryGetValue(merged, out var existing) ? existing : Add(merged);

            var changed = new HashSet<(int, int)>();
            foreach (var w in pairWords[pair].Order().ToList())
            {
                AddPairs(w, -1, changed);
                var symbols = words[w].Symbols;
                var output = new List<int>(symbols.Count);
                for (var i = 0; i < symbols.Count; i++)
                {
                    if (i + 1 < symbols.Count && symbols[i] == pair.Item1 && symbols[i + 1] == pair.Item2)
                    {
                        output.Add(newId);
                        i++;
                    }
                    else
                    {
                        output.Add(symbols[i]);
                    }
                }
                words[w] = (output, words[w].Count);
                AddPairs(w, +1, changed);
            }
            foreach (var p in changed)
            {
                if (pairCounts.TryGetValue(p, out var c) && c > 0)
                    queue.Enqueue(p, (-c, p.Item1, p.Item2));
            }
        }
        return new ByteLevelBpe(vocab, merges, special);

        int Add(string token)
        {
            vocab[token] = tokens.Count;
            tokens.Add(token);
            return tokens.Count - 1;
        }

        void AddPairs(int w, int sign, HashSet<(int, int)>? changed = null)
        {
            var (symbols, count) = words[w];
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                var p = (symbols[i], symbols[i + 1]);
                var c = pairCounts.GetValueOrDefault(p) + (sign * count);
                if (c == 0)
                    pairCounts.Remove(p);
                else
                    pairCounts[p] = c;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(p, out var set))
                        pairWords[p] = set = [];
                    set.Add(w);
                }
                changed?.Add(p);
            }
        }
    }
}
