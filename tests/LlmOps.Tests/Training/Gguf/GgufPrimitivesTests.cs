using LlmOps.Training.Gguf;
using static TorchSharp.torch;

namespace LlmOps.Tests.Training.Gguf;

public sealed class GgufPrimitivesTests
{
    [Fact]
    public void Q8ZeroQuantize_ThenDequantize_IsWithinAboutHalfAStepOfEachBlockScale()
    {
        var random = new Random(1);
        var values = Enumerable.Range(0, 128).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        var restored = Q8Zero.Dequantize(Q8Zero.Quantize(values), values.Length);

        for (var b = 0; b < 4; b++)
        {
            var block = values.AsSpan(b * 32, 32);
            var step = block.ToArray().Max(Math.Abs) / 127f;
            for (var j = 0; j < 32; j++)
                // Half a step from rounding, plus 127 times the fp16 rounding of the scale (2^-11 relative).
                Assert.True(Math.Abs(block[j] - restored[b * 32 + j]) <= step * (0.5f + 127f / 2048f));
        }
    }

    [Fact]
    public void Q8ZeroQuantize_BlockOfZeros_HasZeroScaleAndValues()
    {
        var bytes = Q8Zero.Quantize(new float[32]);

        Assert.Equal(34, bytes.Length);
        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void PermuteForInterleavedRope_ThenUnpermute_RestoresTheWeight()
    {
        using var weight = arange(8 * 4 * 3, ScalarType.Float32).reshape(8 * 4, 3);

        using var permuted = GgufModelExporter.PermuteForInterleavedRope(weight, heads: 4);
        using var restored = GgufModelExporter.UnpermuteFromInterleavedRope(permuted, heads: 4);

        Assert.False(permuted.eq(weight).all().item<bool>());
        Assert.True(restored.eq(weight).all().item<bool>());
        // Head 0 (dim 8): rotate-half pairs (0,4),(1,5).. become adjacent rows 0,1 / 2,3 ...
        Assert.Equal(4 * 3f, permuted[1, 0].item<float>());
    }

    [Theory]
    [InlineData("model.embed_tokens.weight", "token_embd.weight")]
    [InlineData("model.layers.3.self_attn.k_proj.bias", "blk.3.attn_k.bias")]
    [InlineData("model.layers.10.mlp.down_proj.weight", "blk.10.ffn_down.weight")]
    [InlineData("model.layers.0.post_attention_layernorm.weight", "blk.0.ffn_norm.weight")]
    [InlineData("lm_head.weight", "output.weight")]
    public void GgufTensorNames_BothDirections_AreInverse(string hf, string gguf)
    {
        Assert.Equal(gguf, GgufTensorNames.ToGguf(hf));
        Assert.Equal(hf, GgufTensorNames.ToHuggingFace(gguf));
    }

    [Fact]
    public void ByteLevelBpe_SpecialToken_IsControlAndBosEosPointToIt()
    {
        var tokenizer = TinyTokenizer.Create();

        Assert.Equal(272, tokenizer.Tokens.Count);
        Assert.Equal(271, tokenizer.EosTokenId);
        Assert.Equal(GgufTokenType.Control, tokenizer.TokenTypes[271]);
        Assert.Equal(GgufTokenType.Normal, tokenizer.TokenTypes[32]);
        Assert.Equal("Ġ", tokenizer.Tokens[32]);
    }
}
