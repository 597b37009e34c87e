using LlmOps.Training.Trainers;

namespace LlmOps.Tests.Training.Trainers;

public sealed class PackedTokenDatasetTests
{
    [Fact]
    public void Constructor_Pretraining_PacksWithSeparatorAndShiftsLabelsByOne()
    {
        var dataset = new PackedTokenDataset([new TrainingExample([1, 2, 3]), new TrainingExample([4, 5])], sequenceLength: 4, separatorTokenId: 9);

        // Stream: 1 2 3 9 4 5 9 -> windows [1 2 3 9 | 4] and [4 5 9 (pad)].
        Assert.Equal(2, dataset.WindowCount);
        Assert.Equal([1L, 2, 3, 9], dataset.Window(0).Inputs);
        Assert.Equal([2L, 3, 9, 4], dataset.Window(0).Labels);
        Assert.Equal([4L, 5, 9, 0], dataset.Window(1).Inputs);
        Assert.Equal([5L, 9, -100, -100], dataset.Window(1).Labels);
    }

    [Fact]
    public void Constructor_CompletionExample_MasksPromptTokensFromTheLoss()
    {
        var example = TrainingExample.Completion(prompt: [1, 2, 3], completion: [7, 8], endTokenId: 9);

        var dataset = new PackedTokenDataset([example], sequenceLength: 5);

        Assert.Equal([1L, 2, 3, 7, 8], dataset.Window(0).Inputs);
        Assert.Equal([-100L, -100, 7, 8, 9], dataset.Window(0).Labels);
    }

    [Fact]
    public void WindowAt_SameSeed_GivesTheSameOrderAndEachEpochCoversEveryWindow()
    {
        var dataset = new PackedTokenDataset(TinyCorpus.Documents(20, seed: 1), sequenceLength: 16);
        var n = dataset.WindowCount;

        var first = Enumerable.Range(0, 2 * n).Select(i => dataset.WindowAt(i, seed: 5).Inputs).ToList();
        var again = Enumerable.Range(0, 2 * n).Select(i => dataset.WindowAt(i, seed: 5).Inputs).ToList();

        Assert.Equal(first, again);
        var all = Enumerable.Range(0, n).Select(i => dataset.Window(i).Inputs).ToHashSet();
        Assert.True(all.SetEquals(first.Take(n)));
        Assert.True(all.SetEquals(first.Skip(n)));
        Assert.NotEqual(first.Take(n), first.Skip(n));
    }

    [Fact]
    public void StepsPerEpoch_PartialLastStep_RoundsUp()
    {
        var dataset = new PackedTokenDataset([new TrainingExample([.. Enumerable.Range(0, 100)])], sequenceLength: 9);

        Assert.Equal(11, dataset.WindowCount);
        Assert.Equal(3, dataset.StepsPerEpoch(microBatchSize: 2, gradientAccumulationSteps: 2));
        Assert.Equal(11, dataset.StepsPerEpoch(microBatchSize: 1, gradientAccumulationSteps: 1));
    }

    [Fact]
    public void Constructor_NothingToLearn_Throws()
    {
        var example = new TrainingExample([1, 2, 3], [false, false, false]);

        Assert.Throws<ArgumentException>(() => new PackedTokenDataset([example], sequenceLength: 4));
    }
}
