using System.Text.Json;
using System.Text.Json.Nodes;
using LlmOps.Training.Modeling;
using static TorchSharp.torch;

namespace LlmOps.Training.SafeTensors;

/// <summary>A Hugging Face model folder: config.json plus model.safetensors (or shards listed in model.safetensors.index.json).</summary>
public static class HuggingFaceCheckpoint
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Reads config.json (model_type llama or qwen2) into a <see cref="LlamaConfig"/>.</summary>
    public static LlamaConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFileName);
        var json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"'{path}' is empty.");
        var modelType = json["model_type"]?.GetValue<string>() ?? throw new InvalidDataException($"'{path}' has no model_type.");
        if (modelType is not (LlamaConfig.LlamaArchitecture or LlamaConfig.Qwen2Architecture))
            throw new NotSupportedException($"model_type '{modelType}' is not supported (llama, qwen2).");
        if (json["hidden_act"] is { } act && act.GetValue<string>() != "silu")
            throw new NotSupportedException($"hidden_act '{act}' is not supported (silu).");
        if (json["rope_scaling"] is JsonObject)
            throw new NotSupportedException("rope_scaling is not supported.");
        if (json["use_sliding_window"]?.GetValue<bool>() == true)
            throw new NotSupportedException("Sliding-window attention is not supported.");
        if (json["mlp_bias"]?.GetValue<bool>() == true)
            throw new NotSupportedException("mlp_bias is not supported.");
        int Int(string key) => json[key]?.GetValue<int>() ?? throw new InvalidDataException($"'{path}' has no {key}.");
        var heads = Int("num_attention_heads");
        var config = new LlamaConfig
        {
            Architecture = modelType,
            VocabSize = Int("vocab_size"),
            HiddenSize = Int("hidden_size"),
            IntermediateSize = Int("intermediate_size"),
            NumLayers = Int("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = json["num_key_value_heads"]?.GetValue<int>() ?? heads,
            RmsNormEps = json["rms_norm_eps"]?.GetValue<double>() ?? 1e-6,
            RopeTheta = json["rope_theta"]?.GetValue<double>() ?? 10000.0,
            ContextLength = json["max_position_embeddings"]?.GetValue<int>() ?? 2048,
            TieWordEmbeddings = json["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            // Qwen2 always has Q/K/V biases; Llama has them when attention_bias is true.
            AttentionBias = modelType == LlamaConfig.Qwen2Architecture || (json["attention_bias"]?.GetValue<bool>() ?? false),
        };
        config.Validate();
        if (json["head_dim"]?.GetValue<int>() is { } headDim && headDim != config.HeadDim)
            throw new NotSupportedException($"head_dim {headDim} differs from hidden_size / num_attention_heads ({config.HeadDim}); that is not supported.");
        return config;
    }

    /// <summary>bos_token_id and eos_token_id of config.json, when given (a list gives its first id).</summary>
    public static (int? Bos, int? Eos) ReadSpecialTokenIds(string directory)
    {
        var path = Path.Combine(directory, ConfigFileName);
        var json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"'{path}' is empty.");
        static int? Id(JsonNode? node) => node switch
        {
            JsonValue v when v.TryGetValue<int>(out var id) => id,
            JsonArray { Count: > 0 } list => Id(list[0]),
            _ => null,
        };
        return (Id(json["bos_token_id"]), Id(json["eos_token_id"]));
    }

    /// <summary>Reads every weight of the folder as float32 tensors under their Hugging Face names.</summary>
    public static Dictionary<string, Tensor> ReadWeights(string directory)
    {
        var index = Path.Combine(directory, IndexFileName);
        if (!File.Exists(index))
            return SafeTensorsFile.Read(Path.Combine(directory, WeightsFileName));
        var map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"]?.AsObject() ?? throw new InvalidDataException($"'{index}' has no weight_map.");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var shard in map.Select(kv => kv.Value!.GetValue<string>()).Distinct(StringComparer.Ordinal))
        {
            if (shard.Contains('/', StringComparison.Ordinal) || shard.Contains('\\', StringComparison.Ordinal))
                throw new InvalidDataException($"Shard name '{shard}' must be a plain file name.");
            foreach (var (name, tensor) in SafeTensorsFile.Read(Path.Combine(directory, shard)))
                result[name] = tensor;
        }
        return result;
    }

    /// <summary>Loads the model in <paramref name="directory"/>; a tied model's stored lm_head copy, if any, is ignored.</summary>
    public static LlamaForCausalLM Load(string directory)
    {
        var config = ReadConfig(directory);
        var weights = ReadWeights(directory);
        var model = LlamaForCausalLM.Create(config, seed: 0);
        try
        {
            model.LoadWeights(weights);
            return model;
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
    }

    /// <summary>Writes config.json and model.safetensors (F32, LoRA merged) in Hugging Face's layout and names.</summary>
    public static void Save(LlamaForCausalLM model, string directory, int? bosTokenId = null, int? eosTokenId = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        var weights = model.ExportWeights();
        try
        {
            SafeTensorsFile.Write(Path.Combine(directory, WeightsFileName), weights);
        }
        finally
        {
            foreach (var t in weights.Values)
                t.Dispose();
        }
        var c = model.Config;
        var qwen = c.Architecture == LlamaConfig.Qwen2Architecture;
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = c.Architecture,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumLayers,
            ["num_attention_heads"] = c.NumHeads,
            ["num_key_value_heads"] = c.NumKvHeads,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = c.ContextLength,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["torch_dtype"] = "float32",
        };
        if (!qwen)
            json["attention_bias"] = c.AttentionBias;
        if (bosTokenId is { } bos)
            json["bos_token_id"] = bos;
        if (eosTokenId is { } eos)
            json["eos_token_id"] = eos;
        File.WriteAllText(Path.Combine(directory, ConfigFileName), json.ToJsonString(Indented));
    }
}
