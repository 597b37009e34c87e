using LlmOps.Monitoring.Drift;

namespace LlmOps.Tests.Monitoring.Drift;

/// <summary>PSI, Jensen–Shannon distance and the z-test against values worked out by hand.</summary>
public sealed class DriftStatisticsTests
{
    [Fact]
    public void Psi_TwoBins_MatchesHandComputation()
    {
        // (0.5 − 0.25)·ln(0.5/0.25) + (0.5 − 0.75)·ln(0.5/0.75) = 0.25·0.693147 + 0.25·0.405465 = 0.274653.
        Assert.Equal(0.274653, DriftStatistics.Psi([0.5, 0.5], [0.25, 0.75]), 6);
    }

    [Fact]
    public void Psi_IsSymmetricAndZeroForIdenticalHistograms()
    {
        Assert.Equal(DriftStatistics.Psi([0.5, 0.5], [0.25, 0.75]), DriftStatistics.Psi([0.25, 0.75], [0.5, 0.5]), 12);
        Assert.Equal(0, DriftStatistics.Psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), 12);
    }

    [Fact]
    public void Psi_EmptyBin_IsFilledWithOneTenThousandth()
    {
        // Evidently's feel_zeroes: the reference's empty third bin becomes 0.0001 (its smallest share, 0.5, is above 0.0001).
        // 0 + 0.25·ln 2 + (0.0001 − 0.25)·ln(0.0001/0.25) = 0.173287 + 0.2499·7.824046 = 2.128516.
        Assert.Equal(2.128516, DriftStatistics.Psi([0.5, 0.5, 0], [0.5, 0.25, 0.25]), 6);
    }

    [Fact]
    public void Psi_EmptyBinBesideATinyShare_IsFilledWithAMillionthOfIt()
    {
        // Smallest share 0.00005 ≤ 0.0001, so the empty bin becomes 0.00005 / 10⁶ = 5e-11:
        // (0.99995 − 0.5)·ln(0.99995/0.5) + (0.00005 − 0.25)·ln(0.00005/0.25) + (5e-11 − 0.25)·ln(5e-11/0.25) = 8.058562.
        Assert.Equal(8.058562, DriftStatistics.Psi([0.99995, 0.00005, 0], [0.5, 0.25, 0.25]), 5);
    }

    [Fact]
    public void JensenShannonDistance_TwoBins_MatchesHandComputationInNats()
    {
        // M = (0.375, 0.625); KL(P‖M) = 0.5·ln(0.5/0.375) + 0.5·ln(0.5/0.625) = 0.032269;
        // KL(Q‖M) = 0.25·ln(0.25/0.375) + 0.75·ln(0.75/0.625) = 0.035375; √((0.032269 + 0.035375)/2) = 0.183908.
        // In base 2 it would be 0.220894: the natural log is what scipy (and so Evidently) uses by default.
        Assert.Equal(0.183908, DriftStatistics.JensenShannonDistance([0.5, 0.5], [0.25, 0.75]), 6);
    }

    [Fact]
    public void JensenShannonDistance_EmptyBins_AreNotFilled()
    {
        // M = (0.5, 0.375, 0.125): ½[0.5·ln(0.5/0.375)] + ½[0.25·ln(0.25/0.375) + 0.25·ln(0.25/0.125)] = 0.107881 → 0.328452.
        Assert.Equal(0.328452, DriftStatistics.JensenShannonDistance([0.5, 0.5, 0], [0.5, 0.25, 0.25]), 6);
    }

    [Fact]
    public void JensenShannonDistance_DisjointHistograms_IsSquareRootOfLn2()
    {
        Assert.Equal(Math.Sqrt(Math.Log(2)), DriftStatistics.JensenShannonDistance([1, 0], [0, 1]), 12);
        Assert.Equal(0, DriftStatistics.JensenShannonDistance([0.2, 0.8], [0.2, 0.8]), 12);
    }

    [Fact]
    public void Psi_DifferentBinCounts_Throws() =>
        Assert.Throws<ArgumentException>(() => DriftStatistics.Psi([0.5, 0.5], [1.0]));

    [Fact]
    public void TwoProportionPValue_TenVersusTwentyFivePercent_MatchesHandComputation()
    {
        // Pooled P = 35/200 = 0.175; z = (0.10 − 0.25)/√(0.175·0.825·(2/100)) = −2.791453; p = erfc(2.791453/√2) = 0.005247.
        Assert.Equal(0.005247, DriftStatistics.TwoProportionPValue(10, 100, 25, 100), 6);
    }

    [Fact]
    public void TwoProportionPValue_EqualRates_IsOne() =>
        Assert.Equal(1, DriftStatistics.TwoProportionPValue(10, 100, 20, 200), 6);

    [Fact]
    public void TwoProportionPValue_NoVariance_IsOne()
    {
        Assert.Equal(1, DriftStatistics.TwoProportionPValue(0, 50, 0, 80));
        Assert.Equal(1, DriftStatistics.TwoProportionPValue(50, 50, 80, 80));
    }

    [Theory]
    [InlineData(1.959964, 0.025)]
    [InlineData(0, 0.5)]
    [InlineData(-1.644854, 0.95)]
    [InlineData(3.090232, 0.001)]
    public void NormalUpperTail_KnownQuantiles(double z, double expected) =>
        Assert.Equal(expected, DriftStatistics.NormalUpperTail(z), 6);
}
