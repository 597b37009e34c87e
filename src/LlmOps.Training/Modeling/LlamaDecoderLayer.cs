using TorchSharp;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>Pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, Tensor>
{
    // TorchSharp also registers fields by reflection: fields carry the Hugging Face names, properties have none.
#pragma warning disable IDE1006, SA1300 // Naming: field names are the modules' names in checkpoints.
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LlamaMlp mlp;
#pragma warning restore IDE1006, SA1300

    public LlamaDecoderLayer(LlamaConfig config, RotaryEmbedding rotary)
        : base(nameof(LlamaDecoderLayer))
    {
        ArgumentNullException.ThrowIfNull(config);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        self_attn = new LlamaAttention(config, rotary);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        mlp = new LlamaMlp(config);
        register_module("input_layernorm", input_layernorm);
        register_module("self_attn", self_attn);
        register_module("post_attention_layernorm", post_attention_layernorm);
        register_module("mlp", mlp);
    }

    public RmsNorm InputLayerNorm => input_layernorm;
    public LlamaAttention SelfAttention => self_attn;
    public RmsNorm PostAttentionLayerNorm => post_attention_layernorm;
    public LlamaMlp Mlp => mlp;

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
