using LlmOps.Tests.Training.Gguf;
using LlmOps.Training.Gguf;
using LlmOps.Training.Lora;
using LlmOps.Training.Modeling;
using LlmOps.Training.Trainers;
using Xunit.Abstractions;

namespace LlmOps.Tests.Training.Lora;

public sealed class LoraAdapterTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-lora-").FullName;

    /// <summary>Prompt: 6 random tokens; completion: a fixed answer (180..183) then the prompt's last token, a format the base never saw.</summary>
    private static List<TrainingExample> Pairs(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var prompt = Enumerable.Range(0, 6).Select(_ => random.Next(10, 70)).ToArray();
            return TrainingExample.Completion(prompt, [180, 181, 182, 183, prompt[^1]], TinyCorpus.EndOfText);
        })];
    }

    private static TrainerOptions Options(int steps, double learningRate) => new()
    {
        SequenceLength = 32,
        MicroBatchSize = 4,
        GradientAccumulationSteps = 1,
        MaxSteps = steps,
        LearningRate = learningRate,
        WarmupSteps = 2,
        WeightDecay = 0,
        Seed = 3,
    };

    [Fact]
    public async Task TrainAsync_LoraOnCompletionTask_LowersValidationLossAndLeavesBaseBitIdentical()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        await new CausalLmTrainer(model, Options(steps: 15, learningRate: 3e-3))
            .TrainAsync(new PackedTokenDataset(TinyCorpus.Documents(40, seed: 1), 32, TinyCorpus.EndOfText));
        var baseWeights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());

        var adapted = LoraAdapter.Apply(model, new LoraOptions { Rank = 8, Alpha = 16, Dropout = 0.05, TargetModules = [.. LoraOptions.AllLinear] });
        var (trainable, total) = LoraAdapter.CountParameters(model);
        var train = new PackedTokenDataset(Pairs(64, seed: 10), 32, TinyCorpus.EndOfText);
        var validation = new PackedTokenDataset(Pairs(16, seed: 11), 32, TinyCorpus.EndOfText);
        var trainer = new CausalLmTrainer(model, Options(steps: 40, learningRate: 1e-2));
        var before = trainer.Evaluate(validation);

        var result = await trainer.TrainAsync(train, validation);

        output.WriteLine($"{adapted.Count} adapted modules, {trainable}/{total} trainable; validation loss {before:F4} -> {result.ValidationLoss:F4}");
        Assert.Equal(2 * 7, adapted.Count);
        Assert.True(trainable < total / 5);
        Assert.True(result.ValidationLoss < before - 1.0, $"validation loss {before} -> {result.ValidationLoss}");
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains("lora_", StringComparison.Ordinal))
                continue;
            Assert.Equal(baseWeights[name], parameter.data<float>().ToArray());
        }
        Assert.Contains(model.named_parameters(), p => p.name.Contains("lora_B", StringComparison.Ordinal) && p.parameter.abs().max().item<float>() > 0);
    }

    [Fact]
    public async Task ExportAsync_LoraModel_MergesAdaptersSoLlamaCppAndAFreshModelMatch()
    {
        using var model = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 2), factor: 5);
        LoraAdapter.Apply(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1, TargetModules = ["q_proj", "k_proj", "down_proj"] });
        await new CausalLmTrainer(model, Options(steps: 5, learningRate: 5e-2))
            .TrainAsync(new PackedTokenDataset(Pairs(32, seed: 12), 32, TinyCorpus.EndOfText));
        int[] prompt = [20, 21, 22, 23, 24, 25, 170, 171];
        var expected = model.Logits(prompt);

        var weights = model.ExportWeights();
        using var fresh = LlamaForCausalLM.Create(TinyModels.Config(), seed: 77);
        fresh.LoadWeights(weights);
        foreach (var t in weights.Values)
            t.Dispose();
        var path = Path.Combine(directory, "merged.gguf");
        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), path);
        using var runner = new LlamaCppRunner(path);

        Assert.True(TinyModels.MaxAbsDiff(expected, fresh.Logits(prompt)) < 1e-4f);
        Assert.True(TinyModels.MaxAbsDiff(expected, runner.Logits(prompt)) < 1e-3f);
        using var unmerged = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 2), factor: 5);
        Assert.True(TinyModels.MaxAbsDiff(expected, unmerged.Logits(prompt)) > 1e-3f, "the adapters should have changed the model");
    }

    [Fact]
    public async Task TrainAsync_LoraWithDropoutStoppedAndResumed_MatchesTheUninterruptedRunAndRepeatsExactly()
    {
        var lora = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.2, TargetModules = ["q_proj", "v_proj", "down_proj"] };
        var noDropout = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = ["q_proj", "v_proj", "down_proj"] };
        var data = new PackedTokenDataset(Pairs(32, seed: 13), 32, TinyCorpus.EndOfText);
        TrainerOptions Opts() => new() { SequenceLength = 32, MicroBatchSize = 2, MaxSteps = 8, LearningRate = 1e-2, WarmupSteps = 1, SaveSteps = 4, OutputDirectory = directory, Seed = 9 };

        async Task<double> RunAsync(string? resumeFrom = null, int? stopAfter = null, LoraOptions? adapter = null)
        {
            using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
            LoraAdapter.Apply(model, adapter ?? lora);
            using var cts = new CancellationTokenSource();
            var trainer = new CausalLmTrainer(model, Opts());
            try
            {
                return (await trainer.TrainAsync(data, resumeFrom: resumeFrom, onMetrics: m => { if (m.Step == stopAfter) cts.Cancel(); }, cancellationToken: cts.Token)).FinalLoss;
            }
            catch (OperationCanceledException)
            {
                return double.NaN;
            }
        }

        var first = await RunAsync();
        var second = await RunAsync();
        var withoutDropout = await RunAsync(adapter: noDropout);
        Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        Assert.True(double.IsNaN(await RunAsync(stopAfter: 5)));
        var resumed = await RunAsync(resumeFrom: Path.Combine(directory, LlmOps.Training.Checkpointing.TrainingCheckpoint.FileName(4)));

        output.WriteLine($"LoRA+dropout: uninterrupted {first:F6}, again {second:F6}, resumed {resumed:F6}");
        Assert.Equal(first, second);
        Assert.NotEqual(first, withoutDropout);
        Assert.Equal(first, resumed, 1e-4);
    }

    [Fact]
    public void Apply_UnknownTarget_Throws()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);

        Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(model, new LoraOptions { TargetModules = ["q_proj", "qkv_proj"] }));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
