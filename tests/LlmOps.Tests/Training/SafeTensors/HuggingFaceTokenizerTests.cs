using System.Text.Json.Nodes;
using LlmOps.Tests.Training.Gguf;
using LlmOps.Tokenizers;
using LlmOps.Training.Gguf;
using LlmOps.Training.Modeling;
using LlmOps.Training.SafeTensors;
using LlmOps.Training.Trainers;
using Xunit.Abstractions;

namespace LlmOps.Tests.Training.SafeTensors;

public sealed class HuggingFaceTokenizerTests(ITestOutputHelper output) : IDisposable
{
    private const string Text = "The cat sees the dog by the river. It's 42 o'clock,  naïve!\nthe end<|endoftext|>";
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-hf-tok-").FullName;

    /// <summary>Our trainer's byte-level BPE, on sentences with repeated words so that it learns real merges.</summary>
    private static ByteLevelBpe TrainBpe(int vocabSize = 300)
    {
        string[] animals = ["cat", "dog", "bird", "fish", "horse"], places = ["by the river", "on the hill", "in the garden"];
        var random = new Random(3);
        var texts = Enumerable.Range(0, 200).Select(_ => $"The {animals[random.Next(5)]} sees the {animals[random.Next(5)]} {places[random.Next(3)]}. It's {random.Next(100)} o'clock.");
        return new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize }).Train(texts);
    }

    /// <summary>
    /// A Hugging Face folder written in the real layouts (config.json, model.safetensors, tokenizer.json): Hugging Face's
    /// tokenizer gives our ids, the model trains on them, and the GGUF export makes llama.cpp tokenize the same text to the
    /// same ids and compute the same logits.
    /// </summary>
    [Fact]
    public async Task Load_FolderWithTokenizerJson_HfIdsEqualOursAndLlamaCppAfterTrainingAndExport()
    {
        var bpe = TrainBpe();
        var eos = bpe.Vocab[GgufTokenizer.EndOfText];
        using (var source = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(vocab: bpe.VocabSize), seed: 7), factor: 5))
            HuggingFaceCheckpoint.Save(source, directory, bosTokenId: eos, eosTokenId: eos);
        HuggingFaceTokenizer.Write(bpe, Path.Combine(directory, HuggingFaceTokenizer.FileName));

        using var tokenizer = HuggingFaceTokenizer.Load(directory);
        var ids = tokenizer.Encode(Text);

        Assert.Equal(bpe.Encode(Text), ids);
        Assert.Equal(bpe.CreateTokenizer().EncodeToIds(Text), ids);
        Assert.Equal(eos, ids[^1]);
        Assert.True(ids.Count < System.Text.Encoding.UTF8.GetByteCount(Text) * 2 / 3, $"the merges are used: {ids.Count} ids");

        using var model = HuggingFaceCheckpoint.Load(directory);
        var documents = Enumerable.Range(0, 16).Select(i => new TrainingExample([.. tokenizer.Encode($"The cat {i} sees the dog by the river."), eos])).ToList();
        var result = await new CausalLmTrainer(model, new TrainerOptions { SequenceLength = 16, MicroBatchSize = 4, MaxSteps = 3, LearningRate = 1e-2, WarmupSteps = 1 })
            .TrainAsync(new PackedTokenDataset(documents, 16));
        Assert.Equal(3, result.Steps);
        var (bos, eosId) = HuggingFaceCheckpoint.ReadSpecialTokenIds(directory);
        var path = Path.Combine(directory, "model.gguf");
        await GgufModelExporter.ExportAsync(model, tokenizer.ToGguf(bos, eosId), path);

        using var runner = new LlamaCppRunner(path);
        Assert.Equal(ids, runner.Tokenize(Text));
        Assert.Equal(eos, runner.EndOfSequence);
        var prompt = ids.Take(24).ToArray();
        var expected = model.Logits(prompt);
        var diff = TinyModels.MaxAbsDiff(expected, runner.Logits(prompt));
        output.WriteLine($"{ids.Count} ids; F32 max |Δlogit| after training = {diff:E3}, max |logit| {TinyModels.MaxAbs(expected):F2}");
        Assert.True(TinyModels.MaxAbs(expected) > 1f, "logits too small for the comparison to mean anything");
        Assert.True(diff <= 1e-3f, $"max abs diff {diff}");
    }

    [Theory]
    [InlineData("Unigram")]
    [InlineData("WordPiece")]
    [InlineData("WordLevel")]
    public void Load_NotABpeModel_NamesTheFileAndTheModelType(string type)
    {
        WriteTokenizerJson(json => json["model"] = new JsonObject { ["type"] = type, ["vocab"] = new JsonArray() });

        var ex = Assert.Throws<InvalidInputException>(() => HuggingFaceTokenizer.Load(directory));

        Assert.Contains(Path.Combine(directory, HuggingFaceTokenizer.FileName), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"model type '{type}' is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pre_tokenizer", """{ "type": "Metaspace", "replacement": "▁" }""", "pre-tokenizer 'Metaspace'")]
    [InlineData("pre_tokenizer", """{ "type": "ByteLevel", "add_prefix_space": true, "use_regex": true }""", "add_prefix_space")]
    [InlineData("normalizer", """{ "type": "NFKC" }""", "normalizer 'NFKC'")]
    public void Load_SettingLlamaCppsGpt2TokenizerCannotReproduce_IsRefusedNamingIt(string key, string value, string expected)
    {
        WriteTokenizerJson(json => json[key] = JsonNode.Parse(value));

        var ex = Assert.Throws<InvalidInputException>(() => HuggingFaceTokenizer.Load(directory));

        Assert.Contains(HuggingFaceTokenizer.FileName, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MergesAsPairs_ReadsTheSameTokenizer()
    {
        var bpe = TrainBpe();
        WriteTokenizerJson(json => json["model"]!["merges"] = new JsonArray([.. bpe.Merges.Select(m => (JsonNode)new JsonArray(m.Left, m.Right))]), bpe);

        using var tokenizer = HuggingFaceTokenizer.Load(directory);

        Assert.Equal(bpe.Merges, tokenizer.Bpe.Merges);
        Assert.Equal(bpe.Encode(Text), tokenizer.Encode(Text));
    }

    [Fact]
    public void Load_NoTokenizerJson_NamesTheMissingFile()
    {
        var ex = Assert.Throws<InvalidInputException>(() => HuggingFaceTokenizer.Load(directory));

        Assert.Contains(Path.Combine(directory, HuggingFaceTokenizer.FileName), ex.Message, StringComparison.Ordinal);
    }

    private void WriteTokenizerJson(Action<JsonObject> change, ByteLevelBpe? bpe = null)
    {
        var path = Path.Combine(directory, HuggingFaceTokenizer.FileName);
        HuggingFaceTokenizer.Write(bpe ?? TrainBpe(vocabSize: 270), path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
