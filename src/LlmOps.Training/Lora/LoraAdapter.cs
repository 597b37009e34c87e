using LlmOps.Training.Modeling;
using static TorchSharp.torch;

namespace LlmOps.Training.Lora;

/// <summary>Adds LoRA adapters to a model's linear projections and freezes everything else.</summary>
public static class LoraAdapter
{
    /// <summary>
    /// Freezes every base parameter and adds an adapter to each targeted projection; returns the names of the
    /// adapted modules. Export (GGUF, safetensors) merges the adapters into the weights.
    /// </summary>
    public static IReadOnlyList<string> Apply(LlamaForCausalLM model, LoraOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var targets = new HashSet<string>(options.TargetModules, StringComparer.Ordinal);
        var layers = model.named_modules()
            .Where(m => m.module is LoraLinear && targets.Contains(m.name.Split('.')[^1]))
            .Select(m => (m.name, Linear: (LoraLinear)m.module))
            .ToList();
        if (layers.Count == 0)
            throw new ArgumentException($"No module matches the LoRA targets [{string.Join(", ", targets)}].", nameof(options));
        var unknown = targets.Where(t => !layers.Any(l => l.name.EndsWith("." + t, StringComparison.Ordinal) || l.name == t)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"LoRA targets [{string.Join(", ", unknown)}] match no module.", nameof(options));

        foreach (var parameter in model.parameters())
            parameter.requires_grad = false;
        using var generator = new Generator(unchecked((ulong)options.Seed));
        foreach (var (_, linear) in layers)
            linear.AddLora(options.Rank, options.Alpha, options.Dropout, generator, model.DropoutGenerator);
        return [.. layers.Select(l => l.name)];
    }

    /// <summary>Number of trainable (adapter) and total parameters.</summary>
    public static (long Trainable, long Total) CountParameters(LlamaForCausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        long trainable = 0, total = 0;
        foreach (var p in model.parameters())
        {
            total += p.numel();
            if (p.requires_grad)
                trainable += p.numel();
        }
        return (trainable, total);
    }
}
