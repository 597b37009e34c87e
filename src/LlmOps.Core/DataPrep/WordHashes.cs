using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace LlmOps.DataPrep;

/// <summary>Stable 64-bit hashes of the lower-cased words of a text, and of word n-grams built from them.</summary>
/// <remarks>Words are maximal runs of letters and digits; hashing is XxHash64 with a fixed seed, the same on every machine.</remarks>
internal static class WordHashes
{
    private const ulong Seed = 0x4C4C4D4F70735748; // "LLMOpsWH"

    public static List<ulong> Of(string text)
    {
        var result = new List<ulong>(text.Length / 5);
        Span<char> lower = stackalloc char[64];
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            while (i < span.Length && !IsWordChar(span[i]))
                i++;
            var start = i;
            while (i < span.Length && IsWordChar(span[i]))
                i++;
            if (i == start)
                break;
            var word = span[start..i];
            if (word.Length <= lower.Length)
            {
                var w = lower[..word.Length];
                word.ToLowerInvariant(w);
                result.Add(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(w), (long)Seed));
            }
            else
            {
                var w = new char[word.Length];
                word.ToLowerInvariant(w);
                result.Add(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(w.AsSpan()), (long)Seed));
            }
        }
        return result;
    }

    /// <summary>Order-sensitive hash of words[start..start+n].</summary>
    public static ulong Combine(List<ulong> words, int start, int n)
    {
        var h = 0x9E3779B97F4A7C15UL;
        for (var k = 0; k < n; k++)
            h = Mix(h ^ words[start + k]) + (ulong)k;
        return h;
    }

    /// <summary>SplitMix64 finaliser.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static bool IsWordChar(char c) => c < 128 ? char.IsAsciiLetterOrDigit(c) : char.IsLetterOrDigit(c) || char.IsSurrogate(c);
}
