using LlmOps.Evaluation;

namespace LlmOps.Tests.Evaluation;

/// <summary>The statistics against values worked out by hand.</summary>
public sealed class EvalStatisticsTests
{
    [Fact]
    public void Wilson_ZeroOfTen_MatchesHandComputation()
    {
        // z = 1.959964; centre = (z²/20)/(1 + z²/10) = 0.13877; half = z/(1 + z²/10)·sqrt(z²/400) = 0.13877.
        var interval = EvalStatistics.Wilson(0, 10);
        Assert.Equal(0, interval.Lower, 6);
        Assert.Equal(0.27753, interval.Upper, 4);
    }

    [Fact]
    public void Wilson_FiveOfTen_IsSymmetricAroundHalf()
    {
        // centre = 0.5; half = z/(1 + z²/10)·sqrt(0.025 + z²/400) = 1.41600 · 0.18713 = 0.26498... → 0.2366 to 0.7634.
        var interval = EvalStatistics.Wilson(5, 10);
        Assert.Equal(0.2366, interval.Lower, 4);
        Assert.Equal(0.7634, interval.Upper, 4);
    }

    [Fact]
    public void Wilson_NoTrials_IsWholeRange() => Assert.Equal(new Interval(0, 1), EvalStatistics.Wilson(0, 0));

    [Theory]
    [InlineData(5, 0, 0.0625)]       // 2 · (1/2)^5
    [InlineData(0, 5, 0.0625)]
    [InlineData(1, 6, 0.125)]        // 2 · (C(7,0) + C(7,1)) / 2^7 = 2 · 8/128
    [InlineData(3, 3, 1.0)]          // 2 · 42/64 > 1 → 1
    [InlineData(0, 0, 1.0)]
    [InlineData(2, 10, 0.0385742)]   // 2 · (1 + 12 + 66) / 4096 = 158/4096
    public void McNemarExact_SmallCounts_MatchesBinomialByHand(int b, int c, double expected) =>
        Assert.Equal(expected, EvalStatistics.McNemarExact(b, c), 6);

    [Fact]
    public void McNemarExact_LargeCounts_DoesNotUnderflow()
    {
        var p = EvalStatistics.McNemarExact(600, 400);
        Assert.InRange(p, 1e-12, 1e-7);
    }

    [Fact]
    public void BootstrapMeanInterval_ConstantDifferences_IsThatConstant()
    {
        var interval = EvalStatistics.BootstrapMeanInterval([-0.25, -0.25, -0.25, -0.25]);
        Assert.Equal(-0.25, interval.Lower, 12);
        Assert.Equal(-0.25, interval.Upper, 12);
    }

    [Fact]
    public void BootstrapMeanInterval_ZeroAndOne_SpansWholeRange()
    {
        // Resample means of {0, 1} are 0, ½, 1 with probabilities ¼, ½, ¼: the 2.5% and 97.5% points are 0 and 1.
        var interval = EvalStatistics.BootstrapMeanInterval([0, 1], samples: 4000, seed: 7);
        Assert.Equal(0, interval.Lower, 12);
        Assert.Equal(1, interval.Upper, 12);
    }

    [Fact]
    public void BootstrapMeanInterval_SameSeed_SameInterval_OtherSeedDiffers()
    {
        double[] differences = [0.1, -0.3, 0.4, 0, 0.2, -0.1, 0.5, 0.05];
        var first = EvalStatistics.BootstrapMeanInterval(differences, seed: 3);
        Assert.Equal(first, EvalStatistics.BootstrapMeanInterval(differences, seed: 3));
        Assert.NotEqual(first, EvalStatistics.BootstrapMeanInterval(differences, seed: 4));
        var mean = differences.Average();
        Assert.InRange(mean, first.Lower, first.Upper);
    }

    [Fact]
    public void Quantile_Type7_InterpolatesByHand()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1.75, EvalStatistics.Quantile(sorted, 0.25), 12); // position 0.75
        Assert.Equal(2.5, EvalStatistics.Quantile(sorted, 0.5), 12);
        Assert.Equal(4, EvalStatistics.Quantile(sorted, 1), 12);
    }

    [Theory]
    [InlineData(0.975, 1.959964)]
    [InlineData(0.5, 0)]
    [InlineData(0.01, -2.326348)]
    public void NormalQuantile_KnownPoints(double p, double z) => Assert.Equal(z, EvalStatistics.NormalQuantile(p), 5);
}
