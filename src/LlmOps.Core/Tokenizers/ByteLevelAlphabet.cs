namespace LlmOps.Tokenizers;

/// <summary>GPT-2's reversible byte-to-character map: printable bytes map to themselves, the rest to U+0100 and up (space becomes 'Ġ').</summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, (byte)b)).ToDictionary(p => p.c, p => p.Item2);

    public static char ToChar(byte b) => ByteToChar[b];

    public static bool TryToByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    /// <summary>The byte-level string of <paramref name="bytes"/> (one char per byte).</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
                span[i] = ByteToChar[source[i]];
        });
    }

    private static char[] Build()
    {
        var map = new char[256];
        var assigned = new bool[256];
        foreach (var (from, to) in new[] { ('!', '~'), ('\u00A1', '\u00AC'), ('\u00AE', '\u00FF') })
        {
            for (var c = from; c <= to; c++)
            {
                map[c] = c;
                assigned[c] = true;
            }
        }
        var next = 0;
        for (var b = 0; b < 256; b++)
        {
            if (!assigned[b])
                map[b] = (char)(256 + next++);
        }
        return map;
    }
}
