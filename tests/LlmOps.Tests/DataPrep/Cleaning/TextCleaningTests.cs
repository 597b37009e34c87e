using LlmOps.DataPrep;
using LlmOps.DataPrep.Cleaning;

namespace LlmOps.Tests.DataPrep.Cleaning;

public class TextCleaningTests
{
    private static readonly TextCleaning Cleaning = new(new TextCleaningOptions());

    [Theory]
    [InlineData("  hello   world  ", "hello world")]
    [InlineData("a\r\nb", "a\nb")]
    [InlineData("line one   \nline two", "line one\nline two")]
    [InlineData("a\n\n\n\n\nb", "a\n\nb")]
    [InlineData("tab\there", "tab here")]
    [InlineData("bell\u0007 and nul\u0000 gone", "bell and nul gone")]
    [InlineData("zero\u200Bwidth\uFEFF", "zerowidth")]
    [InlineData("non\u00A0breaking", "non breaking")]
    [InlineData("Cafe\u0301", "Caf\u00e9")]
    public void Clean_MessyText_ReturnsCleanText(string input, string expected)
    {
        Assert.Equal(expected, Cleaning.Clean(input));
    }

    [Fact]
    public void Apply_ChatRecord_CleansEveryTurnAndKeepsRoles()
    {
        var record = DataRecord.FromMessages([new("user", "  hi  there "), new("assistant", "Cafe\u0301\r\n")]);

        var outcome = Cleaning.Apply(record);

        Assert.True(outcome.Kept);
        Assert.Equal(["user", "assistant"], outcome.Record!.Messages.Select(m => m.Role));
        Assert.Equal(["hi there", "Caf\u00e9"], outcome.Record.Messages.Select(m => m.Content));
    }

    [Fact]
    public void Clean_NfcDisabled_LeavesDecomposedText()
    {
        var cleaning = new TextCleaning(new TextCleaningOptions { Nfc = false });
        Assert.Equal("Cafe\u0301", cleaning.Clean("Cafe\u0301"));
    }
}
