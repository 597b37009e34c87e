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
