using System.Buffers.Binary;
using System.Text.Json.Nodes;
using LlmOps.Training.Lora;
using LlmOps.Training.Modeling;
using LlmOps.Training.Trainers;

namespace LlmOps.Tests.Training.Lora;

public sealed class PeftAdapterFilesTests : IDisposable
{
    private static readonly int[] Prompt = [12, 13, 14, 15, 16, 17, 180];
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-peft-").FullName;

    [Fact]
    public async Task Load_SavedAdapterOnFreshBase_ReproducesTheFineTunedLogits()
    {
        var options = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = ["q_proj", "v_proj", "up_proj"] };
        using var tuned = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 6), factor: 3);
        LoraAdapter.Apply(tuned, options);
        var examples = Enumerable.Range(0, 16).Select(i => TrainingExample.Completion([10 + i, 11 + i], [180, 181], TinyCorpus.EndOfText)).ToList();
        await new CausalLmTrainer(tuned, new TrainerOptions { SequenceLength = 16, MicroBatchSize = 2, MaxSteps = 4, LearningRate = 5e-2, WarmupSteps = 0 })
            .TrainAsync(new PackedTokenDataset(examples, 16, TinyCorpus.EndOfText));

        PeftAdapterFiles.Save(tuned, options, directory, baseModel: "tiny-base");
        using var fresh = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 6), factor: 3);
        var loaded = PeftAdapterFiles.Load(fresh, directory);

        Assert.Equal(0f, TinyModels.MaxAbsDiff(tuned.Logits(Prompt), fresh.Logits(Prompt)));
        Assert.Equal(options.TargetModules, loaded.TargetModules);
        Assert.Equal(8, loaded.Alpha);
        var keys = SafetensorsKeys(Path.Combine(directory, PeftAdapterFiles.WeightsFileName));
        Assert.Equal(2 * 3 * 2, keys.Count);
        Assert.Contains("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight", keys);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, PeftAdapterFiles.ConfigFileName)))!;
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
    }

    [Fact]
    public void Save_ModelWithoutAdapters_Throws()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);

        Assert.Throws<InvalidOperationException>(() => PeftAdapterFiles.Save(model, new LoraOptions(), directory));
    }

    private static List<string> SafetensorsKeys(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return [.. JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject().Select(kv => kv.Key).Where(k => k != "__metadata__")];
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
