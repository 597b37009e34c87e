using LlmOps.Monitoring.Drift;
using Xunit.Abstractions;

namespace LlmOps.Tests.Monitoring.Drift;

/// <summary>Centroid cosine distance and the MMD permutation test, by hand and on Gaussian vectors.</summary>
public sealed class EmbeddingDriftTests(ITestOutputHelper output)
{
    [Fact]
    public void CentroidCosineDistance_MatchesHandComputation()
    {
        // Centroids (2, 0) and (1, 1): 1 − 2/(2·√2) = 0.292893.
        ReadOnlyMemory<float>[] reference = [new float[] { 1, 0 }, new float[] { 3, 0 }];
        ReadOnlyMemory<float>[] current = [new float[] { 0, 1 }, new float[] { 2, 1 }];
        Assert.Equal(0.292893, EmbeddingDrift.CentroidCosineDistance(reference, current), 6);
        Assert.Equal(0, EmbeddingDrift.CentroidCosineDistance(reference, reference), 12);
    }

    [Fact]
    public void MmdTest_FourPoints_MatchesHandComputation()
    {
        // Reference {0, 2}, current {1, 3}. Pooled distances 1, 1, 1, 2, 2, 3: median σ = 1.5, k(d) = exp(−d²/2.25).
        // MMD²u = k(2) + k(2) − (2/4)(k(1) + k(3) + k(1) + k(1)) = 2·0.168966 − 1.5·0.641180 − 0.5·0.018316 = −0.632902.
        ReadOnlyMemory<float>[] reference = [new float[] { 0 }, new float[] { 2 }];
        ReadOnlyMemory<float>[] current = [new float[] { 1 }, new float[] { 3 }];
        var result = EmbeddingDrift.MmdTest(reference, current, permutations: 50, seed: 1);
        Assert.Equal(-0.632902, result.Mmd2, 6);
        Assert.Equal(1.5, result.Bandwidth, 12);
        Assert.Equal(50, result.Permutations);
        // The observed split is the least separated of the six: every permutation is at least as large.
        Assert.Equal(1, result.PValue, 12);
    }

    [Fact]
    public void MmdTest_ShiftedMean_IsSignificant()
    {
        var random = new Random(3);
        var reference = Gaussian(random, 100, 16, shift: 0);
        var current = Gaussian(random, 100, 16, shift: 0.5);
        var result = EmbeddingDrift.MmdTest(reference, current, permutations: 200, seed: 3);
        Assert.True(result.PValue < 0.05, $"p = {result.PValue}, MMD² = {result.Mmd2}");
        Assert.Equal(1.0 / 201, result.PValue, 12);
        Assert.True(result.Mmd2 > new DriftOptions().MmdThreshold, $"MMD² = {result.Mmd2}");
    }

    [Fact]
    public void MmdTest_SameDistribution_FalseAlarmsUnderFivePercentAndPValuesAreSpread()
    {
        const int seeds = 60;
        var options = new DriftOptions();
        var significant = 0;
        var alarms = 0;
        var pValues = new List<double>();
        for (var seed = 0; seed < seeds; seed++)
        {
            var random = new Random(1000 + seed);
            var result = EmbeddingDrift.MmdTest(Gaussian(random, 100, 16, 0), Gaussian(random, 100, 16, 0), options.MmdPermutations, seed);
            pValues.Add(result.PValue);
            if (result.PValue < options.MmdAlpha) significant++;
            if (result.PValue < options.MmdAlpha && result.Mmd2 > options.MmdThreshold) alarms++;
        }
        output.WriteLine($"p < 0.05: {significant}/{seeds}; drift flagged (with MMD² > {options.MmdThreshold}): {alarms}/{seeds}; mean p {pValues.Average():0.###}");
        // Under the null a permutation p-value is uniform: its mean is near ½, and about 5% fall below 0.05 — the test
        // alone; with the MMD² floor the drift flag stays under 5%.
        Assert.InRange(pValues.Average(), 0.35, 0.65);
        Assert.InRange((double)significant / seeds, 0, 0.15);
        Assert.True((double)alarms / seeds < 0.05, $"{alarms} false alarms in {seeds}");
    }

    [Fact]
    public void MmdTest_SameSeed_SameResult()
    {
        var random = new Random(9);
        var reference = Gaussian(random, 40, 8, 0);
        var current = Gaussian(random, 40, 8, 0.2);
        Assert.Equal(EmbeddingDrift.MmdTest(reference, current, 100, 5), EmbeddingDrift.MmdTest(reference, current, 100, 5));
    }

    [Fact]
    public void MmdTest_DifferentDimensions_Throws()
    {
        ReadOnlyMemory<float>[] reference = [new float[] { 0, 1 }, new float[] { 2, 1 }];
        ReadOnlyMemory<float>[] current = [new float[] { 1 }, new float[] { 3 }];
        Assert.Throws<ArgumentException>(() => EmbeddingDrift.MmdTest(reference, current, 10, 0));
    }

    [Fact]
    public void Median_BySelection_MatchesSorting()
    {
        var random = new Random(4);
        foreach (var length in new[] { 1, 2, 3, 10, 11, 1000, 1001 })
        {
            // Few distinct values, so ties around the middle are common.
            var values = Enumerable.Range(0, length).Select(_ => (double)random.Next(0, 7)).ToArray();
            var sorted = values.Order().ToArray();
            var expected = length % 2 == 1 ? sorted[length / 2] : (sorted[length / 2 - 1] + sorted[length / 2]) / 2;
            Assert.Equal(expected, EmbeddingDrift.Median(values));
        }
    }

    internal static ReadOnlyMemory<float>[] Gaussian(Random random, int count, int dimensions, double shift)
    {
        var vectors = new ReadOnlyMemory<float>[count];
        for (var i = 0; i < count; i++)
        {
            var vector = new float[dimensions];
            for (var d = 0; d < dimensions; d++) vector[d] = (float)(shift + StandardNormal(random));
            vectors[i] = vector;
        }
        return vectors;
    }

    static double StandardNormal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
