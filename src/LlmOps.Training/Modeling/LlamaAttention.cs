using TorchSharp;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>Causal grouped-query self-attention with rotary embeddings (Hugging Face names: q_proj, k_proj, v_proj, o_proj).</summary>
public sealed class LlamaAttention : nn.Module<Tensor, Tensor>
{
    private readonly int numHeads;
    private readonly int numKvHeads;
    private readonly int headDim;
    private readonly RotaryEmbedding rotary;

    public LlamaAttention(LlamaConfig config, RotaryEmbedding rotary)
        : base(nameof(LlamaAttention))
    {
        ArgumentNullException.ThrowIfNull(config);
        numHeads = config.NumHeads;
        numKvHeads = config.NumKvHeads;
        headDim = config.HeadDim;
        this.rotary = rotary;
        QProj = new LoraLinear(config.HiddenSize, numHeads * headDim, config.AttentionBias);
        KProj = new LoraLinear(config.HiddenSize, numKvHeads * headDim, config.AttentionBias);
        VProj = new LoraLinear(config.HiddenSize, numKvHeads * headDim, config.AttentionBias);
        OProj = new LoraLinear(numHeads * headDim, config.HiddenSize, hasBias: false);
        register_module("q_proj", QProj);
        register_module("k_proj", KProj);
        register_module("v_proj", VProj);
        register_module("o_proj", OProj);
    }

    public LoraLinear QProj { get; }
    public LoraLinear KProj { get; }
    public LoraLinear VProj { get; }
    public LoraLinear OProj { get; }

    public override Tensor forward(Tensor input)
    {
        long batch = input.shape[0], seq = input.shape[1];
        using var q0 = QProj.forward(input).view(batch, seq, numHeads, headDim).transpose(1, 2);
        using var k0 = KProj.forward(input).view(batch, seq, numKvHeads, headDim).transpose(1, 2);
        using var v0 = VProj.forward(input).view(batch, seq, numKvHeads, headDim).transpose(1, 2);
        using var q = rotary.Apply(q0);
        using var k1 = rotary.Apply(k0);
        var groups = numHeads / numKvHeads;
        // Query head h reads KV head h / groups, as Hugging Face's repeat_kv and llama.cpp do.
        using var k = groups == 1 ? k1.alias() : k1.repeat_interleave(groups, dim: 1);
        using var v = groups == 1 ? v0.alias() : v0.repeat_interleave(groups, dim: 1);
        using var attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        using var merged = attended.transpose(1, 2).reshape(batch, seq, numHeads * headDim);
        return OProj.forward(merged);
    }
}
