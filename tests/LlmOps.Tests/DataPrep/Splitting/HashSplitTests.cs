using LlmOps.DataPrep;
using LlmOps.DataPrep.Splitting;

namespace LlmOps.Tests.DataPrep.Splitting;

public class HashSplitTests
{
    [Fact]
    public void UnitInterval_FixedText_IsStableAcrossRunsAndMachines()
    {
        // Golden value computed outside .NET (Python hashlib): SHA-256("llmops\0hello"), first 53 bits / 2^53.
        // If this changes, every dataset's split changes: bump DatasetPreparer.FormatVersion.
        var split = new HashSplit(new SplitOptions());
        Assert.Equal(0.9726227842158232, split.UnitInterval("hello"), 15);
    }

    [Fact]
    public void Assign_ManyRecords_FollowsFractions()
    {
        var split = new HashSplit(new SplitOptions { Train = 0.8, Validation = 0.1, Test = 0.1 });
        var counts = new int[3];
        for (var i = 0; i < 10000; i++)
            counts[split.Assign(DataRecord.FromText("record number " + i))]++;
        Assert.InRange(counts[0], 7800, 8200);
        Assert.InRange(counts[1], 900, 1100);
        Assert.InRange(counts[2], 900, 1100);
    }

    [Fact]
    public void Assign_DifferentSalt_MovesRecords()
    {
        var a = new HashSplit(new SplitOptions { Train = 0.5, Validation = 0.25, Test = 0.25 });
        var b = new HashSplit(new SplitOptions { Train = 0.5, Validation = 0.25, Test = 0.25, Salt = "other" });
        var moved = Enumerable.Range(0, 200).Count(i => a.Assign(DataRecord.FromText("r" + i)) != b.Assign(DataRecord.FromText("r" + i)));
        Assert.True(moved > 50);
    }

    [Fact]
    public void Constructor_FractionsNotSummingToOne_Throws()
    {
        Assert.Throws<ArgumentException>(() => new HashSplit(new SplitOptions { Train = 0.9, Validation = 0.2, Test = 0 }));
    }
}
