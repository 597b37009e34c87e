using TorchSharp;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>SwiGLU feed-forward block: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    public LlamaMlp(LlamaConfig config)
        : base(nameof(LlamaMlp))
    {
        ArgumentNullException.ThrowIfNull(config);
        GateProj = new LoraLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        UpProj = new LoraLinear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        DownProj = new LoraLinear(config.IntermediateSize, config.HiddenSize, hasBias: false);
        register_module("gate_proj", GateProj);
        register_module("up_proj", UpProj);
        register_module("down_proj", DownProj);
    }

    public LoraLinear GateProj { get; }
    public LoraLinear UpProj { get; }
    public LoraLinear DownProj { get; }

    public override Tensor forward(Tensor input)
    {
        using var gate = GateProj.forward(input);
        using var activated = nn.functional.silu(gate);
        using var up = UpProj.forward(input);
        using var product = activated * up;
        return DownProj.forward(product);
    }
}
