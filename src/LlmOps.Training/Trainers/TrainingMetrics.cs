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

/// <summary>The outcome of a finished run.</summary>
public sealed record TrainingResult(
    int Steps,
    double FinalLoss,
    double? ValidationLoss,
    double? ValidationPerplexity,
    double TokensPerSecond,
    string? LastCheckpointPath);

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
