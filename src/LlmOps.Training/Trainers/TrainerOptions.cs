namespace LlmOps.Training.Trainers;

/// <summary>Hyper-parameters of a training run; names follow axolotl's keys where they exist (in comments).</summary>
public sealed class TrainerOptions
{
    /// <summary>Tokens per training window (sequence_len).</summary>
    public int SequenceLength { get; set; } = 128;

    /// <summary>Windows per forward pass (micro_batch_size).</summary>
    public int MicroBatchSize { get; set; } = 8;

    /// <summary>Forward/backward passes per optimizer step (gradient_accumulation_steps).</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Optimizer steps of the whole run (max_steps).</summary>
    public int MaxSteps { get; set; } = 100;

    /// <summary>Peak learning rate (learning_rate).</summary>
    public double LearningRate { get; set; } = 3e-4;

    /// <summary>Linear warm-up steps before the cosine decay (warmup_steps).</summary>
    public int WarmupSteps { get; set; } = 10;

    /// <summary>The cosine ends at LearningRate times this (cosine_min_lr_ratio).</summary>
    public double MinLearningRateRatio { get; set; }

    /// <summary>AdamW decoupled weight decay, applied to matrices only (weight_decay).</summary>
    public double WeightDecay { get; set; } = 0.01;

    public double AdamBeta1 { get; set; } = 0.9;
    public double AdamBeta2 { get; set; } = 0.95;
    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>Global gradient-norm clip (max_grad_norm); 0 turns clipping off.</summary>
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>Seeds the data order and dropout (seed).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Validate every this many steps and at the end (eval_steps); 0 validates only at the end.</summary>
    public int EvalSteps { get; set; }

    /// <summary>At most this many validation batches per evaluation; 0 uses all of them.</summary>
    public int MaxEvalBatches { get; set; }

    /// <summary>Write a checkpoint every this many steps (save_steps); 0 writes none.</summary>
    public int SaveSteps { get; set; }

    /// <summary>Keep only the newest this many checkpoints (save_total_limit); 0 keeps all.</summary>
    public int SaveTotalLimit { get; set; }

    /// <summary>Folder for checkpoints; required when <see cref="SaveSteps"/> is set.</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool condition, string message)
        {
            if (!condition)
                throw new ArgumentException(message);
        }

        Require(SequenceLength > 0, "SequenceLength must be positive.");
        Require(MicroBatchSize > 0, "MicroBatchSize must be positive.");
        Require(GradientAccumulationSteps > 0, "GradientAccumulationSteps must be positive.");
        Require(MaxSteps > 0, "MaxSteps must be positive.");
        Require(LearningRate > 0, "LearningRate must be positive.");
        Require(WarmupSteps >= 0, "WarmupSteps must not be negative.");
        Require(MinLearningRateRatio is >= 0 and <= 1, "MinLearningRateRatio must be between 0 and 1.");
        Require(WeightDecay >= 0, "WeightDecay must not be negative.");
        Require(MaxGradNorm >= 0, "MaxGradNorm must not be negative.");
        Require(EvalSteps >= 0 && SaveSteps >= 0 && SaveTotalLimit >= 0 && MaxEvalBatches >= 0, "EvalSteps, SaveSteps, SaveTotalLimit and MaxEvalBatches must not be negative.");
        Require(SaveSteps == 0 || !string.IsNullOrWhiteSpace(OutputDirectory), "OutputDirectory is required when SaveSteps is set.");
    }
}
