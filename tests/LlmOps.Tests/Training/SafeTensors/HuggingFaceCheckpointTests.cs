using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using LlmOps.Training.Modeling;
using LlmOps.Training.SafeTensors;
using static TorchSharp.torch;

namespace LlmOps.Tests.Training.SafeTensors;

public sealed class HuggingFaceCheckpointTests : IDisposable
{
    private static readonly int[] Ids = [3, 14, 15, 92, 65, 35, 89, 79];
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-hf-").FullName;

    [Theory]
    [InlineData(LlamaConfig.LlamaArchitecture, false, "F32")]
    [InlineData(LlamaConfig.LlamaArchitecture, true, "F32")]
    [InlineData(LlamaConfig.Qwen2Architecture, true, "F32")]
    [InlineData(LlamaConfig.LlamaArchitecture, false, "BF16")]
    public void Load_FolderWrittenInHuggingFaceLayout_GivesTheSameLogits(string architecture, bool tied, string dtype)
    {
        using var source = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(tied: tied, architecture: architecture), seed: 31));
        if (dtype == "BF16")
            RoundToBf16(source);
        WriteHuggingFaceFolder(source, directory, dtype);

        using var loaded = HuggingFaceCheckpoint.Load(directory);

        Assert.Equal(source.Config, loaded.Config);
        Assert.Equal(0f, TinyModels.MaxAbsDiff(source.Logits(Ids), loaded.Logits(Ids)));
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsAndUsesHuggingFaceNamesAndOffsets()
    {
        using var source = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 32));

        HuggingFaceCheckpoint.Save(source, directory, bosTokenId: 271, eosTokenId: 271);
        using var loaded = HuggingFaceCheckpoint.Load(directory);

        Assert.Equal(0f, TinyModels.MaxAbsDiff(source.Logits(Ids), loaded.Logits(Ids)));
        var header = ReadHeaderIndependently(Path.Combine(directory, "model.safetensors"));
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
        var q = header["model.layers.1.self_attn.q_proj.weight"]!;
        Assert.Equal("F32", q["dtype"]!.GetValue<string>());
        Assert.Equal([64L, 64L], q["shape"]!.AsArray().Select(n => n!.GetValue<long>()));
        Assert.NotNull(header["lm_head.weight"]);
        Assert.NotNull(header["model.norm.weight"]);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "config.json")))!;
        Assert.Equal("LlamaForCausalLM", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(2, config["num_key_value_heads"]!.GetValue<int>());
    }

    [Fact]
    public void Load_ShardedFolderWithIndex_ReadsEveryShard()
    {
        using var source = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 34));
        HuggingFaceCheckpoint.Save(source, directory);
        var all = SafeTensorsFile.Read(Path.Combine(directory, "model.safetensors"));
        File.Delete(Path.Combine(directory, "model.safetensors"));
        var names = all.Keys.Order(StringComparer.Ordinal).ToList();
        var first = names.Take(names.Count / 2).ToDictionary(n => n, n => all[n]);
        var second = names.Skip(names.Count / 2).ToDictionary(n => n, n => all[n]);
        SafeTensorsFile.Write(Path.Combine(directory, "model-00001-of-00002.safetensors"), first);
        SafeTensorsFile.Write(Path.Combine(directory, "model-00002-of-00002.safetensors"), second);
        var map = new JsonObject();
        foreach (var n in first.Keys)
            map[n] = "model-00001-of-00002.safetensors";
        foreach (var n in second.Keys)
            map[n] = "model-00002-of-00002.safetensors";
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());

        using var loaded = HuggingFaceCheckpoint.Load(directory);

        Assert.Equal(0f, TinyModels.MaxAbsDiff(source.Logits(Ids), loaded.Logits(Ids)));
        foreach (var t in all.Values)
            t.Dispose();
    }

    [Fact]
    public void Load_TruncatedSafetensors_ThrowsInvalidData()
    {
        using var source = LlamaForCausalLM.Create(TinyModels.Config(), seed: 33);
        HuggingFaceCheckpoint.Save(source, directory);
        var path = Path.Combine(directory, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^64]);

        Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(directory).Dispose());
    }

    [Theory]
    [InlineData("""{"model_type": "mistral", "vocab_size": 10}""")]
    [InlineData("""{"model_type": "llama", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4, "rope_scaling": {"type": "linear", "factor": 2.0}}""")]
    [InlineData("""{"model_type": "llama", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4, "head_dim": 32}""")]
    [InlineData("""{"model_type": "qwen2", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4, "use_sliding_window": true}""")]
    public void ReadConfig_UnsupportedFeature_ThrowsNotSupported(string json)
    {
        File.WriteAllText(Path.Combine(directory, "config.json"), json);

        Assert.Throws<NotSupportedException>(() => HuggingFaceCheckpoint.ReadConfig(directory));
    }

    [Fact]
    public void ReadConfig_Qwen2Config_ImpliesAttentionBiasAndReadsGqa()
    {
        File.WriteAllText(Path.Combine(directory, "config.json"), """{"model_type": "qwen2", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "max_position_embeddings": 512, "tie_word_embeddings": true, "use_sliding_window": false}""");

        var config = HuggingFaceCheckpoint.ReadConfig(directory);

        Assert.Equal(new LlamaConfig { Architecture = "qwen2", VocabSize = 300, HiddenSize = 64, IntermediateSize = 128, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, RopeTheta = 1e6, RmsNormEps = 1e-6, ContextLength = 512, TieWordEmbeddings = true, AttentionBias = true }, config);
    }

    /// <summary>An independent writer, byte for byte as Hugging Face's safetensors library lays a file out.</summary>
    private static void WriteHuggingFaceFolder(LlamaForCausalLM model, string folder, string dtype)
    {
        var c = model.Config;
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(c.Architecture == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = c.Architecture,
            ["hidden_act"] = "silu",
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["max_position_embeddings"] = c.ContextLength,
            ["num_attention_heads"] = c.NumHeads,
            ["num_hidden_layers"] = c.NumLayers,
            ["num_key_value_heads"] = c.NumKvHeads,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["vocab_size"] = c.VocabSize,
            ["torch_dtype"] = dtype == "BF16" ? "bfloat16" : "float32",
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());

        var names = new List<string> { "model.embed_tokens.weight", "model.norm.weight" };
        if (!c.TieWordEmbeddings)
            names.Add("lm_head.weight");
        for (var i = 0; i < c.NumLayers; i++)
        {
            foreach (var part in new[] { "input_layernorm.weight", "post_attention_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight" })
                names.Add($"model.layers.{i}.{part}");
            if (c.AttentionBias)
                names.AddRange(new[] { "q", "k", "v" }.Select(p => $"model.layers.{i}.self_attn.{p}_proj.bias"));
        }
        var parameters = model.state_dict();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        var data = new MemoryStream();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var values = parameters[name].contiguous().data<float>().ToArray();
            var begin = data.Length;
            foreach (var v in values)
            {
                if (dtype == "BF16")
                    data.Write(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >> 16)));
                else
                    data.Write(BitConverter.GetBytes(v));
            }
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray([.. parameters[name].shape.Select(d => JsonValue.Create(d))]),
                ["data_offsets"] = new JsonArray(begin, data.Length),
            };
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var file = File.Create(Path.Combine(folder, "model.safetensors"));
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        data.Position = 0;
        data.CopyTo(file);
    }

    private static void RoundToBf16(LlamaForCausalLM model)
    {
        using var noGrad = no_grad();
        foreach (var (_, p) in model.named_parameters())
        {
            // Truncation (not rounding) is what the writer above does; make the source match it exactly.
            var values = p.data<float>().ToArray().Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF0000))).ToArray();
            using var truncated = tensor(values, p.shape);
            p.copy_(truncated);
        }
    }

    private static JsonObject ReadHeaderIndependently(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
