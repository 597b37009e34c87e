using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmOps.Training.Gguf;

/// <summary>Maps Hugging Face Llama/Qwen2 parameter names to llama.cpp's GGUF tensor names and back.</summary>
public static partial class GgufTensorNames
{
    private static readonly (string Hf, string Gguf)[] LayerParts =
    [
        ("input_layernorm.weight", "attn_norm.weight"),
        ("self_attn.q_proj.weight", "attn_q.weight"),
        ("self_attn.q_proj.bias", "attn_q.bias"),
        ("self_attn.k_proj.weight", "attn_k.weight"),
        ("self_attn.k_proj.bias", "attn_k.bias"),
        ("self_attn.v_proj.weight", "attn_v.weight"),
        ("self_attn.v_proj.bias", "attn_v.bias"),
        ("self_attn.o_proj.weight", "attn_output.weight"),
        ("post_attention_layernorm.weight", "ffn_norm.weight"),
        ("mlp.gate_proj.weight", "ffn_gate.weight"),
        ("mlp.up_proj.weight", "ffn_up.weight"),
        ("mlp.down_proj.weight", "ffn_down.weight"),
    ];

    private static readonly (string Hf, string Gguf)[] GlobalNames =
    [
        ("model.embed_tokens.weight", "token_embd.weight"),
        ("model.norm.weight", "output_norm.weight"),
        ("lm_head.weight", "output.weight"),
    ];

    /// <summary>The GGUF name of a Hugging Face parameter name.</summary>
    public static string ToGguf(string hfName)
    {
        ArgumentNullException.ThrowIfNull(hfName);
        foreach (var (hf, gguf) in GlobalNames)
        {
            if (hf == hfName)
                return gguf;
        }
        var match = HfLayer().Match(hfName);
        if (match.Success)
        {
            foreach (var (hf, gguf) in LayerParts)
            {
                if (hf == match.Groups[2].Value)
                    return string.Create(CultureInfo.InvariantCulture, $"blk.{match.Groups[1].Value}.{gguf}");
            }
        }
        throw new ArgumentException($"No GGUF name for '{hfName}'.", nameof(hfName));
    }

    /// <summary>The Hugging Face name of a GGUF tensor name.</summary>
    public static string ToHuggingFace(string ggufName)
    {
        ArgumentNullException.ThrowIfNull(ggufName);
        foreach (var (hf, gguf) in GlobalNames)
        {
            if (gguf == ggufName)
                return hf;
        }
        var match = GgufLayer().Match(ggufName);
        if (match.Success)
        {
            foreach (var (hf, gguf) in LayerParts)
            {
                if (gguf == match.Groups[2].Value)
                    return string.Create(CultureInfo.InvariantCulture, $"model.layers.{match.Groups[1].Value}.{hf}");
            }
        }
        throw new ArgumentException($"No Hugging Face name for '{ggufName}'.", nameof(ggufName));
    }

    [GeneratedRegex(@"^model\.layers\.(\d+)\.(.+)$")]
    private static partial Regex HfLayer();

    [GeneratedRegex(@"^blk\.(\d+)\.(.+)$")]
    private static partial Regex GgufLayer();
}
