using LlmOps.Runs;

namespace LlmOps.Tests.Runs;

public class RunComparisonsTests
{
    static Run NewRun(string id, params (string, string)[] parameters) =>
        new(id, "exp", null, RunStatus.Finished, null, parameters.ToDictionary(p => p.Item1, p => p.Item2), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "me");

    static Dictionary<string, MetricPoint> Metrics(params (string, double)[] values) =>
        values.ToDictionary(v => v.Item1, v => new MetricPoint(v.Item1, 10, v.Item2, DateTimeOffset.UnixEpoch));

    [Fact]
    public void Build_LossAndAccuracy_PicksLowestLossAndHighestAccuracy()
    {
        var comparison = RunComparisons.Build(
            [NewRun("a", ("lr", "0.1"), ("seed", "1")), NewRun("b", ("lr", "0.01"), ("seed", "1")), NewRun("c", ("lr", "0.001"))],
            [Metrics(("val_loss", 2.0), ("accuracy", 0.5)), Metrics(("val_loss", 1.5), ("accuracy", 0.4)), Metrics(("accuracy", 0.7))]);

        var loss = comparison.Metrics.Single(m => m.Name == "val_loss");
        Assert.Equal(MetricGoal.Minimize, loss.Goal);
        Assert.Equal(1, loss.BestIndex);
        Assert.Null(loss.Values[2]);
        var accuracy = comparison.Metrics.Single(m => m.Name == "accuracy");
        Assert.Equal(MetricGoal.Maximize, accuracy.Goal);
        Assert.Equal(2, accuracy.BestIndex);

        Assert.True(comparison.Params.Single(p => p.Name == "lr").Differs);
        var seed = comparison.Params.Single(p => p.Name == "seed");
        Assert.True(seed.Differs); // run c lacks it
        Assert.Equal([ "1", "1", null ], seed.Values);
    }

    [Fact]
    public void Build_SameParams_NotMarkedDiffering()
    {
        var comparison = RunComparisons.Build([NewRun("a", ("lr", "0.1")), NewRun("b", ("lr", "0.1"))], [Metrics(), Metrics()]);
        Assert.False(comparison.Params.Single().Differs);
        Assert.Empty(comparison.Metrics);
    }
}
