using System.Buffers.Binary;

namespace LlmOps.Training.Gguf;

/// <summary>GGML's Q8_0 block quantisation: per 32 values an fp16 scale amax/127 and 32 rounded int8s.</summary>
public static class Q8Zero
{
    /// <summary>Quantises <paramref name="values"/> (length a multiple of 32) exactly as llama.cpp's quantize_row_q8_0_ref.</summary>
    public static byte[] Quantize(ReadOnlySpan<float> values)
    {
        if (values.Length % GgufFormat.Q8BlockSize != 0)
            throw new ArgumentException("Q8_0 needs a multiple of 32 values per row.", nameof(values));
        var blocks = values.Length / GgufFormat.Q8BlockSize;
        var output = new byte[blocks * GgufFormat.Q8BlockBytes];
        for (var b = 0; b < blocks; b++)
        {
            var block = values.Slice(b * GgufFormat.Q8BlockSize, GgufFormat.Q8BlockSize);
            var amax = 0f;
            foreach (var v in block)
                amax = Math.Max(amax, Math.Abs(v));
            var d = amax / 127f;
            var id = d != 0 ? 1f / d : 0f;
            var o = b * GgufFormat.Q8BlockBytes;
            BinaryPrimitives.WriteHalfLittleEndian(output.AsSpan(o, 2), (Half)d);
            for (var j = 0; j < GgufFormat.Q8BlockSize; j++)
                output[o + 2 + j] = unchecked((byte)(sbyte)MathF.Round(block[j] * id, MidpointRounding.AwayFromZero));
        }
        return output;
    }

    /// <summary>Expands Q8_0 blocks back to floats (scale times int8).</summary>
    public static float[] Dequantize(ReadOnlySpan<byte> data, long count)
    {
        var output = new float[count];
        var blocks = count / GgufFormat.Q8BlockSize;
        for (var b = 0; b < blocks; b++)
        {
            var o = (int)(b * GgufFormat.Q8BlockBytes);
            var d = (float)BinaryPrimitives.ReadHalfLittleEndian(data.Slice(o, 2));
            for (var j = 0; j < GgufFormat.Q8BlockSize; j++)
                output[b * GgufFormat.Q8BlockSize + j] = d * unchecked((sbyte)data[o + 2 + j]);
        }
        return output;
    }
}
