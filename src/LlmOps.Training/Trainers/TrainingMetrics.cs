namespace LlmOps.Training.Trainers;

/// <summary>What one optimizer step did; validation fields are set on the steps that evaluated.</summary>
public sealed record TrainingMetrics(
    int Step,
    double Loss,
    double LearningRate,
    double GradNorm,
    double TokensPerSecond,
    double? ValidationLoss = null,
    double? ValidationPerplexity = null,
    string? CheckpointPath = null);

/// <summary>Why a run ended.</summary>
public enum TrainingOutcome
{
    /// <summary>All steps ran.</summary>
    Completed,

    /// <summary>The loss or the gradient norm stopped being finite; the model holds that step's weights and no checkpoint was written for it.</summary>
    Diverged,
}

/// <summary>The outcome of a finished run.</summary>
public sealed record TrainingResult(
    int Steps,
    double FinalLoss,
    double? ValidationLoss,
    double? ValidationPerplexity,
    double TokensPerSecond,
    string? LastCheckpointPath,
    TrainingOutcome Outcome = TrainingOutcome.Completed);

/// <summary>The manifest of a checkpoint: where the run was and what it was training.</summary>
public sealed record TrainingState
{
    public required int Step { get; init; }
    public required long WindowsConsumed { get; init; }
    public required long Seed { get; init; }
    public required int SequenceLength { get; init; }
    public required int WindowsPerStep { get; init; }
    public required double LastLoss { get; init; }
    public required Modeling.LlamaConfig ModelConfig { get; init; }
}
