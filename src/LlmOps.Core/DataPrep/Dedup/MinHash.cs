using System.Runtime.Intrinsics;

namespace LlmOps.DataPrep.Dedup;

/// <summary>MinHash signatures over word shingles with hash functions fixed in code (the same on every run and machine).</summary>
public sealed class MinHash
{
    private const ulong ParameterSeed = 0x4D696E4861736831; // "MinHash1"
    private readonly ulong[] _a;
    private readonly ulong[] _b;

    public MinHash(int permutations, int shingleWords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permutations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shingleWords, 1);
        Permutations = permutations;
        ShingleWords = shingleWords;
        _a = new ulong[permutations];
        _b = new ulong[permutations];
        var state = ParameterSeed;
        for (var i = 0; i < permutations; i++)
        {
            // Multiply-shift hashing: an odd multiplier and an offset per permutation.
            _a[i] = WordHashes.Mix(state += 0x9E3779B97F4A7C15UL) | 1;
            _b[i] = WordHashes.Mix(state += 0x9E3779B97F4A7C15UL);
        }
    }

    public int Permutations { get; }

    public int ShingleWords { get; }

    /// <summary>The signature of <paramref name="text"/>, or an empty array when it has no words.</summary>
    public uint[] Compute(string text)
    {
        var words = WordHashes.Of(text);
        if (words.Count == 0)
            return [];
        var shingles = Math.Max(1, words.Count - ShingleWords + 1);
        var n = Math.Min(ShingleWords, words.Count);
        var mins = new ulong[Permutations];
        Array.Fill(mins, ulong.MaxValue);
        var a = _a;
        var b = _b;
        var vectorEnd = Vector512.IsHardwareAccelerated ? Permutations - (Permutations % Vector512<ulong>.Count) : 0;
        for (var s = 0; s < shingles; s++)
        {
            var x = WordHashes.Combine(words, s, n);
            var i = 0;
            if (vectorEnd > 0)
            {
                // Same arithmetic as the scalar loop, eight permutations at a time.
                var vx = Vector512.Create(x);
                for (; i < vectorEnd; i += Vector512<ulong>.Count)
                {
                    var h = Vector512.ShiftRightLogical((Vector512.LoadUnsafe(ref a[i]) * vx) + Vector512.LoadUnsafe(ref b[i]), 32);
                    Vector512.Min(Vector512.LoadUnsafe(ref mins[i]), h).StoreUnsafe(ref mins[i]);
                }
            }
            for (; i < mins.Length; i++)
            {
                var h = ((a[i] * x) + b[i]) >> 32;
                if (h < mins[i])
                    mins[i] = h;
            }
        }
        var signature = new uint[Permutations];
        for (var i = 0; i < signature.Length; i++)
            signature[i] = (uint)mins[i];
        return signature;
    }

    /// <summary>The fraction of equal positions: an estimate of the Jaccard similarity of the shingle sets.</summary>
    public static double EstimateJaccard(ReadOnlySpan<uint> x, ReadOnlySpan<uint> y)
    {
        if (x.Length != y.Length || x.Length == 0)
            return 0;
        var equal = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] == y[i])
                equal++;
        }
        return (double)equal / x.Length;
    }

    /// <summary>Exact Jaccard similarity of the word-shingle sets of two texts (for tests and audits).</summary>
    public static double ExactJaccard(string x, string y, int shingleWords)
    {
        static HashSet<ulong> Shingles(string text, int n)
        {
            var words = WordHashes.Of(text);
            var set = new HashSet<ulong>();
            var count = Math.Max(1, words.Count - n + 1);
            for (var i = 0; i < count && words.Count > 0; i++)
                set.Add(WordHashes.Combine(words, i, Math.Min(n, words.Count)));
            return set;
        }

        var a = Shingles(x, shingleWords);
        var b = Shingles(y, shingleWords);
        if (a.Count == 0 && b.Count == 0)
            return 1;
        var intersection = a.Count(b.Contains);
        return (double)intersection / (a.Count + b.Count - intersection);
    }
}
