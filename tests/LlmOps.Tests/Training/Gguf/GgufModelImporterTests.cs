using LlmOps.Training.Gguf;
using LlmOps.Training.Modeling;
using Xunit.Abstractions;

namespace LlmOps.Tests.Training.Gguf;

public sealed class GgufModelImporterTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int[] Prompt = [271, 116, 104, 101, 32, 97, 110, 100, 257, 260, 33, 12, 200, 45, 299, 5];
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-gguf-read-").FullName;

    [Theory]
    [InlineData(LlamaConfig.LlamaArchitecture, false)]
    [InlineData(LlamaConfig.LlamaArchitecture, true)]
    [InlineData(LlamaConfig.Qwen2Architecture, false)]
    public async Task Load_F32Export_RoundTripsToIdenticalFileAndLogits(string architecture, bool tied)
    {
        using var model = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(tied: tied, architecture: architecture, kvHeads: 2), seed: 21));
        var first = Path.Combine(directory, "first.gguf");
        var second = Path.Combine(directory, "second.gguf");
        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), first);

        var (loaded, tokenizer) = GgufModelImporter.Load(first);
        using (loaded)
        {
            await GgufModelExporter.ExportAsync(loaded, tokenizer, second);

            Assert.Equal(model.Config, loaded.Config);
            Assert.Equal(0f, TinyModels.MaxAbsDiff(model.Logits(Prompt), loaded.Logits(Prompt)));
        }
        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(second));
        Assert.Equal(TinyTokenizer.Merges, tokenizer.Merges);
        Assert.Equal(GgufTokenType.Unused, tokenizer.TokenTypes[^1]);
    }

    [Theory]
    [InlineData(GgufFileType.F16)]
    [InlineData(GgufFileType.Q8_0)]
    public async Task Load_QuantisedExport_DequantisedModelTracksLlamaCpp(GgufFileType fileType)
    {
        using var model = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 12), factor: 5);
        var path = Path.Combine(directory, fileType + ".gguf");
        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), path, new GgufExportOptions { FileType = fileType });

        var (loaded, _) = GgufModelImporter.Load(path);
        using (loaded)
        {
            using var runner = new LlamaCppRunner(path);
            var dequantised = loaded.Logits(Prompt);
            var fromOriginal = TinyModels.MaxAbsDiff(model.Logits(Prompt), dequantised);
            var toLlamaCpp = TinyModels.MaxAbsDiff(dequantised, runner.Logits(Prompt));
            output.WriteLine($"{fileType}: original vs dequantised {fromOriginal:E3}, dequantised vs llama.cpp {toLlamaCpp:E3}");

            Assert.True(fromOriginal > 0, "reduced precision should change something");
            Assert.True(fromOriginal < 0.25f, $"dequantised weights drift by {fromOriginal}");
            // llama.cpp also rounds activations (Q8_0 dot products, F16 for F16 weights).
            Assert.True(toLlamaCpp < 0.25f, $"llama.cpp differs from the dequantised model by {toLlamaCpp}");
        }
    }

    [Fact]
    public async Task Open_TruncatedFile_ThrowsInvalidData()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        var path = Path.Combine(directory, "cut.gguf");
        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), path);
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes.AsSpan(0, bytes.Length - 100).ToArray());

        Assert.Throws<InvalidDataException>(() => GgufReader.Open(path).Dispose());
    }

    [Fact]
    public void Open_NotGguf_ThrowsInvalidData()
    {
        var path = Path.Combine(directory, "text.gguf");
        File.WriteAllText(path, "this is not a gguf file at all, just text");

        Assert.Throws<InvalidDataException>(() => GgufReader.Open(path).Dispose());
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
