using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>
/// Rotary position embedding in Hugging Face Llama's rotate-half layout: the first and second halves of
/// each head are the two coordinates of each rotated pair.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor cos;
    private readonly Tensor sin;

    public RotaryEmbedding(int headDim, int maxPositions, double theta)
    {
        // float64 for the angles, then float32, so that long contexts keep their precision.
        using var exponents = arange(0, headDim, 2, ScalarType.Float64) / headDim;
        using var invFreq = pow(theta, exponents).reciprocal_();
        using var positions = arange(maxPositions, ScalarType.Float64);
        using var freqs = outer(positions, invFreq);
        using var emb = cat([freqs, freqs], -1);
        cos = emb.cos().to(ScalarType.Float32);
        sin = emb.sin().to(ScalarType.Float32);
    }

    /// <summary>Rotates <paramref name="x"/> of shape [batch, heads, seq, headDim] for positions 0..seq-1.</summary>
    public Tensor Apply(Tensor x)
    {
        var seq = x.shape[2];
        if (seq > cos.shape[0])
            throw new ArgumentException($"Sequence length {seq} exceeds the context length {cos.shape[0]}.", nameof(x));
        using var c = cos.narrow(0, 0, seq);
        using var s = sin.narrow(0, 0, seq);
        var half = x.shape[3] / 2;
        using var x1 = x.narrow(-1, 0, half);
        using var x2 = x.narrow(-1, half, half);
        using var negX2 = x2.neg();
        using var rotated = cat([negX2, x1], -1);
        using var a = x * c;
        using var b = rotated * s;
        return a + b;
    }

    public void Dispose()
    {
        cos.Dispose();
        sin.Dispose();
    }
}
