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
    // TorchSharp also registers fields by reflection: fields carry the Hugging Face names, properties have none.
#pragma warning disable IDE1006, SA1300 // Naming: field names are the modules' names in checkpoints.
    private readonly LoraLinear q_proj;
    private readonly LoraLinear k_proj;
    private readonly LoraLinear v_proj;
    private readonly LoraLinear o_proj;
#pragma warning restore IDE1006, SA1300

    public LlamaAttention(LlamaConfig config, RotaryEmbedding rotary)
        : base(nameof(LlamaAttention))
    {
        ArgumentNullException.ThrowIfNull(config);
        numHeads = config.NumHeads;
        numKvHeads = config.NumKvHeads;
        headDim = config.HeadDim;
        this.rotary = rotary;
        q_proj = new LoraLinear(config.HiddenSize, numHeads * headDim, config.AttentionBias);
        k_proj = new LoraLinear(config.HiddenSize, numKvHeads * headDim, config.AttentionBias);
        v_proj = new LoraLinear(config.HiddenSize, numKvHeads * headDim, config.AttentionBias);
        o_proj = new LoraLinear(numHeads * headDim, config.HiddenSize, hasBias: false);
        register_module("q_proj", q_proj);
        register_module("k_proj", k_proj);
        register_module("v_proj", v_proj);
        register_module("o_proj", o_proj);
    }

    public LoraLinear QProj => q_proj;
    public LoraLinear KProj => k_proj;
    public LoraLinear VProj => v_proj;
    public LoraLinear OProj => o_proj;

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
