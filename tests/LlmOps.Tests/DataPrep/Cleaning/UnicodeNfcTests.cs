using LlmOps.DataPrep.Cleaning;

namespace LlmOps.Tests.DataPrep.Cleaning;

public class UnicodeNfcTests
{
    // Expected values computed with Python's unicodedata.normalize('NFC', ...) (Unicode 14).
    public static TheoryData<string, string> Cases => new()
    {
        { "Cafe\u0301", "Caf\u00e9" },
        { "\u212b", "\u00c5" },
        { "\u1112\u1161\u11ab", "\ud55c" },
        { "a\u0302\u0323", "\u1ead" },
        { "e\u0301\u0301", "\u00e9\u0301" },
        { "A\u030a\u0301", "\u01fa" },
        { "x\u0327\u0301c\u0327", "x\u0327\u0301\u00e7" },
        { "\ud55c\u11af", "\ud55c\u11af" },
        { "\U0001d15e", "\U0001d157\U0001d165" },
        { "\u0f73", "\u0f71\u0f72" },
        { "\ufb01", "\ufb01" },
        { "\u00c5\u0328", "\u0104\u030a" },
        { "text \u0cca and \u0cc6\u0cc2", "text \u0cca and \u0cca" },
        { "\u0300abc", "\u0300abc" },
        { "\u00c7\u0301\u00df", "\u1e08\u00df" },
        { "plain ascii stays", "plain ascii stays" },
        { "emoji 😀 and 漢字 stay", "emoji 😀 and 漢字 stay" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Normalize_KnownInput_MatchesPythonNfc(string input, string expected)
    {
        Assert.Equal(expected, UnicodeNfc.Normalize(input));
    }

    [Fact]
    public void Normalize_AlreadyNormal_ReturnsSameInstance()
    {
        var text = "déjà vu — 東京";
        Assert.Same(text, UnicodeNfc.Normalize(text));
    }
}

public class UnicodeNfcGeneratedCaseTests
{
    [Fact]
    public void Normalize_400RandomStringsFromPython_AllMatch()
    {
        // nfc-cases.json: random mixes of letters, combining marks, Hangul jamo and syllables, singletons and
        // supplementary-plane composites, with Python's unicodedata.normalize('NFC', s) as the expected value.
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "DataPrep", "Cleaning", "nfc-cases.json")));
        Assert.Equal(UnicodeNfc.UnicodeVersion, doc.RootElement.GetProperty("unicode").GetString());
        var failures = new List<string>();
        foreach (var pair in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var input = pair[0].GetString()!;
            var expected = pair[1].GetString()!;
            if (UnicodeNfc.Normalize(input) != expected)
                failures.Add(string.Join(' ', input.Select(c => ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture))));
        }
        Assert.Empty(failures);
    }
}
