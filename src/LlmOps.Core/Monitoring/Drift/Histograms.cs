using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;

namespace LlmOps.Monitoring.Drift;

/// <summary>Bins for a numeric feature cut at the reference window's quantiles, so each bin holds about the same share of the
/// reference and the bins depend on the reference alone (a stored reference profile compares with any later window).
/// Bins are right-closed — (−∞, e₁], (e₁, e₂], …, (eₖ, ∞) — so current values beyond the reference's range land in the end
/// bins. Edges are the quantiles i/bins (linear interpolation, R's type 7); tied quantiles merge, so a feature with few
/// distinct values gets fewer bins.</summary>
/// <remarks>Evidently's <c>get_binned_data</c> says "based on reference quantiles" in its docstring, but its code cuts
/// Sturges equal-width bins over reference and current pooled (and one bin per value when the reference has 20 or fewer
/// distinct values). Quantile bins are the usual PSI practice and keep the bins a property of the reference.</remarks>
public sealed class LengthHistogram
{
    readonly double[] edges;

    LengthHistogram(double[] edges) => this.edges = edges;

    /// <summary>The inner edges, ascending.</summary>
    public IReadOnlyList<double> Edges => edges;

    /// <summary>Number of bins: one more than the edges.</summary>
    public int BinCount => edges.Length + 1;

    /// <summary>Cuts at most <paramref name="bins"/> bins at the quantiles of <paramref name="reference"/>.</summary>
    public static LengthHistogram FromReference(IEnumerable<double> reference, int bins)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        var sorted = reference.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("the reference has no values.", nameof(reference));
        var edges = new List<double>();
        for (var i = 1; i < bins; i++)
        {
            var edge = EvalStatistics.Quantile(sorted, (double)i / bins);
            if (edges.Count == 0 || edge > edges[^1]) edges.Add(edge);
        }
        return new LengthHistogram([.. edges]);
    }

    /// <summary>The share of <paramref name="values"/> in each bin.</summary>
    public double[] Shares(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var counts = new double[BinCount];
        var total = 0;
        foreach (var value in values)
        {
            // The bin is the number of edges strictly below the value (right-closed bins).
            var index = Array.BinarySearch(edges, value);
            var bin = index >= 0 ? index : ~index;
            counts[bin]++;
            total++;
        }
        if (total == 0) throw new ArgumentException("no values to bin.", nameof(values));
        for (var i = 0; i < counts.Length; i++) counts[i] /= total;
        return counts;
    }

    /// <summary>The length of a text in characters, counted as Unicode scalar values (an emoji or a CJK character is one,
    /// whatever its UTF-16 length); characters rather than tokens so the feature does not depend on any model's tokenizer.</summary>
    public static int Characters(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var count = 0;
        foreach (var _ in text.EnumerateRunes()) count++;
        return count;
    }
}

/// <summary>The token-frequency histogram of a window: the share of all its tokens that are each of the reference's
/// <c>K</c> most frequent tokens, plus one "other" bin for every other token. Tokens are
/// <see cref="TextSimilarity.Words"/> — lower-cased runs of letters and digits, punctuation and spaces separating them (so
/// "can't" is "can", "t") — the same words the evaluation's text scores use: deterministic and model-free. Ties in frequency
/// are broken by ordinal order of the token, so the same reference always gives the same bins.</summary>
public sealed class TokenHistogram
{
    readonly Dictionary<string, int> bins;

    TokenHistogram(IReadOnlyList<string> tokens)
    {
        Tokens = tokens;
        bins = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++) bins[tokens[i]] = i;
    }

    /// <summary>The reference's top tokens, most frequent first; the last bin (index <c>Tokens.Count</c>) is "other".</summary>
    public IReadOnlyList<string> Tokens { get; }

    public int BinCount => Tokens.Count + 1;

    /// <summary>Takes the <paramref name="topK"/> most frequent tokens of <paramref name="reference"/>.</summary>
    public static TokenHistogram FromReference(IEnumerable<string> reference, int topK)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in reference)
        {
            foreach (var token in TextSimilarity.Words(text)) counts[token] = counts.GetValueOrDefault(token) + 1;
        }
        var top = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(topK).Select(p => p.Key).ToList();
        return new TokenHistogram(top);
    }

    /// <summary>The share of the tokens of <paramref name="texts"/> in each bin; null when the texts hold no token at all.</summary>
    public double[]? Shares(IEnumerable<string> texts) => Shares(texts, out _);

    /// <summary>As <see cref="Shares(IEnumerable{string})"/>, also giving how many tokens there were.</summary>
    public double[]? Shares(IEnumerable<string> texts, out int total)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new double[BinCount];
        total = 0;
        foreach (var text in texts)
        {
            foreach (var token in TextSimilarity.Words(text))
            {
                counts[bins.TryGetValue(token, out var bin) ? bin : Tokens.Count]++;
                total++;
            }
        }
        if (total == 0) return null;
        for (var i = 0; i < counts.Length; i++) counts[i] /= total;
        return counts;
    }
}
