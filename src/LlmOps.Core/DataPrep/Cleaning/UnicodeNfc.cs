using System.Text;

namespace LlmOps.DataPrep.Cleaning;

/// <summary>Unicode NFC normalisation with tables carried in code, identical on every machine.</summary>
/// <remarks>
/// <see cref="string.Normalize()"/> is a no-op under InvariantGlobalization and otherwise follows
/// the machine's ICU version; a dataset version id must not depend on either.
/// </remarks>
public static class UnicodeNfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly ulong[] BmpNeedsWork = BuildBmpBitmap();

    /// <summary>The Unicode version the tables were generated from.</summary>
    public static string UnicodeVersion => NfcTables.UnicodeVersion;

    /// <summary>Returns <paramref name="text"/> in Normalization Form C.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = FirstNeedingWork(text);
        if (first < 0)
            return text;

        // Back up to the last character that is a stable starter (it may still compose with
        // what follows, so it is included; nothing before it can).
        var start = first;
        while (start > 0)
        {
            start--;
            if (char.IsLowSurrogate(text[start]) && start > 0 && char.IsHighSurrogate(text[start - 1]))
                start--;
            if (!NeedsWork(text, start))
                break;
        }

        var cps = new List<int>(text.Length - start + 8);
        for (var i = start; i < text.Length;)
        {
            int cp;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                i += 2;
            }
            else
            {
                cp = text[i];
                i++;
            }
            Decompose(cp, cps);
        }
        ReorderMarks(cps);
        Compose(cps);

        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, start);
        foreach (var cp in cps)
        {
            if (cp < 0x10000)
                sb.Append((char)cp);
            else
                sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    /// <summary>Whether <paramref name="text"/> is certainly already in NFC (quick check).</summary>
    public static bool IsQuickNormalized(string text) => FirstNeedingWork(text) < 0;

    private static int FirstNeedingWork(string text)
    {
        var span = text.AsSpan();
        var i = span.IndexOfAnyInRange('\u0300', '\uffff');
        if (i < 0)
            return -1;
        for (; i < span.Length; i++)
        {
            var c = span[i];
            if (c < 0x300)
                continue;
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                if (InRanges(char.ConvertToUtf32(c, span[i + 1])))
                    return i;
                i++;
                continue;
            }
            if ((BmpNeedsWork[c >> 6] & (1UL << (c & 63))) != 0)
                return i;
        }
        return -1;
    }

    private static bool NeedsWork(string text, int index)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
            return InRanges(char.ConvertToUtf32(c, text[index + 1]));
        return (BmpNeedsWork[c >> 6] & (1UL << (c & 63))) != 0;
    }

    private static ulong[] BuildBmpBitmap()
    {
        var bits = new ulong[1024];
        var ranges = NfcTables.NeedsWorkRanges;
        for (var r = 0; r < ranges.Length; r += 2)
        {
            for (var cp = ranges[r]; cp <= ranges[r + 1] && cp < 0x10000; cp++)
                bits[cp >> 6] |= 1UL << (cp & 63);
        }
        return bits;
    }

    private static bool InRanges(int cp)
    {
        var ranges = NfcTables.NeedsWorkRanges;
        int lo = 0, hi = (ranges.Length / 2) - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (cp < ranges[2 * mid])
                hi = mid - 1;
            else if (cp > ranges[(2 * mid) + 1])
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }

    internal static int CombiningClass(int cp)
    {
        if (cp < 0x300)
            return 0;
        var i = NfcTables.CombiningClassKeys.BinarySearch(cp);
        return i >= 0 ? NfcTables.CombiningClassValues[i] : 0;
    }

    private static void Decompose(int cp, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            var s = cp - SBase;
            output.Add(LBase + (s / NCount));
            output.Add(VBase + (s % NCount / TCount));
            if (s % TCount != 0)
                output.Add(TBase + (s % TCount));
            return;
        }
        var i = cp < 0xC0 ? -1 : NfcTables.DecompositionKeys.BinarySearch(cp);
        if (i < 0)
        {
            output.Add(cp);
            return;
        }
        var offsets = NfcTables.DecompositionOffsets;
        foreach (var d in NfcTables.DecompositionData[offsets[i]..offsets[i + 1]])
            output.Add(d);
    }

    private static void ReorderMarks(List<int> cps)
    {
        // Stable insertion sort of each run of non-starters by combining class.
        for (var i = 1; i < cps.Count; i++)
        {
            var cc = CombiningClass(cps[i]);
            if (cc == 0)
                continue;
            var j = i;
            var cp = cps[i];
            while (j > 0)
            {
                var prev = CombiningClass(cps[j - 1]);
                if (prev <= cc)
                    break;
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
    }

    private static void Compose(List<int> cps)
    {
        if (cps.Count == 0)
            return;
        var starterIndex = CombiningClass(cps[0]) == 0 ? 0 : -1;
        var lastClass = starterIndex == 0 ? 0 : 256;
        var write = 1;
        for (var read = 1; read < cps.Count; read++)
        {
            var cp = cps[read];
            var cc = CombiningClass(cp);
            if (starterIndex >= 0 && (lastClass < cc || (lastClass == 0 && write - 1 == starterIndex)))
            {
                var composite = ComposePair(cps[starterIndex], cp);
                if (composite >= 0)
                {
                    cps[starterIndex] = composite;
                    continue;
                }
            }
            if (cc == 0)
            {
                starterIndex = write;
                lastClass = 0;
            }
            else
            {
                lastClass = cc;
            }
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static int ComposePair(int a, int b)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
            return SBase + ((((a - LBase) * VCount) + (b - VBase)) * TCount);
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
            return a + (b - TBase);
        var i = NfcTables.CompositionKeys.BinarySearch(((long)a << 21) | (uint)b);
        return i >= 0 ? NfcTables.CompositionValues[i] : -1;
    }
}
