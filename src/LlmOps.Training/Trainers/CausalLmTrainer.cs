using System.Globalization;
using System.Text.Json;
using LlmOps.Training.Checkpointing;
using LlmOps.Training.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmOps.Training.Trainers;

/// <summary>
/// Trains a causal language model on packed token windows: AdamW, warm-up + cosine schedule, gradient
/// accumulation and clipping, periodic validation and atomic, checksummed checkpoints that resume exactly.
/// Only parameters with requires_grad are trained (so a LoRA run leaves the frozen base untouched).
/// </summary>
public sealed class CausalLmTrainer
{
    private const string ManifestSection = "manifest.json";
    private const string ModelSection = "model";
    private const string OptimizerSection = "optimizer";
    private const string RngSection = "rng";

    private readonly LlamaForCausalLM model;
    private readonly TrainerOptions options;
    private readonly TimeProvider timeProvider;
    private readonly List<Parameter> trainable;
    private readonly AdamW optimizer;
    private readonly CosineSchedule schedule;

    public CausalLmTrainer(LlamaForCausalLM model, TrainerOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.model = model;
        this.options = options;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        trainable = [.. model.parameters().Where(p => p.requires_grad)];
        if (trainable.Count == 0)
            throw new InvalidOperationException("The model has no trainable parameter.");
        // Decay matrices only; norms and biases are not decayed (the usual GPT/Llama recipe).
        var groups = new[]
        {
            new AdamW.ParamGroup(trainable.Where(p => p.dim() >= 2), options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay),
            new AdamW.ParamGroup(trainable.Where(p => p.dim() < 2), options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, 0.0),
        };
        optimizer = optim.AdamW(groups.Where(g => g.Parameters.Any()), options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay);
        schedule = new CosineSchedule(options.LearningRate, options.WarmupSteps, options.MaxSteps, options.MinLearningRateRatio);
    }

    /// <summary>Steps completed so far (after a resume, the checkpoint's step).</summary>
    public int Step { get; private set; }

    /// <summary>
    /// Trains until <see cref="TrainerOptions.MaxSteps"/>, from <paramref name="resumeFrom"/> (a checkpoint file) if given.
    /// Cancellation is honoured between steps (after any checkpoint of the step just finished).
    /// </summary>
    public async Task<TrainingResult> TrainAsync(
        PackedTokenDataset train,
        PackedTokenDataset? validation = null,
        string? resumeFrom = null,
        Action<TrainingMetrics>? onMetrics = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.SequenceLength != options.SequenceLength)
            throw new ArgumentException("The dataset's sequence length differs from the options'.", nameof(train));
        var windowsPerStep = options.MicroBatchSize * options.GradientAccumulationSteps;
        long windowsConsumed = 0;
        var lastLoss = double.NaN;
        if (resumeFrom is not null)
        {
            var state = await RestoreAsync(resumeFrom, windowsPerStep, cancellationToken).ConfigureAwait(false);
            windowsConsumed = state.WindowsConsumed;
            lastLoss = state.LastLoss;
        }
        else
        {
            model.DropoutGenerator.manual_seed(options.Seed);
        }

