using LlmOps.DataPrep;
using LlmOps.DataPrep.Filters;

namespace LlmOps.Tests.DataPrep.Filters;

public class FilterTests
{
    [Theory]
    [InlineData("short", "too_few_chars")]
    [InlineData("this text is long enough to pass", null)]
    [InlineData("this text is far too long for the maximum length set here in this test", "too_many_chars")]
    public void LengthFilter_Chars_DropsOutsideBounds(string text, string? reason)
    {
        var filter = new LengthFilter(new LengthFilterOptions { MinChars = 10, MaxChars = 40 }, PreTokenCounter.Instance);
        Assert.Equal(reason, filter.Apply(DataRecord.FromText(text)).DropReason);
    }

    [Theory]
    [InlineData("one two", "too_few_tokens")]
    [InlineData("one two three four", null)]
    [InlineData("one two three four five six seven", "too_many_tokens")]
    public void LengthFilter_Tokens_DropsOutsideBounds(string text, string? reason)
    {
        var filter = new LengthFilter(new LengthFilterOptions { MinTokens = 3, MaxTokens = 5 }, PreTokenCounter.Instance);
        Assert.Equal(reason, filter.Apply(DataRecord.FromText(text)).DropReason);
    }

    [Fact]
    public void RepetitionRatio_LoopedText_IsHigh()
    {
        var looped = string.Join(' ', Enumerable.Repeat("buy cheap pills now", 10));
        Assert.True(RepetitionFilter.RepetitionRatio(looped, 3) > 0.8);
        Assert.Equal(0, RepetitionFilter.RepetitionRatio("the quick brown fox jumps over the lazy dog", 3));
    }

    [Fact]
    public void RepetitionFilter_LoopedText_Dropped()
    {
        var filter = new RepetitionFilter(new RepetitionFilterOptions());
        var looped = string.Join(' ', Enumerable.Repeat("buy cheap pills now", 10));
        Assert.Equal("repetitive", filter.Apply(DataRecord.FromText(looped)).DropReason);
        Assert.True(filter.Apply(DataRecord.FromText("the quick brown fox jumps over the lazy dog")).Kept);
    }

    [Theory]
    [InlineData("plain words here", 0.0)]
    [InlineData("a!", 0.5)]
    [InlineData("#$%^&*", 1.0)]
    public void SymbolRatio_KnownText_ReturnsFraction(string text, double expected)
    {
        Assert.Equal(expected, SymbolRatioFilter.SymbolRatio(text), 6);
    }

    [Fact]
    public void SymbolRatioFilter_MostlySymbols_Dropped()
    {
        var filter = new SymbolRatioFilter(new SymbolRatioFilterOptions { MaxRatio = 0.3 });
        Assert.Equal("too_many_symbols", filter.Apply(DataRecord.FromText("{{{<<<>>>}}} ok")).DropReason);
        Assert.True(filter.Apply(DataRecord.FromText("Hello, world.")).Kept);
    }

    [Fact]
    public void ChatTurnFilter_BadChats_DroppedWithReason()
    {
        var filter = new ChatTurnFilter();
        Assert.Equal("empty_turn", filter.Apply(DataRecord.FromMessages([new("user", "hi"), new("assistant", "  ")])).DropReason);
        Assert.Equal("duplicate_turn", filter.Apply(DataRecord.FromMessages([new("user", "hi"), new("user", "hi"), new("assistant", "yo")])).DropReason);
        Assert.Equal("no_assistant_turn", filter.Apply(DataRecord.FromMessages([new("system", "be nice"), new("user", "hi")])).DropReason);
        Assert.True(filter.Apply(DataRecord.FromMessages([new("user", "hi"), new("assistant", "hello"), new("user", "hi")])).Kept);
    }
}
