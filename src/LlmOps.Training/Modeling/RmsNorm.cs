using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>Root-mean-square layer norm with a learned scale (no bias), as in Llama.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double eps;

    public RmsNorm(long size, double eps)
        : base(nameof(RmsNorm))
    {
        this.eps = eps;
        Weight = new Parameter(ones(size));
        register_parameter("weight", Weight);
    }

    public Parameter Weight { get; }

    public override Tensor forward(Tensor input)
    {
        using var variance = input.pow(2).mean([-1L], keepdim: true);
        using var scale = (variance + eps).rsqrt_();
        using var normed = input * scale;
        return normed * Weight;
    }
}
