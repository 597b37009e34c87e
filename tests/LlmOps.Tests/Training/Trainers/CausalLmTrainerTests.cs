using LlmOps.Training.Checkpointing;
using LlmOps.Training.Modeling;
using LlmOps.Training.Trainers;
using Xunit.Abstractions;

namespace LlmOps.Tests.Training.Trainers;

public sealed class CausalLmTrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-train-").FullName;

    private static TrainerOptions Options(int maxSteps = 12, int saveSteps = 0, string? outputDirectory = null, int micro = 4, int accumulation = 2) => new()
    {
        SequenceLength = 32,
        MicroBatchSize = micro,
        GradientAccumulationSteps = accumulation,
        MaxSteps = maxSteps,
        LearningRate = 3e-3,
        WarmupSteps = 3,
        MinLearningRateRatio = 0.1,
        WeightDecay = 0.01,
        MaxGradNorm = 1.0,
        Seed = 17,
        SaveSteps = saveSteps,
        OutputDirectory = outputDirectory,
    };

    private static PackedTokenDataset Train() => new(TinyCorpus.Documents(60, seed: 1), 32, TinyCorpus.EndOfText);

    private static PackedTokenDataset Validation() => new(TinyCorpus.Documents(10, seed: 2), 32, TinyCorpus.EndOfText);

    [Fact]
    public async Task TrainAsync_SyntheticCorpus_LowersTrainingAndValidationLoss()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        var trainer = new CausalLmTrainer(model, Options(maxSteps: 30));
        var validation = Validation();
        var before = trainer.Evaluate(validation);
        var metrics = new List<TrainingMetrics>();

        var result = await trainer.TrainAsync(Train(), validation, onMetrics: metrics.Add);

        output.WriteLine($"validation loss {before:F4} -> {result.ValidationLoss:F4} (ppl {result.ValidationPerplexity:F2}); train loss {metrics[0].Loss:F4} -> {result.FinalLoss:F4}; {result.TokensPerSecond:F0} tokens/s");
        Assert.Equal(30, metrics.Count);
        Assert.True(result.ValidationLoss < before - 1.0, $"validation loss {before} -> {result.ValidationLoss}");
        Assert.True(result.FinalLoss < metrics[0].Loss - 1.0);
        Assert.Equal(Math.Exp(result.ValidationLoss!.Value), result.ValidationPerplexity!.Value, 9);
        Assert.Equal(1e-3, metrics[0].LearningRate, 12);
        Assert.All(metrics, m => Assert.True(m.GradNorm > 0 && m.TokensPerSecond > 0));
    }

    [Fact]
    public async Task TrainAsync_SameSeedTwice_GivesIdenticalLosses()
    {
        var first = await Losses(seed: 1);
        var second = await Losses(seed: 1);

        Assert.Equal(first, second);

        static async Task<List<double>> Losses(int seed)
        {
            using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed);
            var losses = new List<double>();
            await new CausalLmTrainer(model, Options(maxSteps: 4)).TrainAsync(Train(), onMetrics: m => losses.Add(m.Loss));
            return losses;
        }
    }

    [Fact]
    public async Task TrainAsync_AccumulatingTwoHalfBatches_MatchesOneFullBatch()
    {
        using var a = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        using var b = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        var full = new List<TrainingMetrics>();
        var accumulated = new List<TrainingMetrics>();

        await new CausalLmTrainer(a, Options(maxSteps: 3, micro: 8, accumulation: 1)).TrainAsync(Train(), onMetrics: full.Add);
        await new CausalLmTrainer(b, Options(maxSteps: 3, micro: 4, accumulation: 2)).TrainAsync(Train(), onMetrics: accumulated.Add);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(full[i].Loss, accumulated[i].Loss, 4);
            Assert.Equal(full[i].GradNorm, accumulated[i].GradNorm, 3);
        }
    }

    [Fact]
    public async Task TrainAsync_StoppedAndResumedFromCheckpoint_EndsAtTheSameLossAsAnUninterruptedRun()
    {
        double uninterrupted;
        using (var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 5))
            uninterrupted = (await new CausalLmTrainer(model, Options(maxSteps: 12)).TrainAsync(Train(), Validation())).FinalLoss;

        using var cts = new CancellationTokenSource();
        using (var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 5))
        {
            var trainer = new CausalLmTrainer(model, Options(maxSteps: 12, saveSteps: 5, outputDirectory: directory));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                trainer.TrainAsync(Train(), Validation(), onMetrics: m => { if (m.Step == 7) cts.Cancel(); }, cancellationToken: cts.Token));
            Assert.Equal(7, trainer.Step);
        }
        // Stopping writes a checkpoint of the last finished step (7), after the periodic one (5).
        var latest = TrainingCheckpoint.Latest(directory);
        Assert.EndsWith(TrainingCheckpoint.FileName(7), latest, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, TrainingCheckpoint.FileName(5))));

        // A different initial seed proves the weights come from the checkpoint.
        using var resumedModel = LlamaForCausalLM.Create(TinyModels.Config(), seed: 99);
        var resumedTrainer = new CausalLmTrainer(resumedModel, Options(maxSteps: 12, saveSteps: 5, outputDirectory: directory));
        var steps = new List<int>();
        var resumed = await resumedTrainer.TrainAsync(Train(), Validation(), resumeFrom: latest, onMetrics: m => steps.Add(m.Step));

        output.WriteLine($"uninterrupted {uninterrupted:F6}, resumed {resumed.FinalLoss:F6}");
        Assert.Equal(Enumerable.Range(8, 5), steps);
        Assert.Equal(uninterrupted, resumed.FinalLoss, 1e-4);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    public async Task TrainAsync_ResumeFromDamagedCheckpoint_IsRefused(string damage)
    {
        using (var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 5))
            await new CausalLmTrainer(model, Options(maxSteps: 2, saveSteps: 2, outputDirectory: directory)).TrainAsync(Train());
        var path = TrainingCheckpoint.Latest(directory)!;
        var bytes = await File.ReadAllBytesAsync(path);
        if (damage == "flip")
            bytes[bytes.Length / 2] ^= 0x40;
        else
            bytes = bytes[..(bytes.Length - 1000)];
        await File.WriteAllBytesAsync(path, bytes);

        using var fresh = LlamaForCausalLM.Create(TinyModels.Config(), seed: 5);
        var trainer = new CausalLmTrainer(fresh, Options(maxSteps: 4, saveSteps: 2, outputDirectory: directory));

        await Assert.ThrowsAsync<InvalidDataException>(() => trainer.TrainAsync(Train(), resumeFrom: path));
    }

    [Fact]
    public async Task TrainAsync_SaveTotalLimit_KeepsOnlyTheNewestCheckpoints()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 5);
        var options = Options(maxSteps: 6, saveSteps: 1, outputDirectory: directory);
        options.SaveTotalLimit = 2;

        await new CausalLmTrainer(model, options).TrainAsync(Train());

        Assert.Equal([TrainingCheckpoint.FileName(5), TrainingCheckpoint.FileName(6)],
            Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}

