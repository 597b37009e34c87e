using LlmOps.Monitoring.Drift;

namespace LlmOps.Tests.Monitoring.Drift;

/// <summary>Quantile length bins and top-K token bins.</summary>
public sealed class HistogramsTests
{
    [Fact]
    public void LengthHistogram_FromReference_CutsAtQuartiles()
    {
        // Type-7 quartiles of 1..8: 2.75, 4.5, 6.25.
        var histogram = LengthHistogram.FromReference([8, 1, 2, 3, 4, 5, 6, 7], 4);
        Assert.Equal([2.75, 4.5, 6.25], histogram.Edges);
        Assert.Equal([0.25, 0.25, 0.25, 0.25], histogram.Shares([1, 2, 3, 4, 5, 6, 7, 8]));
    }

    [Fact]
    public void LengthHistogram_Shares_AreRightClosedAndOpenEnded()
    {
        var histogram = LengthHistogram.FromReference([1, 2, 3, 4, 5, 6, 7, 8], 4);
        // 4.5 sits on an edge: it belongs to the bin below. −100 and 1000 fall in the end bins.
        Assert.Equal([0.25, 0.5, 0, 0.25], histogram.Shares([-100, 4.5, 3, 1000]));
    }

    [Fact]
    public void LengthHistogram_TiedQuantiles_MergeBins()
    {
        var histogram = LengthHistogram.FromReference([5, 5, 5, 5, 5, 5, 5, 9], 4);
        Assert.Equal([5.0], histogram.Edges);
        Assert.Equal(2, histogram.BinCount);
        Assert.Equal([0.75, 0.25], histogram.Shares([5, 4, 5, 6]));
    }

    [Fact]
    public void Characters_CountsUnicodeScalarValues()
    {
        Assert.Equal(5, LengthHistogram.Characters("héllo"));
        Assert.Equal(3, LengthHistogram.Characters("a😀b"));   // the emoji is two UTF-16 units, one character
    }

    [Fact]
    public void TokenHistogram_FromReference_TakesTopKByCountThenOrdinal()
    {
        var histogram = TokenHistogram.FromReference(["The cat, the DOG.", "a dog and THE bird", "bird"], 3);
        // the ×3; bird ×2, dog ×2 (ordinal order: bird before dog); cat, a, and ×1 are left out.
        Assert.Equal(["the", "bird", "dog"], histogram.Tokens);
        Assert.Equal(4, histogram.BinCount);
    }

    [Fact]
    public void TokenHistogram_Shares_CountTokensAndOther()
    {
        var histogram = TokenHistogram.FromReference(["the cat the dog"], 2);   // the, cat
        var shares = histogram.Shares(["The THE cat", "can't stop"]);           // the ×2, cat ×1, other: can, t, stop
        Assert.NotNull(shares);
        Assert.Equal([2.0 / 6, 1.0 / 6, 3.0 / 6], shares);
    }

    [Fact]
    public void TokenHistogram_Shares_NoWords_IsNull() =>
        Assert.Null(TokenHistogram.FromReference(["a b"], 5).Shares(["...", ""]));
}
