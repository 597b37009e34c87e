using LlmOps.DataPrep;
using LlmOps.DataPrep.Decontamination;
using DecontaminationStep = LlmOps.DataPrep.Decontamination.Decontamination;

namespace LlmOps.Tests.DataPrep.Decontamination;

public class DecontaminationTests
{
    private const string EvalQuestion = "What is the capital city of France and when was the Eiffel Tower built for the world fair";

    [Fact]
    public void Apply_RecordQuotingEvalItem_Dropped()
    {
        var step = new DecontaminationStep(new DecontaminationOptions(), [EvalQuestion]);
        var record = DataRecord.FromText("Trivia: what is the capital city of France, and when was the Eiffel Tower built for the world fair? Paris.");
        Assert.Equal("contaminated", step.Apply(record).DropReason);
    }

    [Fact]
    public void Apply_ShortOverlapOnly_Kept()
    {
        var step = new DecontaminationStep(new DecontaminationOptions(), [EvalQuestion]);
        var record = DataRecord.FromText("The capital city of France is Paris, a city of museums and the Eiffel Tower.");
        Assert.True(step.Apply(record).Kept);
    }

    [Fact]
    public void Apply_SmallerNGram_CatchesShorterOverlap()
    {
        var step = new DecontaminationStep(new DecontaminationOptions { NGram = 5 }, [EvalQuestion]);
        Assert.Equal("contaminated", step.Apply(DataRecord.FromText("so: the capital city of France is?")).DropReason);
    }
}

public class DecontaminationEvalFileTests
{
    [Fact]
    public async Task PrepareAsync_BadEvalFile_DataPrepErrorNamesFileAndLine()
    {
        using var folder = new LlmOps.Tests.DataPrep.TempFolder();
        folder.File("evals/qa.jsonl", "{\"q\":\"fine\"}\n\n{broken\n");
        var input = folder.File("in.jsonl", "{\"text\":\"x\"}\n");
        var recipe = LlmOps.DataPrep.Recipes.Recipe.Parse("steps:\n  - decontaminate: { eval_files: [evals/qa.jsonl] }\n");

        var ex = await Assert.ThrowsAsync<DataPrepException>(() =>
            new DatasetPreparer().PrepareAsync([input], recipe, folder.Sub("out"), new PrepareOptions { RecipeDirectory = folder.Path }));

        Assert.Contains("evals/qa.jsonl line 3", ex.Message, StringComparison.Ordinal);
    }
}
