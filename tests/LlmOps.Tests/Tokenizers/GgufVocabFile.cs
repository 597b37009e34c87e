using System.Text;
using LlmOps.Tokenizers;

namespace LlmOps.Tests.Tokenizers;

/// <summary>Writes a vocab-only GGUF v3 file (metadata, no tensors) for a byte-level BPE, as llama.cpp's gpt2 tokenizer reads it.</summary>
/// <remarks>Test-only: the model writer belongs to LlmOps.Training; this carries just what the tokenizer needs plus the llama hyper-parameters llama.cpp requires to open any model.</remarks>
internal static class GgufVocabFile
{
    private const uint TypeUInt32 = 4, TypeInt32 = 5, TypeFloat32 = 6, TypeString = 8, TypeArray = 9;

    public static void Write(string path, ByteLevelBpe bpe, string endOfText = "<|endoftext|>")
    {
        var tokens = bpe.Vocab.OrderBy(p => p.Value).Select(p => p.Key).ToArray();
        for (var i = 0; i < tokens.Length; i++)
        {
            if (bpe.Vocab[tokens[i]] != i)
                throw new InvalidOperationException("GGUF needs contiguous ids");
        }
        var special = bpe.SpecialTokens.ToHashSet(StringComparer.Ordinal);
        var eos = (uint)bpe.Vocab[endOfText];
        var kvs = new List<Action<BinaryWriter>>
        {
            w => Str(w, "general.architecture", "llama"),
            w => U32(w, "llama.context_length", 128),
            w => U32(w, "llama.embedding_length", 64),
            w => U32(w, "llama.block_count", 1),
            w => U32(w, "llama.feed_forward_length", 128),
            w => U32(w, "llama.attention.head_count", 4),
            w => U32(w, "llama.attention.head_count_kv", 4),
            w => U32(w, "llama.rope.dimension_count", 16),
            w => F32(w, "llama.rope.freq_base", 10000f),
            w => F32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f),
            w => U32(w, "llama.vocab_size", (uint)tokens.Length),
            w => Str(w, "tokenizer.ggml.model", "gpt2"),
            w => Str(w, "tokenizer.ggml.pre", "gpt-2"),
            w => StrArray(w, "tokenizer.ggml.tokens", tokens),
            w => I32Array(w, "tokenizer.ggml.token_type", tokens.Select(t => special.Contains(t) ? 3 : 1).ToArray()),
            w => StrArray(w, "tokenizer.ggml.merges", bpe.Merges.Select(m => m.Left + " " + m.Right).ToArray()),
            w => U32(w, "tokenizer.ggml.bos_token_id", eos),
            w => U32(w, "tokenizer.ggml.eos_token_id", eos),
        };
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write("GGUF"u8);
        writer.Write(3u);
        writer.Write(0UL); // tensors
        writer.Write((ulong)kvs.Count);
        foreach (var kv in kvs)
            kv(writer);
        while (stream.Position % 32 != 0)
            writer.Write((byte)0);
    }

    private static void String(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void Str(BinaryWriter w, string key, string value)
    {
        String(w, key);
        w.Write(TypeString);
        String(w, value);
    }

    private static void U32(BinaryWriter w, string key, uint value)
    {
        String(w, key);
        w.Write(TypeUInt32);
        w.Write(value);
    }

    private static void F32(BinaryWriter w, string key, float value)
    {
        String(w, key);
        w.Write(TypeFloat32);
        w.Write(value);
    }

    private static void StrArray(BinaryWriter w, string key, string[] values)
    {
        String(w, key);
        w.Write(TypeArray);
        w.Write(TypeString);
        w.Write((ulong)values.Length);
        foreach (var v in values)
            String(w, v);
    }

    private static void I32Array(BinaryWriter w, string key, int[] values)
    {
        String(w, key);
        w.Write(TypeArray);
        w.Write(TypeInt32);
        w.Write((ulong)values.Length);
        foreach (var v in values)
            w.Write(v);
    }
}
