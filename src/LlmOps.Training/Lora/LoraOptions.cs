namespace LlmOps.Training.Lora;

/// <summary>LoRA settings (axolotl: lora_r, lora_alpha, lora_dropout, lora_target_modules).</summary>
public sealed class LoraOptions
{
    /// <summary>Every linear projection of the decoder layers (axolotl's lora_target_linear).</summary>
    public static readonly IReadOnlyList<string> AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Rank r of the update B·A (lora_r).</summary>
    public int Rank { get; set; } = 8;

    /// <summary>The update is scaled by alpha / r (lora_alpha).</summary>
    public double Alpha { get; set; } = 16;

    /// <summary>Dropout on the adapter's input during training (lora_dropout).</summary>
    public double Dropout { get; set; } = 0.05;

    /// <summary>Module names that get an adapter, matched against the last part of the name (lora_target_modules).</summary>
    public IList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];

    /// <summary>Seeds the initialisation of the A matrices.</summary>
    public long Seed { get; set; } = 42;

    public void Validate()
    {
        if (Rank <= 0)
            throw new ArgumentException("Rank must be positive.");
        if (Alpha <= 0)
            throw new ArgumentException("Alpha must be positive.");
        if (Dropout is < 0 or >= 1)
            throw new ArgumentException("Dropout must be in [0, 1).");
        if (TargetModules.Count == 0)
            throw new ArgumentException("TargetModules must name at least one module.");
    }
}
