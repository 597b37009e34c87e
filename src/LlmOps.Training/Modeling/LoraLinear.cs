using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>
/// A bias-optional linear layer whose weight keeps Hugging Face's name ("weight") and which can carry a
/// LoRA adapter (lora_A, lora_B) added beside the frozen weight.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    private Dropout? loraDropout;

    public LoraLinear(long inFeatures, long outFeatures, bool hasBias)
        : base(nameof(LoraLinear))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter(empty(outFeatures, inFeatures));
        register_parameter("weight", Weight);
        if (hasBias)
        {
            Bias = new Parameter(zeros(outFeatures));
            register_parameter("bias", Bias);
        }
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }
    public Parameter? LoraA { get; private set; }
    public Parameter? LoraB { get; private set; }
    public double LoraScale { get; private set; }

    /// <summary>Adds a LoRA adapter: A ~ Kaiming-uniform-like, B = 0, so the layer is unchanged at first.</summary>
    public void AddLora(int rank, double alpha, double dropout, Generator generator)
    {
        if (LoraA is not null)
            throw new InvalidOperationException("This layer already has a LoRA adapter.");
        var bound = 1.0 / Math.Sqrt(InFeatures);
        LoraA = new Parameter(rand([rank, InFeatures], generator: generator).mul_(2 * bound).sub_(bound));
        LoraB = new Parameter(zeros(OutFeatures, rank));
        LoraScale = alpha / rank;
        register_parameter("lora_A", LoraA);
        register_parameter("lora_B", LoraB);
        if (dropout > 0)
        {
            loraDropout = nn.Dropout(dropout);
            register_module("lora_dropout", loraDropout);
        }
    }

    /// <summary>The weight with any LoRA update folded in (W + scale * B A), as a new tensor.</summary>
    public Tensor MergedWeight()
    {
        using var noGrad = no_grad();
        if (LoraA is null || LoraB is null)
            return Weight.detach().clone();
        using var delta = LoraB.matmul(LoraA);
        return Weight.detach().add(delta, LoraScale);
    }

    public override Tensor forward(Tensor input)
    {
        var output = nn.functional.linear(input, Weight, Bias);
        if (LoraA is null || LoraB is null)
            return output;
        using var dropped = loraDropout is null ? input.alias() : loraDropout.forward(input);
        using var down = nn.functional.linear(dropped, LoraA);
        using var up = nn.functional.linear(down, LoraB);
        return output.add_(up, LoraScale);
    }
}
