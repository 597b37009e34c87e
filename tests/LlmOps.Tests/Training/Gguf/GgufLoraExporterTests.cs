using LlmOps.Training.Gguf;
using LlmOps.Training.Lora;
using LlmOps.Training.Modeling;
using Xunit.Abstractions;

namespace LlmOps.Tests.Training.Gguf;

public sealed class GgufLoraExporterTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int[] Prompt = [271, 116, 104, 101, 32, 97, 110, 100, 257, 260, 33, 12, 200, 45, 299, 5];
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-gguf-lora-").FullName;

    /// <summary>
    /// The adapter GGUF applied by llama.cpp over the F32 base equals the merged export: every projection adapted (Q and K
    /// check the RoPE permutation of B), B set to non-trivial values, alpha/rank ≠ 1.
    /// </summary>
    [Theory]
    [InlineData(LlamaConfig.LlamaArchitecture)]
    [InlineData(LlamaConfig.Qwen2Architecture)]
    public async Task ExportAsync_AdapterOverBase_LlamaCppLogitsEqualMergedExportAndDifferFromBase(string architecture)
    {
        using var model = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(architecture: architecture), seed: 5));
        var basePath = Path.Combine(directory, "base.gguf");
        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), basePath);
        LoraAdapter.Apply(model, new LoraOptions { Rank = 4, Alpha = 12, Dropout = 0, TargetModules = [.. LoraOptions.AllLinear] });
        SetB(model, std: 0.5);
        var mergedPath = Path.Combine(directory, "merged.gguf");
        var adapterPath = Path.Combine(directory, GgufLoraExporter.FileName);

        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), mergedPath);
        await GgufLoraExporter.ExportAsync(model, adapterPath);

        float[,] merged, adapted, plain;
        using (var runner = new LlamaCppRunner(mergedPath))
            merged = runner.Logits(Prompt);
        using (var runner = new LlamaCppRunner(basePath, adapterPath: adapterPath))
            adapted = runner.Logits(Prompt);
        using (var runner = new LlamaCppRunner(basePath))
            plain = runner.Logits(Prompt);
        var torch = model.Logits(Prompt);
        var vsMerged = TinyModels.MaxAbsDiff(merged, adapted);
        var vsTorch = TinyModels.MaxAbsDiff(torch, adapted);
        var vsBase = TinyModels.MaxAbsDiff(plain, adapted);
        output.WriteLine($"{architecture}: adapter vs merged {vsMerged:E3}, vs TorchSharp {vsTorch:E3}, vs base {vsBase:F2} (max |logit| {TinyModels.MaxAbs(merged):F2})");
        Assert.True(vsMerged <= 1e-3f, $"adapter over base differs from the merged export by {vsMerged}");
        Assert.True(vsTorch <= 1e-3f, $"adapter over base differs from TorchSharp by {vsTorch}");
        Assert.True(vsBase > 1f, $"the adapter changes the logits by only {vsBase}");
    }

    [Theory]
    [InlineData(LlamaConfig.LlamaArchitecture)]
    [InlineData(LlamaConfig.Qwen2Architecture)]
    public async Task MergeLoraAdapter_ExportedAdapterOverImportedBase_GivesTheAdaptedModelsLogits(string architecture)
    {
        using var model = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(architecture: architecture), seed: 6));
        var basePath = Path.Combine(directory, "base.gguf");
        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), basePath);
        LoraAdapter.Apply(model, new LoraOptions { Rank = 4, Alpha = 12, Dropout = 0, TargetModules = [.. LoraOptions.AllLinear] });
        SetB(model, std: 0.5);
        var adapterPath = Path.Combine(directory, GgufLoraExporter.FileName);
        await GgufLoraExporter.ExportAsync(model, adapterPath);

        var (imported, _) = GgufModelImporter.Load(basePath);
        using (imported)
        {
            var before = TinyModels.MaxAbsDiff(model.Logits(Prompt), imported.Logits(Prompt));
            GgufModelImporter.MergeLoraAdapter(imported, adapterPath);
            var after = TinyModels.MaxAbsDiff(model.Logits(Prompt), imported.Logits(Prompt));

            Assert.True(before > 1f, $"the adapter matters: {before}");
            Assert.True(after <= 1e-4f, $"merged import differs by {after}");
        }
    }

    [Fact]
    public async Task MergeLoraAdapter_AdapterOfAnotherArchitecture_Throws()
    {
        using var qwen = LlamaForCausalLM.Create(TinyModels.Config(architecture: LlamaConfig.Qwen2Architecture), seed: 6);
        LoraAdapter.Apply(qwen, new LoraOptions { Rank = 2, TargetModules = ["q_proj"] });
        var adapterPath = Path.Combine(directory, GgufLoraExporter.FileName);
        await GgufLoraExporter.ExportAsync(qwen, adapterPath);
        using var llama = LlamaForCausalLM.Create(TinyModels.Config(), seed: 6);

        var ex = Assert.Throws<InvalidDataException>(() => GgufModelImporter.MergeLoraAdapter(llama, adapterPath));
        Assert.Contains("'qwen2'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportAsync_Metadata_IsWhatConvertLoraToGgufWrites()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 5);
        LoraAdapter.Apply(model, new LoraOptions { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "down_proj"] });
        var path = Path.Combine(directory, GgufLoraExporter.FileName);

        await GgufLoraExporter.ExportAsync(model, path, new GgufExportOptions { FileType = GgufFileType.F16 });

        using var file = GgufReader.Open(path);
        Assert.Equal("adapter", file.Metadata["general.type"]);
        Assert.Equal("lora", file.Metadata["adapter.type"]);
        Assert.Equal("llama", file.Metadata["general.architecture"]);
        Assert.Equal(8f, file.Metadata["adapter.lora.alpha"]);
        var tensors = file.Tensors.ToDictionary(t => t.Name);
        Assert.Equal(8, tensors.Count);
        Assert.Equal([64L, 4L], tensors["blk.0.attn_q.weight.lora_a"].Dims);
        Assert.Equal([4L, 64L], tensors["blk.0.attn_q.weight.lora_b"].Dims);
        Assert.Equal([128L, 4L], tensors["blk.1.ffn_down.weight.lora_a"].Dims);
        Assert.Equal([4L, 64L], tensors["blk.1.ffn_down.weight.lora_b"].Dims);
        Assert.All(tensors.Values, t => Assert.Equal(GgmlType.F16, t.Type));
    }

    [Fact]
    public async Task ExportAsync_NoAdapter_Throws()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 5);

        await Assert.ThrowsAsync<InvalidOperationException>(() => GgufLoraExporter.ExportAsync(model, Path.Combine(directory, "x.gguf")));
        Assert.Empty(Directory.GetFiles(directory));
    }

    private static void SetB(LlamaForCausalLM model, double std)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        using var generator = new TorchSharp.torch.Generator(123);
        foreach (var (_, module) in model.named_modules())
        {
            if (module is LoraLinear { LoraB: { } b })
                b.normal_(0, std, generator);
        }
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
