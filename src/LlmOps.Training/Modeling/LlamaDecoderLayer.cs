using TorchSharp;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>Pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, Tensor>
{
    public LlamaDecoderLayer(LlamaConfig config, RotaryEmbedding rotary)
        : base(nameof(LlamaDecoderLayer))
    {
        ArgumentNullException.ThrowIfNull(config);
        InputLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        SelfAttention = new LlamaAttention(config, rotary);
        PostAttentionLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        Mlp = new LlamaMlp(config);
        register_module("input_layernorm", InputLayerNorm);
        register_module("self_attn", SelfAttention);
        register_module("post_attention_layernorm", PostAttentionLayerNorm);
        register_module("mlp", Mlp);
    }

    public RmsNorm InputLayerNorm { get; }
    public LlamaAttention SelfAttention { get; }
    public RmsNorm PostAttentionLayerNorm { get; }
    public LlamaMlp Mlp { get; }

    public override Tensor forward(Tensor input)
    {
        using var normed = InputLayerNorm.forward(input);
        using var attended = SelfAttention.forward(normed);
        using var hidden = input + attended;
        using var normed2 = PostAttentionLayerNorm.forward(hidden);
        using var mlp = Mlp.forward(normed2);
        return hidden + mlp;
    }
}