        double? validationLoss = null;
        string? lastCheckpoint = null;
        long tokens = 0;
        var started = timeProvider.GetTimestamp();
        var savedStep = Step;
        while (Step < options.MaxSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                // Stopped at a step boundary: keep the work done since the last checkpoint, so --resume loses nothing.
                if (options.SaveSteps > 0 && Step > savedStep)
                {
                    await SaveCheckpointAsync(Path.Combine(options.OutputDirectory!, TrainingCheckpoint.FileName(Step)), windowsConsumed, lastLoss, CancellationToken.None).ConfigureAwait(false);
                    PruneCheckpoints();
                }
                cancellationToken.ThrowIfCancellationRequested();
            }
            var stepStarted = timeProvider.GetTimestamp();
            var learningRate = schedule.LearningRateAt(Step);
            var (loss, gradNorm) = RunStep(train, windowsConsumed, learningRate);
            windowsConsumed += windowsPerStep;
            Step++;
            lastLoss = loss;
            var stepTokens = (long)windowsPerStep * options.SequenceLength;
            tokens += stepTokens;
            var seconds = timeProvider.GetElapsedTime(stepStarted).TotalSeconds;
            if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
            {
                // A diverged run is an outcome to report (lower the learning rate, resume from the last checkpoint), not a crash.
                onMetrics?.Invoke(new TrainingMetrics(Step, loss, learningRate, gradNorm, seconds > 0 ? stepTokens / seconds : 0));
                return new TrainingResult(Step, loss, validationLoss, validationLoss is { } dv ? Math.Exp(dv) : null, 0, lastCheckpoint, TrainingOutcome.Diverged);
            }

            double? stepValidation = null;
            if (validation is not null && ((options.EvalSteps > 0 && Step % options.EvalSteps == 0) || Step == options.MaxSteps))
                stepValidation = validationLoss = Evaluate(validation);

            string? checkpoint = null;
            if (options.SaveSteps > 0 && Step % options.SaveSteps == 0)
            {
                checkpoint = lastCheckpoint = Path.Combine(options.OutputDirectory!, TrainingCheckpoint.FileName(Step));
                await SaveCheckpointAsync(checkpoint, windowsConsumed, lastLoss, cancellationToken).ConfigureAwait(false);
                PruneCheckpoints();
                savedStep = Step;
            }

