using LlmOps.Training.Gguf;
using LlmOps.Training.Modeling;
using Xunit.Abstractions;

namespace LlmOps.Tests.Training.Gguf;

public sealed class GgufModelExporterTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int[] Prompt = [271, 116, 104, 101, 32, 97, 110, 100, 257, 260, 33, 12, 200, 45, 299, 5];
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-gguf-").FullName;

    [Theory]
    [InlineData(LlamaConfig.LlamaArchitecture, false)]
    [InlineData(LlamaConfig.LlamaArchitecture, true)]
    [InlineData(LlamaConfig.Qwen2Architecture, false)]
    public async Task ExportAsync_F32_LlamaCppLogitsMatchTorchSharpAndGreedyTokensAgree(string architecture, bool tied)
    {
        using var model = WithRandomBiases(TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(tied: tied, architecture: architecture), seed: 11)));
        var path = Path.Combine(directory, "f32.gguf");

        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), path, new GgufExportOptions { FileType = GgufFileType.F32 });

        using var runner = new LlamaCppRunner(path);
        var expected = model.Logits(Prompt);
        var actual = runner.Logits(Prompt);
        var diff = TinyModels.MaxAbsDiff(expected, actual);
        output.WriteLine($"{architecture} tied={tied}: F32 max |Δlogit| = {diff:E3}, max |logit| = {TinyModels.MaxAbs(expected):F2}");
        Assert.True(TinyModels.MaxAbs(expected) > 1f, "logits too small for the comparison to mean anything");
        Assert.True(diff <= 1e-3f, $"max abs diff {diff}");
        Assert.Equal(model.GenerateGreedy(Prompt, 12), runner.Greedy(Prompt, 12));
    }

    [Theory]
    [InlineData(GgufFileType.F16, 0.01f)]
    [InlineData(GgufFileType.Q8_0, 0.1f)]
    public async Task ExportAsync_ReducedPrecision_LlamaCppTop1AgreesOnAtLeast95Percent(GgufFileType fileType, float tolerance)
    {
        using var model = await TinyModels.TrainedAsync();
        var path = Path.Combine(directory, fileType + ".gguf");

        await GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), path, new GgufExportOptions { FileType = fileType });

        using var runner = new LlamaCppRunner(path);
        // Held-out progressions like the training data (the model is confident there) and random ids (it is not).
        var prompts = TinyCorpus.Documents(4, seed: 99, length: 24).Select(d => d.Tokens.ToArray())
            .Concat(Enumerable.Range(0, 2).Select(p => Enumerable.Range(0, 24).Select(i => (p * 37 + i * 13) % 300).ToArray()))
            .ToArray();
        int agree = 0, total = 0;
        var maxDiff = 0f;
        var maxLogit = 0f;
        foreach (var prompt in prompts)
        {
            var expected = model.Logits(prompt);
            var actual = runner.Logits(prompt);
            maxDiff = Math.Max(maxDiff, TinyModels.MaxAbsDiff(expected, actual));
            maxLogit = Math.Max(maxLogit, TinyModels.MaxAbs(expected));
            for (var t = 0; t < prompt.Length; t++)
            {
                total++;
                if (ArgMaxRow(expected, t) == ArgMaxRow(actual, t))
                    agree++;
            }
        }
        output.WriteLine($"{fileType}: max |Δlogit| = {maxDiff:E3} (max |logit| {maxLogit:F2}), top-1 agreement {agree}/{total}");
        Assert.True(agree >= 0.95 * total, $"top-1 agreement {agree}/{total}");
        Assert.True(maxDiff <= tolerance, $"max abs diff {maxDiff} above {tolerance}");
    }

    [Fact]
    public async Task ExportAsync_TokenizerLargerThanVocab_Throws()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(vocab: 100), seed: 1);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            GgufModelExporter.ExportAsync(model, TinyTokenizer.Create(), Path.Combine(directory, "x.gguf")));
        Assert.Empty(Directory.GetFiles(directory));
    }

    internal static int ArgMaxRow(float[,] logits, int row)
    {
        var best = 0;
        for (var v = 1; v < logits.GetLength(1); v++)
        {
            if (logits[row, v] > logits[row, best])
                best = v;
        }
        return best;
    }

    /// <summary>Biases start at zero; give them values so an export that drops or misplaces them shows.</summary>
    private static LlamaForCausalLM WithRandomBiases(LlamaForCausalLM model)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        using var generator = new TorchSharp.torch.Generator(99);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal))
                parameter.normal_(0, 0.5, generator);
        }
        return model;
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
