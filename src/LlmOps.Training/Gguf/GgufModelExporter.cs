using System.Globalization;
using LlmOps.Training.Modeling;
using static TorchSharp.torch;

namespace LlmOps.Training.Gguf;

/// <summary>Options of a GGUF export.</summary>
public sealed class GgufExportOptions
{
    /// <summary>Weight format of the matrices; 1-D tensors (norms, biases) always stay F32, as llama.cpp's converter does.</summary>
    public GgufFileType FileType { get; set; } = GgufFileType.F32;

    /// <summary>general.name.</summary>
    public string ModelName { get; set; } = "llmops";
}

/// <summary>Exports a Llama/Qwen2 model with its byte-level BPE tokenizer to a GGUF file that llama.cpp loads.</summary>
public static class GgufModelExporter
{
    /// <summary>Exports <paramref name="model"/> (LoRA adapters merged) to <paramref name="path"/>, written atomically.</summary>
    public static async Task ExportAsync(LlamaForCausalLM model, GgufTokenizer tokenizer, string path, GgufExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var weights = model.ExportWeights();
        try
        {
            await ExportAsync(model.Config, weights, tokenizer, path, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var tensor in weights.Values)
                tensor.Dispose();
        }
    }

    /// <summary>Exports weights given under Hugging Face names (rotate-half Q/K layout) to <paramref name="path"/>.</summary>
    public static async Task ExportAsync(LlamaConfig config, IReadOnlyDictionary<string, Tensor> weights, GgufTokenizer tokenizer, string path, GgufExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= new GgufExportOptions();
        config.Validate();
        var writer = BuildWriter(config, weights, tokenizer.PaddedTo(config.VocabSize), options);
        await writer.WriteAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private static GgufWriter BuildWriter(LlamaConfig config, IReadOnlyDictionary<string, Tensor> weights, GgufTokenizer tokenizer, GgufExportOptions options)
    {
        var arch = config.Architecture;
        var writer = new GgufWriter()
            .Add("general.architecture", arch)
            .Add("general.name", options.ModelName)
            .Add("general.file_type", (uint)options.FileType)
            .Add(arch + ".context_length", (uint)config.ContextLength)
            .Add(arch + ".embedding_length", (uint)config.HiddenSize)
            .Add(arch + ".block_count", (uint)config.NumLayers)
            .Add(arch + ".feed_forward_length", (uint)config.IntermediateSize)
            .Add(arch + ".attention.head_count", (uint)config.NumHeads)
            .Add(arch + ".attention.head_count_kv", (uint)config.NumKvHeads)
            .Add(arch + ".rope.dimension_count", (uint)config.HeadDim)
            .Add(arch + ".rope.freq_base", (float)config.RopeTheta)
            .Add(arch + ".attention.layer_norm_rms_epsilon", (float)config.RmsNormEps)
            .Add(arch + ".vocab_size", (uint)config.VocabSize)
            .Add("tokenizer.ggml.model", tokenizer.Model)
            .Add("tokenizer.ggml.pre", tokenizer.PreTokenizer)
            .Add("tokenizer.ggml.tokens", tokenizer.Tokens)
            .Add("tokenizer.ggml.token_type", tokenizer.TokenTypes.Select(t => (int)t).ToArray())
            .Add("tokenizer.ggml.merges", tokenizer.Merges)
            .Add("tokenizer.ggml.bos_token_id", (uint)tokenizer.BosTokenId)
            .Add("tokenizer.ggml.eos_token_id", (uint)tokenizer.EosTokenId)
            .Add("tokenizer.ggml.add_bos_token", false);
        if (options.FileType == GgufFileType.Q8_0)
            writer.Add("general.quantization_version", 2u);

        foreach (var hfName in OrderedNames(config))
        {
            if (!weights.TryGetValue(hfName, out var weight))
                throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture, "Weight '{0}' is missing.", hfName));
            using var prepared = ToGgufLayout(config, hfName, weight);
            var values = prepared.to(ScalarType.Float32).contiguous().data<float>().ToArray();
            var type = TensorType(options.FileType, prepared);
            // GGML lists dimensions fastest-first: a [out, in] matrix is {in, out}.
            var dims = prepared.shape.Reverse().ToArray();
            writer.AddTensor(GgufTensorNames.ToGguf(hfName), dims, type, GgufWriter.Encode(values, type));
        }
        return writer;
    }

    private static IEnumerable<string> OrderedNames(LlamaConfig config)
    {
        yield return "model.embed_tokens.weight";
        for (var i = 0; i < config.NumLayers; i++)
        {
            var p = string.Create(CultureInfo.InvariantCulture, $"model.layers.{i}.");
            yield return p + "input_layernorm.weight";
            yield return p + "self_attn.q_proj.weight";
            if (config.AttentionBias)
                yield return p + "self_attn.q_proj.bias";
            yield return p + "self_attn.k_proj.weight";
            if (config.AttentionBias)
                yield return p + "self_attn.k_proj.bias";
            yield return p + "self_attn.v_proj.weight";
            if (config.AttentionBias)
                yield return p + "self_attn.v_proj.bias";
            yield return p + "self_attn.o_proj.weight";
            yield return p + "post_attention_layernorm.weight";
            yield return p + "mlp.gate_proj.weight";
            yield return p + "mlp.up_proj.weight";
            yield return p + "mlp.down_proj.weight";
        }
        yield return "model.norm.weight";
        if (!config.TieWordEmbeddings)
            yield return "lm_head.weight";
    }

    private static GgmlType TensorType(GgufFileType fileType, Tensor tensor)
    {
        if (tensor.dim() < 2)
            return GgmlType.F32;
        return fileType switch
        {
            GgufFileType.F16 => GgmlType.F16,
            // Q8_0 blocks run along a row; rows of other lengths stay F16.
            GgufFileType.Q8_0 => tensor.shape[^1] % GgufFormat.Q8BlockSize == 0 ? GgmlType.Q8_0 : GgmlType.F16,
            _ => GgmlType.F32,
        };
    }

    /// <summary>
    /// llama.cpp's "llama" architecture rotates interleaved pairs, Hugging Face rotates halves: Q and K rows are
    /// permuted as convert_hf_to_gguf.py's LlamaModel.permute does. Qwen2 uses the rotate-half (NEOX) layout already.
    /// </summary>
    internal static Tensor ToGgufLayout(LlamaConfig config, string hfName, Tensor weight)
    {
        if (config.Architecture != LlamaConfig.LlamaArchitecture)
            return weight.alias();
        if (hfName.EndsWith("self_attn.q_proj.weight", StringComparison.Ordinal) || hfName.EndsWith("self_attn.q_proj.bias", StringComparison.Ordinal))
            return PermuteForInterleavedRope(weight, config.NumHeads);
        if (hfName.EndsWith("self_attn.k_proj.weight", StringComparison.Ordinal) || hfName.EndsWith("self_attn.k_proj.bias", StringComparison.Ordinal))
            return PermuteForInterleavedRope(weight, config.NumKvHeads);
        return weight.alias();
    }

    /// <summary>w.reshape(heads, 2, headDim/2, rest).transpose(1, 2).reshape(shape).</summary>
    public static Tensor PermuteForInterleavedRope(Tensor weight, int heads)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var rest = weight.dim() == 2 ? weight.shape[1] : 1;
        var halfHead = weight.shape[0] / heads / 2;
        using var split = weight.reshape(heads, 2, halfHead, rest);
        using var swapped = split.transpose(1, 2);
        return swapped.reshape(weight.shape);
    }

    /// <summary>The inverse of <see cref="PermuteForInterleavedRope"/>: w.reshape(heads, headDim/2, 2, rest).transpose(1, 2).reshape(shape).</summary>
    public static Tensor UnpermuteFromInterleavedRope(Tensor weight, int heads)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var rest = weight.dim() == 2 ? weight.shape[1] : 1;
        var halfHead = weight.shape[0] / heads / 2;
        using var split = weight.reshape(heads, halfHead, 2, rest);
        using var swapped = split.transpose(1, 2);
        return swapped.reshape(weight.shape);
    }
}