            onMetrics?.Invoke(new TrainingMetrics(
                Step, loss, learningRate, gradNorm, seconds > 0 ? stepTokens / seconds : 0,
                stepValidation, stepValidation is { } v ? Math.Exp(v) : null, checkpoint));
        }
        var total = timeProvider.GetElapsedTime(started).TotalSeconds;
        return new TrainingResult(Step, lastLoss, validationLoss, validationLoss is { } vl ? Math.Exp(vl) : null, total > 0 ? tokens / total : 0, lastCheckpoint);
    }

    /// <summary>Mean per-token loss over the validation windows (in order, no gradients, dropout off).</summary>
    public double Evaluate(PackedTokenDataset validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var batches = (validation.WindowCount + options.MicroBatchSize - 1) / options.MicroBatchSize;
            if (options.MaxEvalBatches > 0)
                batches = Math.Min(batches, options.MaxEvalBatches);
            double lossSum = 0;
            long tokenCount = 0;
            for (var b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                var indices = Enumerable.Range(b * options.MicroBatchSize, options.MicroBatchSize).Where(i => i < validation.WindowCount);
                var (inputs, labels) = Batch(indices.Select(validation.Window).ToList());
                var logits = model.forward(inputs);
                var summed = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), labels.reshape(-1), ignore_index: PackedTokenDataset.IgnoreIndex, reduction: nn.Reduction.Sum);
                lossSum += summed.item<float>();
                tokenCount += labels.ne(PackedTokenDataset.IgnoreIndex).sum().item<long>();
            }
            return lossSum / Math.Max(1, tokenCount);
        }
        finally
        {
            model.train();
        }
    }

    private (double Loss, double GradNorm) RunStep(PackedTokenDataset train, long firstWindow, double learningRate)
    {
        using var scope = NewDisposeScope();
        model.train();
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = learningRate;
        optimizer.zero_grad();
        var micro = Enumerable.Range(0, options.GradientAccumulationSteps)
            .Select(m => Batch(Enumerable.Range(0, options.MicroBatchSize)
                .Select(i => train.WindowAt(firstWindow + (long)m * options.MicroBatchSize + i, options.Seed)).ToList()))
            .ToList();
        // Normalise by the tokens of the whole step, so accumulation gives the same gradient as one large batch.
        var stepTokens = micro.Sum(b => b.Labels.ne(PackedTokenDataset.IgnoreIndex).sum().item<long>());
        if (stepTokens == 0)
            throw new InvalidDataException("A training step has no token to learn (all labels masked).");
        double loss = 0;
        foreach (var (inputs, labels) in micro)
        {
            var logits = model.forward(inputs);
            var summed = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), labels.reshape(-1), ignore_index: PackedTokenDataset.IgnoreIndex, reduction: nn.Reduction.Sum);
            var scaled = summed / stepTokens;
            scaled.backward();
            loss += scaled.item<float>();
        }
        var gradNorm = nn.utils.clip_grad_norm_(trainable, options.MaxGradNorm > 0 ? options.MaxGradNorm : double.MaxValue);
        optimizer.step();
        return (loss, gradNorm);
    }

    private static (Tensor Inputs, Tensor Labels) Batch(List<(long[] Inputs, long[] Labels)> windows)
    {
        var length = windows[0].Inputs.Length;
        var inputs = windows.SelectMany(w => w.Inputs).ToArray();
        var labels = windows.SelectMany(w => w.Labels).ToArray();
        return (tensor(inputs, [windows.Count, length], ScalarType.Int64), tensor(labels, [windows.Count, length], ScalarType.Int64));
    }

    private async Task SaveCheckpointAsync(string path, long windowsConsumed, double lastLoss, CancellationToken cancellationToken)
    {
        var state = new TrainingState
        {
            Step = Step,
            WindowsConsumed = windowsConsumed,
            Seed = options.Seed,
            SequenceLength = options.SequenceLength,
            WindowsPerStep = options.MicroBatchSize * options.GradientAccumulationSteps,
            LastLoss = lastLoss,
            ModelConfig = model.Config,
        };
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [ManifestSection] = JsonSerializer.SerializeToUtf8Bytes(state),
            [ModelSection] = Serialize(w => model.save(w)),
            [OptimizerSection] = Serialize(optimizer.save_state_dict),
        };
        using (var rng = model.DropoutGenerator.get_state())
            sections[RngSection] = rng.data<byte>().ToArray();
        await new TrainingCheckpoint(sections).WriteAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TrainingState> RestoreAsync(string path, int windowsPerStep, CancellationToken cancellationToken)
    {
        var checkpoint = await TrainingCheckpoint.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var state = JsonSerializer.Deserialize<TrainingState>(checkpoint.Section(ManifestSection))
            ?? throw new InvalidDataException($"Checkpoint '{path}' has an empty manifest.");
        if (state.ModelConfig != model.Config)
            throw new InvalidOperationException($"Checkpoint '{path}' was written for a different model configuration.");
        if (state.SequenceLength != options.SequenceLength || state.WindowsPerStep != windowsPerStep || state.Seed != options.Seed)
        {
            throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                "Checkpoint '{0}' was written with sequence length {1}, {2} windows per step and seed {3}; resuming needs the same.",
                path, state.SequenceLength, state.WindowsPerStep, state.Seed));
        }
        using (var reader = new BinaryReader(new MemoryStream(checkpoint.Section(ModelSection))))
            model.load(reader);
        using (var reader = new BinaryReader(new MemoryStream(checkpoint.Section(OptimizerSection))))
            optimizer.load_state_dict(reader);
        using (var rng = tensor(checkpoint.Section(RngSection), ScalarType.Byte))
            model.DropoutGenerator.set_state(rng);
        Step = state.Step;
        return state;
    }

    private void PruneCheckpoints()
    {
        if (options.SaveTotalLimit <= 0)
            return;
        var files = Directory.GetFiles(options.OutputDirectory!, "checkpoint-*" + TrainingCheckpoint.FileExtension).Order(StringComparer.Ordinal).ToList();
        foreach (var old in files.Take(Math.Max(0, files.Count - options.SaveTotalLimit)))
            File.Delete(old);
    }

    private static byte[] Serialize(Action<BinaryWriter> write)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
            write(writer);
        return memory.ToArray();
    }
}
