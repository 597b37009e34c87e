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
    // TorchSharp also registers fields by reflection: fields carry the checkpoint names, properties have none.
#pragma warning disable IDE1006, SA1300 // Naming: field names are the parameters' names in checkpoints.
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private Parameter? lora_A;
    private Parameter? lora_B;
#pragma warning restore IDE1006, SA1300

    // Dropout draws from the model's own generator, not torch's global one, so a run's randomness is
    // seeded, checkpointed and unaffected by other work in the process.
    private Generator? dropoutGenerator;
    private double dropoutProbability;

    public LoraLinear(long inFeatures, long outFeatures, bool hasBias)
        : base(nameof(LoraLinear))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        weight = new Parameter(empty(outFeatures, inFeatures));
        register_parameter("weight", weight);
        if (hasBias)
        {
            bias = new Parameter(zeros(outFeatures));
            register_parameter("bias", bias);
        }
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    public Parameter? LoraA => lora_A;
    public Parameter? LoraB => lora_B;
    public double LoraScale { get; private set; }

    /// <summary>
    /// Adds a LoRA adapter: A uniform in ±1/sqrt(in) from <paramref name="generator"/>, B = 0 (the layer is unchanged
    /// at first); dropout on the adapter's input draws from <paramref name="dropoutGenerator"/> while training.
    /// </summary>
    public void AddLora(int rank, double alpha, double dropout, Generator generator, Generator dropoutGenerator)
    {
        if (lora_A is not null)
            throw new InvalidOperationException("This layer already has a LoRA adapter.");
        var bound = 1.0 / Math.Sqrt(InFeatures);
        using (var uniform = rand([rank, InFeatures], generator: generator))
            lora_A = new Parameter(uniform.mul(2 * bound).sub_(bound));
        lora_B = new Parameter(zeros(OutFeatures, rank));
        LoraScale = alpha / rank;
        register_parameter("lora_A", lora_A);
        register_parameter("lora_B", lora_B);
        dropoutProbability = dropout;
        this.dropoutGenerator = dropoutGenerator;
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

    private Tensor Dropout(Tensor input)
    {
        using var uniform = rand(input.shape, input.dtype, input.device, generator: dropoutGenerator);
        using var keep = uniform.ge(dropoutProbability).to(input.dtype);
        using var kept = input * keep;
        return kept.div(1 - dropoutProbability);
    }

    public override Tensor forward(Tensor input)
    {
        var output = nn.functional.linear(input, Weight, Bias);
        if (LoraA is null || LoraB is null)
            return output;
        using var dropped = training && dropoutProbability > 0 ? Dropout(input) : input.alias();
        using var down = nn.functional.linear(dropped, LoraA);
        using var up = nn.functional.linear(down, LoraB);
        return output.add_(up, LoraScale);
    }
}
