namespace LlmOps.Training.Trainers;

/// <summary>Linear warm-up to the peak learning rate, then half a cosine down to peak times the minimum ratio.</summary>
public sealed record CosineSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps, double MinLearningRateRatio = 0)
{
    /// <summary>The learning rate of the optimizer step with zero-based index <paramref name="step"/>.</summary>
    public double LearningRateAt(int step)
    {
        if (step < WarmupSteps)
            return PeakLearningRate * (step + 1) / WarmupSteps;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        var min = PeakLearningRate * MinLearningRateRatio;
        return min + (PeakLearningRate - min) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
