using LlmOps.Deployments;

namespace LlmOps.Tests.Deployments;

public sealed class DeploymentRoutingTests
{
    [Theory]
    [InlineData(90, 10, 1)]
    [InlineData(50, 50, 2)]
    [InlineData(95, 5, 3)]
    public void Choose_ThousandRequests_SharesWithinFivePercentOfWeights(int stable, int canary, int seed)
    {
        var spec = new DeploymentSpec([new WeightedVersion("m", 1, stable), new WeightedVersion("m", 2, canary)]);
        var random = new Random(seed);
        var toCanary = Enumerable.Range(0, 1000).Count(_ => DeploymentRouting.Choose(spec, random.NextDouble()).Version == 2);
        var expected = 1000.0 * canary / (stable + canary);
        Assert.InRange(toCanary, expected - 50, expected + 50);
    }

    [Fact]
    public void Choose_ZeroWeightVersion_NeverChosen()
    {
        var spec = new DeploymentSpec([new WeightedVersion("m", 1, 0), new WeightedVersion("m", 2, 3)]);
        Assert.All(new[] { 0.0, 0.3, 0.999999 }, u => Assert.Equal(2, DeploymentRouting.Choose(spec, u).Version));
    }

    [Fact]
    public void Chain_FallbacksRepeatingTheChosen_TriedOnce()
    {
        var spec = new DeploymentSpec([new WeightedVersion("m", 1)], Fallbacks: [new VersionRef("m", 1), new VersionRef("r", 1)]);
        Assert.Equal([new VersionRef("m", 1), new VersionRef("r", 1)], DeploymentRouting.Chain(spec, spec.Versions[0]));
    }
}
