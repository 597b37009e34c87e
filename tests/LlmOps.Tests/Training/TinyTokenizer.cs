using LlmOps.Training.Gguf;

namespace LlmOps.Tests.Training;

/// <summary>A hand-made byte-level BPE vocabulary: GPT-2's 256 byte tokens, a few merges and &lt;|endoftext|&gt;.</summary>
internal static class TinyTokenizer
{
    public static readonly string[] Merges = ["t h", "th e", "Ġ th", "Ġth e", "i n", "a n", "o n", "e r", "Ġ a", "Ġa n", "Ġan d", "r e", "e n", "Ġ o", "Ġo f"];

    /// <summary>GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 upwards; id = byte value.</summary>
    public static IReadOnlyList<string> ByteTokens()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1)
            .Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1))
            .ToHashSet();
        var tokens = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
            tokens[b] = printable.Contains(b) ? ((char)b).ToString() : ((char)next++).ToString();
        return tokens;
    }

    public static IReadOnlyList<string> Vocabulary()
    {
        var vocab = ByteTokens().ToList();
        vocab.AddRange(Merges.Select(m => m.Replace(" ", "", StringComparison.Ordinal)));
        vocab.Add(GgufTokenizer.EndOfText);
        return vocab;
    }

    public static GgufTokenizer Create() => GgufTokenizer.ByteLevelBpe(Vocabulary(), Merges, [GgufTokenizer.EndOfText]);
}
