using System.Text.Json;
using System.Text.Json.Nodes;
using LlmOps.Training.Modeling;
using LlmOps.Training.SafeTensors;
using static TorchSharp.torch;

namespace LlmOps.Training.Lora;

/// <summary>
/// Saves and loads LoRA adapters alone, in Hugging Face PEFT's layout (adapter_config.json +
/// adapter_model.safetensors with "base_model.model.{name}.lora_A.weight" keys), so a fine-tune is stored
/// as megabytes beside its base model rather than as a full copy.
/// </summary>
public static class PeftAdapterFiles
{
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the adapters of <paramref name="model"/> (trained with <paramref name="options"/>) to <paramref name="directory"/>.</summary>
    public static void Save(LlamaForCausalLM model, LoraOptions options, string directory, string? baseModel = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, module) in model.named_modules())
        {
            if (module is LoraLinear { LoraA: { } a, LoraB: { } b })
            {
                tensors[Prefix + name + ".lora_A.weight"] = a;
                tensors[Prefix + name + ".lora_B.weight"] = b;
            }
        }
        if (tensors.Count == 0)
            throw new InvalidOperationException("The model has no LoRA adapter to save.");
        Directory.CreateDirectory(directory);
        SafeTensorsFile.Write(Path.Combine(directory, WeightsFileName), tensors);
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = options.Rank,
            ["lora_alpha"] = options.Alpha,
            ["lora_dropout"] = options.Dropout,
            ["target_modules"] = new JsonArray([.. options.TargetModules.Select(t => JsonValue.Create(t))]),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["base_model_name_or_path"] = baseModel,
        };
        File.WriteAllText(Path.Combine(directory, ConfigFileName), config.ToJsonString(Indented));
    }

    /// <summary>Reads adapter_config.json into LoRA options.</summary>
    public static LoraOptions ReadOptions(string directory)
    {
        var path = Path.Combine(directory, ConfigFileName);
        var json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"'{path}' is empty.");
        if (json["peft_type"]?.GetValue<string>() is { } type && type != "LORA")
            throw new NotSupportedException($"PEFT type '{type}' is not supported (LORA).");
        if (json["use_dora"]?.GetValue<bool>() == true || json["use_rslora"]?.GetValue<bool>() == true)
            throw new NotSupportedException("DoRA and rsLoRA adapters are not supported.");
        return new LoraOptions
        {
            Rank = json["r"]?.GetValue<int>() ?? throw new InvalidDataException($"'{path}' has no r."),
            Alpha = json["lora_alpha"]?.GetValue<double>() ?? throw new InvalidDataException($"'{path}' has no lora_alpha."),
            Dropout = json["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = json["target_modules"] is JsonArray targets
                ? [.. targets.Select(t => t!.GetValue<string>())]
                : throw new InvalidDataException($"'{path}' has no target_modules list."),
        };
    }

    /// <summary>Adds the adapters stored in <paramref name="directory"/> to <paramref name="model"/> (freezing its base) and loads their weights.</summary>
    public static LoraOptions Load(LlamaForCausalLM model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = ReadOptions(directory);
        var weights = SafeTensorsFile.Read(Path.Combine(directory, WeightsFileName));
        try
        {
            var adapted = LoraAdapter.Apply(model, options);
            var modules = model.named_modules().Where(m => m.module is LoraLinear).ToDictionary(m => m.name, m => (LoraLinear)m.module);
            using var noGrad = no_grad();
            foreach (var name in adapted)
            {
                var linear = modules[name];
                Copy(weights, Prefix + name + ".lora_A.weight", linear.LoraA!);
                Copy(weights, Prefix + name + ".lora_B.weight", linear.LoraB!);
            }
            var expected = adapted.Count * 2;
            if (weights.Count != expected)
                throw new InvalidDataException($"The adapter file has {weights.Count} tensors; its config targets {expected}.");
            return options;
        }
        finally
        {
            foreach (var t in weights.Values)
                t.Dispose();
        }
    }

    private static void Copy(Dictionary<string, Tensor> weights, string name, Tensor target)
    {
        if (!weights.TryGetValue(name, out var source))
            throw new InvalidDataException($"The adapter file has no '{name}'.");
        if (!source.shape.SequenceEqual(target.shape))
            throw new InvalidDataException($"Adapter tensor '{name}' has shape [{string.Join(", ", source.shape)}], expected [{string.Join(", ", target.shape)}].");
        target.copy_(source);
    }
}