public sealed class CausalLmTrainerScheduleTests
{
    private static PackedTokenDataset Train() => new(TinyCorpus.Documents(20, seed: 1), 32, TinyCorpus.EndOfText);

    [Fact]
    public async Task TrainAsync_LongWarmup_ScalesTheFirstUpdateDownByTheScheduledLearningRate()
    {
        var full = await FirstUpdateSize(warmupSteps: 0);
        var tiny = await FirstUpdateSize(warmupSteps: 1000);

        // Adam's first update is about lr * sign(g) per weight, so its size follows the learning rate.
        Assert.InRange(tiny / full, 0.0005, 0.002);

        static async Task<double> FirstUpdateSize(int warmupSteps)
        {
            using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
            var before = model.Backbone.Layers[0].Mlp.UpProj.Weight.data<float>().ToArray();
            var options = new TrainerOptions { SequenceLength = 32, MicroBatchSize = 2, MaxSteps = 1, LearningRate = 1e-2, WarmupSteps = warmupSteps, WeightDecay = 0 };
            await new CausalLmTrainer(model, options).TrainAsync(Train());
            var after = model.Backbone.Layers[0].Mlp.UpProj.Weight.data<float>().ToArray();
            return before.Zip(after, (a, b) => Math.Abs((double)a - b)).Sum();
        }
    }

    [Fact]
    public async Task TrainAsync_EvalSteps_ReportsValidationOnThoseStepsAndTheLast()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        var options = new TrainerOptions { SequenceLength = 32, MicroBatchSize = 2, MaxSteps = 7, EvalSteps = 3, MaxEvalBatches = 1 };
        var metrics = new List<TrainingMetrics>();

        await new CausalLmTrainer(model, options).TrainAsync(Train(), new PackedTokenDataset(TinyCorpus.Documents(4, seed: 2), 32), onMetrics: metrics.Add);

        Assert.Equal([3, 6, 7], metrics.Where(m => m.ValidationLoss is not null).Select(m => m.Step));
    }
}

public sealed class CausalLmTrainerDivergenceTests
{
    [Fact]
    public async Task TrainAsync_NonFiniteLoss_StopsAndReportsDivergence()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        using (TorchSharp.torch.no_grad())
            model.Backbone.Norm.Weight[0] = float.NaN; // what an exploding run ends up with
        var options = new TrainerOptions { SequenceLength = 32, MicroBatchSize = 2, MaxSteps = 50, SaveSteps = 1, OutputDirectory = Path.Combine(Path.GetTempPath(), "llmops-diverge-" + Guid.NewGuid().ToString("N")) };
        var metrics = new List<TrainingMetrics>();

        var result = await new CausalLmTrainer(model, options).TrainAsync(new PackedTokenDataset(TinyCorpus.Documents(20, seed: 1), 32), onMetrics: metrics.Add);

        Assert.Equal(TrainingOutcome.Diverged, result.Outcome);
        Assert.Equal(1, result.Steps);
        Assert.Single(metrics);
        Assert.False(double.IsFinite(result.FinalLoss));
        Assert.False(Directory.Exists(options.OutputDirectory) && Directory.EnumerateFiles(options.OutputDirectory).Any(), "a diverged step must not be checkpointed");
    }
}
