using System.Globalization;
using LlmOps.Training.Modeling;
using static TorchSharp.torch;

namespace LlmOps.Training.Gguf;

/// <summary>Loads a llama or qwen2 GGUF file (F32, F16 or Q8_0 tensors) into a TorchSharp model and its tokenizer.</summary>
public static class GgufModelImporter
{
    /// <summary>Reads the model configuration from the file's metadata and tensor shapes.</summary>
    public static LlamaConfig ReadConfig(GgufReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var arch = reader.Get<string>("general.architecture");
        if (arch is not (LlamaConfig.LlamaArchitecture or LlamaConfig.Qwen2Architecture))
            throw new NotSupportedException($"GGUF architecture '{arch}' is not supported (llama, qwen2).");
        var embedding = reader.Tensor("token_embd.weight");
        var config = new LlamaConfig
        {
            Architecture = arch,
            VocabSize = (int)embedding.Dims[1],
            HiddenSize = reader.Get<int>(arch + ".embedding_length"),
            NumLayers = reader.Get<int>(arch + ".block_count"),
            NumHeads = reader.Get<int>(arch + ".attention.head_count"),
            NumKvHeads = reader.GetOrDefault<int>(arch + ".attention.head_count_kv") ?? reader.Get<int>(arch + ".attention.head_count"),
            IntermediateSize = reader.Get<int>(arch + ".feed_forward_length"),
            ContextLength = reader.Get<int>(arch + ".context_length"),
            RopeTheta = ShortestDouble(reader.GetOrDefault<float>(arch + ".rope.freq_base") ?? 10000f),
            RmsNormEps = ShortestDouble(reader.Get<float>(arch + ".attention.layer_norm_rms_epsilon")),
            TieWordEmbeddings = !reader.HasTensor("output.weight"),
            AttentionBias = reader.HasTensor("blk.0.attn_q.bias"),
        };
        config.Validate();
        if (reader.GetOrDefault<int>(arch + ".rope.dimension_count") is { } ropeDims && ropeDims != config.HeadDim)
            throw new NotSupportedException(string.Format(CultureInfo.InvariantCulture, "Partial rotary embeddings ({0} of {1} dims) are not supported.", ropeDims, config.HeadDim));
        return config;
    }

