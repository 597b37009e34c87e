using LlmOps.Tokenizers;

namespace LlmOps.Tests.Tokenizers;

public class Gpt2PreTokenizerTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("Hello world", 2)]
    [InlineData("it's we're they'll I'd", 8)]
    [InlineData("a  b", 3)]
    [InlineData("x\n\ny", 4)]
    [InlineData("  trailing   ", 3)]
    [InlineData("price: $12.50!", 7)]
    public void Count_KnownText_MatchesHandCount(string text, int expected)
    {
        Assert.Equal(expected, Gpt2PreTokenizer.Count(text));
        Assert.Equal(expected, Gpt2PreTokenizer.Regex.Count(text));
    }

    [Fact]
    public void Count_RandomMixedText_EqualsRegexMatchCount()
    {
        string[] pieces = [" ", "  ", "\n", "\t", "a", "Zé", "ß", "12", "٣", "Ⅻ", "'s", "'re", "'ll", "'x", "'", "!", "?!", "😀", "東京", "\u00A0", "\u2028", "-", "_", "\r\n"];
        var random = new Random(99);
        for (var n = 0; n < 2000; n++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => pieces[random.Next(pieces.Length)]));
            Assert.True(Gpt2PreTokenizer.Regex.Count(text) == Gpt2PreTokenizer.Count(text), $"mismatch for \"{text}\"");
        }
    }
}
