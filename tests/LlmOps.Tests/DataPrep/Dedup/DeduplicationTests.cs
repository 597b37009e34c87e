using LlmOps.DataPrep;
using LlmOps.DataPrep.Dedup;

namespace LlmOps.Tests.DataPrep.Dedup;

public class DeduplicationTests
{
    private static StepOutcome Run(IOrderedRecordStep step, string text)
    {
        var record = DataRecord.FromText(text);
        return step.Admit(record, step.Fingerprint(record));
    }

    [Fact]
    public void ExactDeduplication_SecondCopy_Dropped()
    {
        var step = new ExactDeduplication();
        Assert.True(Run(step, "hello world").Kept);
        Assert.True(Run(step, "hello world!").Kept);
        Assert.Equal("exact_duplicate", Run(step, "hello world").DropReason);
    }

    [Fact]
    public void ExactDeduplication_PromptMovedToCompletion_IsDifferent()
    {
        var step = new ExactDeduplication();
        var a = DataRecord.FromPromptCompletion("a b", "c");
        var b = DataRecord.FromPromptCompletion("a", "b c");
        Assert.True(step.Admit(a, step.Fingerprint(a)).Kept);
        Assert.True(step.Admit(b, step.Fingerprint(b)).Kept);
    }

    [Fact]
    public void MinHash_SameSeedsEveryInstance_GivesSameSignature()
    {
        var text = "the quick brown fox jumps over the lazy dog again and again";
        Assert.Equal(new MinHash(128, 5).Compute(text), new MinHash(128, 5).Compute(text));
    }

    [Fact]
    public void EstimateJaccard_EditedCopy_IsCloseToExact()
    {
        var random = new Random(7);
        var words = Enumerable.Range(0, 300).Select(_ => "w" + random.Next(100000)).ToArray();
        var a = string.Join(' ', words);
        words[100] = "changed";
        words[200] = "edited";
        var b = string.Join(' ', words);
        var minHash = new MinHash(256, 5);

        var estimate = MinHash.EstimateJaccard(minHash.Compute(a), minHash.Compute(b));
        var exact = MinHash.ExactJaccard(a, b, 5);

        Assert.InRange(exact, 0.9, 0.95);
        Assert.InRange(estimate, exact - 0.08, exact + 0.08);
    }

    [Fact]
    public void NearDeduplication_PlantedPairs_PrecisionAndRecallAtLeast95Percent()
    {
        var random = new Random(12345);
        string Words(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => "w" + random.Next(20000)));

        var documents = new List<(string Text, bool PlantedDuplicate)>();
        var originals = Enumerable.Range(0, 300).Select(_ => Words(120 + random.Next(80))).ToList();
        documents.AddRange(originals.Select(o => (o, false)));
        var planted = 0;
        foreach (var original in originals.Take(150))
        {
            // Near duplicate: one or two words replaced (Jaccard of 5-gram shingles about 0.85–0.95).
            var words = original.Split(' ');
            for (var k = 0; k < 1 + random.Next(2); k++)
                words[random.Next(words.Length)] = "edit" + random.Next(1000);
            var copy = string.Join(' ', words);
            Assert.True(MinHash.ExactJaccard(original, copy, 5) >= 0.8);
            documents.Add((copy, true));
            planted++;
        }
        foreach (var original in originals.Skip(150).Take(100))
        {
            // Hard negative: shares its first half with an original (Jaccard below 0.5).
            var words = original.Split(' ');
            var copy = string.Join(' ', words.Take(words.Length / 2)) + " " + Words(words.Length / 2);
            Assert.True(MinHash.ExactJaccard(original, copy, 5) < 0.5);
            documents.Add((copy, false));
        }
        // Originals first (they must be kept), then the rest in a shuffled order.
        var tail = documents.Skip(originals.Count).OrderBy(_ => random.Next()).ToList();
        var ordered = documents.Take(originals.Count).Concat(tail).ToList();

        var step = new NearDeduplication(new NearDeduplicationOptions());
        int truePositives = 0, falsePositives = 0;
        foreach (var (text, isDuplicate) in ordered)
        {
            if (Run(step, text).DropReason == "near_duplicate")
            {
                if (isDuplicate)
                    truePositives++;
                else
                    falsePositives++;
            }
        }

        var precision = (double)truePositives / (truePositives + falsePositives);
        var recall = (double)truePositives / planted;
        Assert.True(precision >= 0.95, $"precision {precision:0.000}");
        Assert.True(recall >= 0.95, $"recall {recall:0.000}");
    }
}