    /// <summary>Every tensor under its Hugging Face name in the rotate-half layout, as new float32 tensors the caller disposes.</summary>
    public static Dictionary<string, Tensor> ReadWeights(GgufReader reader, LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(config);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in reader.Tensors)
            {
                var hfName = GgufTensorNames.ToHuggingFace(info.Name);
                var shape = info.Dims.Reverse().ToArray();
                using var raw = tensor(reader.ReadFloats(info), shape, ScalarType.Float32);
                weights[hfName] = FromGgufLayout(config, hfName, raw);
            }
        }
        catch
        {
            foreach (var t in weights.Values)
                t.Dispose();
            throw;
        }
        return weights;
    }

    /// <summary>The model and tokenizer stored in <paramref name="path"/>.</summary>
    public static (LlamaForCausalLM Model, GgufTokenizer Tokenizer) Load(string path)
    {
        using var reader = GgufReader.Open(path);
        var config = ReadConfig(reader);
        var model = LlamaForCausalLM.Create(config, seed: 0);
        var weights = ReadWeights(reader, config);
        try
        {
            model.LoadWeights(weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in weights.Values)
                t.Dispose();
        }
        return (model, ReadTokenizer(reader));
    }

    /// <summary>
    /// Merges a llama.cpp LoRA adapter GGUF (what <see cref="GgufLoraExporter"/> or convert_lora_to_gguf.py writes) into the
    /// weights of <paramref name="model"/>: W += s · B·A with s = <paramref name="scale"/> · alpha / rank, as llama.cpp applies
    /// it (s = <paramref name="scale"/> when alpha is 0). Norm vectors an adapter may carry are ignored, as llama.cpp does.
    /// </summary>
    public static void MergeLoraAdapter(LlamaForCausalLM model, string adapterPath, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var reader = GgufReader.Open(adapterPath);
        string? Text(string key) => reader.Metadata.TryGetValue(key, out var value) ? value as string : null;
        if (Text("general.type") != "adapter" || Text("adapter.type") != "lora")
            throw new InvalidDataException($"'{adapterPath}' is not a LoRA adapter GGUF (general.type adapter, adapter.type lora).");
        var arch = Text("general.architecture");
        if (arch != model.Config.Architecture)
            throw new InvalidDataException($"'{adapterPath}' adapts a '{arch}' model, not '{model.Config.Architecture}'.");
        var alpha = reader.GetOrDefault<float>("adapter.lora.alpha") ?? 0f;
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var pairs = reader.Tensors
            .Where(t => t.Name.EndsWith(".lora_a", StringComparison.Ordinal) || t.Name.EndsWith(".lora_b", StringComparison.Ordinal))
            .GroupBy(t => t.Name[..^".lora_a".Length], StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var pair in pairs)
        {
            var a = pair.SingleOrDefault(t => t.Name.EndsWith(".lora_a", StringComparison.Ordinal));
            var b = pair.SingleOrDefault(t => t.Name.EndsWith(".lora_b", StringComparison.Ordinal));
            if (a is null || b is null || a.Dims.Count != 2 || b.Dims.Count != 2 || a.Dims[1] != b.Dims[0])
                throw new InvalidDataException($"'{adapterPath}': the LoRA pair of '{pair.Key}' is incomplete or its ranks differ.");
            if (pair.Key == "token_embd.weight")
                throw new NotSupportedException($"'{adapterPath}' adapts the token embedding; that is not supported.");
            var hfName = GgufTensorNames.ToHuggingFace(pair.Key);
            if (!parameters.TryGetValue(hfName, out var weight))
                throw new InvalidDataException($"'{adapterPath}' adapts '{pair.Key}', which the model does not have.");
            var rank = b.Dims[0];
            using var loraA = tensor(reader.ReadFloats(a), [a.Dims[1], a.Dims[0]], ScalarType.Float32);
            using var stored = tensor(reader.ReadFloats(b), [b.Dims[1], b.Dims[0]], ScalarType.Float32);
            using var loraB = FromGgufLayout(model.Config, hfName, stored);
            using var delta = loraB.matmul(loraA);
            if (!delta.shape.SequenceEqual(weight.shape))
                throw new InvalidDataException($"'{adapterPath}': the update of '{pair.Key}' is [{string.Join(", ", delta.shape)}], the weight [{string.Join(", ", weight.shape)}].");
            weight.add_(delta, alpha == 0 ? scale : scale * alpha / rank);
        }
    }

    /// <summary>The tokenizer.ggml.* metadata.</summary>
    public static GgufTokenizer ReadTokenizer(GgufReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var tokens = (string[])reader.Metadata["tokenizer.ggml.tokens"];
        var types = reader.Metadata.TryGetValue("tokenizer.ggml.token_type", out var t)
            ? ((int[])t).Select(v => (GgufTokenType)v).ToArray()
            : [.. tokens.Select(_ => GgufTokenType.Normal)];
        return new GgufTokenizer
        {
            Tokens = tokens,
            TokenTypes = types,
            Merges = reader.Metadata.TryGetValue("tokenizer.ggml.merges", out var m) ? (string[])m : [],
            BosTokenId = reader.GetOrDefault<int>("tokenizer.ggml.bos_token_id") ?? -1,
            EosTokenId = reader.GetOrDefault<int>("tokenizer.ggml.eos_token_id") ?? -1,
            Model = reader.Get<string>("tokenizer.ggml.model"),
            PreTokenizer = reader.Metadata.TryGetValue("tokenizer.ggml.pre", out var p) ? (string)p : "default",
        };
    }

    /// <summary>GGUF stores these as float32; 1e-5f widened directly would read 9.9999997e-6, so go through its shortest decimal form.</summary>
    private static double ShortestDouble(float value) =>
        double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static Tensor FromGgufLayout(LlamaConfig config, string hfName, Tensor weight)
    {
        if (config.Architecture != LlamaConfig.LlamaArchitecture)
            return weight.clone();
        if (hfName.EndsWith("self_attn.q_proj.weight", StringComparison.Ordinal) || hfName.EndsWith("self_attn.q_proj.bias", StringComparison.Ordinal))
        {
            using var q = GgufModelExporter.UnpermuteFromInterleavedRope(weight, config.NumHeads);
            return q.contiguous();
        }
        if (hfName.EndsWith("self_attn.k_proj.weight", StringComparison.Ordinal) || hfName.EndsWith("self_attn.k_proj.bias", StringComparison.Ordinal))
        {
            using var k = GgufModelExporter.UnpermuteFromInterleavedRope(weight, config.NumKvHeads);
            return k.contiguous();
        }
        return weight.clone();
    }
}
