using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>Root-mean-square layer norm with a learned scale (no bias), as in Llama.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double eps;

    // TorchSharp also registers fields by reflection, so fields carry the Hugging Face names and the
    // public properties have no backing fields of their own (which would register twice under odd names).
#pragma warning disable IDE1006 // Naming: the field name is the parameter's name in checkpoints.
    private readonly Parameter weight;
#pragma warning restore IDE1006

    public RmsNorm(long size, double eps)
        : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = new Parameter(ones(size));
        register_parameter("weight", weight);
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor input)
    {
        using var variance = input.pow(2).mean([-1L], keepdim: true);
        using var scale = (variance + eps).rsqrt_();
        using var normed = input * scale;
        return normed * Weight;
    }
}
