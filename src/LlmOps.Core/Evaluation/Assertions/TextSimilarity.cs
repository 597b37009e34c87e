using System.Text;

namespace LlmOps.Evaluation.Assertions;

/// <summary>Reference-based text scores: Levenshtein distance, ROUGE-N recall, BLEU-4 and SQuAD token F1.</summary>
public static class TextSimilarity
{
    /// <summary>Edits (insert, delete, substitute one char) turning <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int Levenshtein(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>ROUGE-N recall: reference n-grams also in the candidate (clipped counts) over reference n-grams.
    /// A reference without words matches only a candidate without words.</summary>
    public static double RougeN(string candidate, string reference, int n = 1)
    {
        var reference_ = NGrams(Words(reference), n);
        var candidate_ = NGrams(Words(candidate), n);
        var total = reference_.Values.Sum();
        if (total == 0) return candidate_.Count == 0 ? 1 : 0;
        var overlap = reference_.Sum(p => Math.Min(p.Value, candidate_.GetValueOrDefault(p.Key)));
        return (double)overlap / total;
    }

    /// <summary>Sentence BLEU-4 against one or more references: geometric mean of clipped n-gram precisions (uniform weights)
    /// times the brevity penalty. A zero precision counts as 0.1 matches (NLTK's smoothing method 1) so short outputs are not all 0.</summary>
    public static double Bleu(string candidate, IReadOnlyList<string> references, int maxN = 4)
    {
        ArgumentNullException.ThrowIfNull(references);
        var words = Words(candidate);
        if (words.Count == 0 || references.Count == 0) return 0;
        var referenceWords = references.Select(Words).ToList();
        var logSum = 0.0;
        for (var n = 1; n <= maxN; n++)
        {
            var grams = NGrams(words, n);
            var total = grams.Values.Sum();
            if (total == 0) return 0;
            var maxRef = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var reference in referenceWords)
            {
                foreach (var (gram, count) in NGrams(reference, n))
                    maxRef[gram] = Math.Max(maxRef.GetValueOrDefault(gram), count);
            }
            double matched = grams.Sum(p => Math.Min(p.Value, maxRef.GetValueOrDefault(p.Key)));
            if (matched == 0) matched = 0.1;
            logSum += Math.Log(matched / total) / maxN;
        }
        // Brevity penalty against the reference length closest to the candidate's (shorter wins ties).
        var c = words.Count;
        var r = referenceWords.Select(w => w.Count).OrderBy(len => Math.Abs(len - c)).ThenBy(len => len).First();
        var penalty = c > r ? 1 : Math.Exp(1 - (double)r / c);
        return penalty * Math.Exp(logSum);
    }

    /// <summary>SQuAD token F1: lower case, punctuation and articles removed, multiset overlap of whitespace tokens.</summary>
    public static double F1(string candidate, string reference)
    {
        var predicted = Normalize(candidate);
        var truth = Normalize(reference);
        if (predicted.Count == 0 || truth.Count == 0) return predicted.Count == truth.Count ? 1 : 0;
        var counts = truth.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var common = 0;
        foreach (var token in predicted)
        {
            if (counts.TryGetValue(token, out var left) && left > 0)
            {
                common++;
                counts[token] = left - 1;
            }
        }
        if (common == 0) return 0;
        var precision = (double)common / predicted.Count;
        var recall = (double)common / truth.Count;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>Lower-case words: runs of letters and digits.</summary>
    public static List<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in text)
        {
            if (char.IsLetterOrDigit(ch)) current.Append(char.ToLowerInvariant(ch));
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0) words.Add(current.ToString());
        return words;
    }

    static List<string> Normalize(string text) =>
        Words(text).Where(w => w is not ("a" or "an" or "the")).ToList();

    static Dictionary<string, int> NGrams(List<string> words, int n)
    {
        var grams = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= words.Count; i++)
        {
            var key = string.Join('\u0001', words.Skip(i).Take(n));
            grams[key] = grams.GetValueOrDefault(key) + 1;
        }
        return grams;
    }
}
