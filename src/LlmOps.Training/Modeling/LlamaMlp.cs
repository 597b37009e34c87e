using TorchSharp;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>SwiGLU feed-forward block: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    // TorchSharp also registers fields by reflection: fields carry the Hugging Face names, properties have none.
#pragma warning disable IDE1006, SA1300 // Naming: field names are the modules' names in checkpoints.
    private readonly LoraLinear gate_proj;
    private readonly LoraLinear up_proj;
    private readonly LoraLinear down_proj;
#pragma warning restore IDE1006, SA1300

    public LlamaMlp(LlamaConfig config)
        : base(nameof(LlamaMlp))
    {
        ArgumentNullException.ThrowIfNull(config);
        gate_proj = new LoraLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        up_proj = new LoraLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        down_proj = new LoraLinear(config.IntermediateSize, config.HiddenSize, hasBias: false);
        register_module("gate_proj", gate_proj);
        register_module("up_proj", up_proj);
        register_module("down_proj", down_proj);
    }

    public LoraLinear GateProj => gate_proj;
    public LoraLinear UpProj => up_proj;
    public LoraLinear DownProj => down_proj;

    public override Tensor forward(Tensor input)
    {
        using var gate = GateProj.forward(input);
        using var activated = nn.functional.silu(gate);
        using var up = UpProj.forward(input);
        using var product = activated * up;
        return DownProj.forward(product);
    }
}
