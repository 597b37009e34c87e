using LlmOps.Training.Trainers;

namespace LlmOps.Tests.Training.Trainers;

public sealed class CosineScheduleTests
{
    [Fact]
    public void LearningRateAt_WarmupThenCosine_RisesLinearlyPeaksAndEndsAtMinimum()
    {
        var schedule = new CosineSchedule(1e-3, WarmupSteps: 4, TotalSteps: 14, MinLearningRateRatio: 0.1);

        Assert.Equal(0.25e-3, schedule.LearningRateAt(0), 12);
        Assert.Equal(1e-3, schedule.LearningRateAt(3), 12);
        Assert.Equal(1e-3, schedule.LearningRateAt(4), 12);
        Assert.Equal(0.55e-3, schedule.LearningRateAt(9), 12);
        Assert.Equal(0.1e-3, schedule.LearningRateAt(14), 12);
        Assert.True(schedule.LearningRateAt(10) < schedule.LearningRateAt(9));
    }
}
