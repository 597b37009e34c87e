using LlmOps.Training.Gguf;

namespace LlmOps.Tests.Inference;

/// <summary>Writes a tiny Llama GGUF with seeded random weights and a byte-level BPE vocabulary, without TorchSharp:
/// enough for llama.cpp to load and generate (gibberish) in a few milliseconds per token.</summary>
/// <remarks>Linked into the integration tests too, so both suites serve the same kind of model.</remarks>
public static class TinyGguf
{
    /// <summary>Writes the model to <paramref name="path"/>; the same seed gives the same bytes. The default shape is
    /// the tests' (64 wide, 2 layers); the serving benchmark writes larger ones.</summary>
    public static async Task WriteAsync(string path, int seed = 1, uint contextLength = 128, int hidden = 64, int layers = 2, int heads = 4, int kvHeads = 2, int intermediate = 128)
    {
        var tokenizer = Tokenizer();
        var vocab = tokenizer.Tokens.Count;
        var headDim = hidden / heads;
        var random = new Random(seed);
        var writer = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("general.name", "tiny")
            .Add("general.file_type", 0u)
            .Add("llama.context_length", contextLength)
            .Add("llama.embedding_length", (uint)hidden)
            .Add("llama.block_count", (uint)layers)
            .Add("llama.feed_forward_length", (uint)intermediate)
            .Add("llama.attention.head_count", (uint)heads)
            .Add("llama.attention.head_count_kv", (uint)kvHeads)
            .Add("llama.rope.dimension_count", (uint)headDim)
            .Add("llama.rope.freq_base", 10000f)
            .Add("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .Add("llama.vocab_size", (uint)vocab)
            .Add("tokenizer.ggml.model", tokenizer.Model)
            .Add("tokenizer.ggml.pre", tokenizer.PreTokenizer)
            .Add("tokenizer.ggml.tokens", tokenizer.Tokens)
            .Add("tokenizer.ggml.token_type", tokenizer.TokenTypes.Select(t => (int)t).ToArray())
            .Add("tokenizer.ggml.merges", tokenizer.Merges)
            .Add("tokenizer.ggml.bos_token_id", (uint)tokenizer.BosTokenId)
            .Add("tokenizer.ggml.eos_token_id", (uint)tokenizer.EosTokenId)
            .Add("tokenizer.ggml.add_bos_token", false);

        void Matrix(string name, long input, long output, double scale = 0.3) =>
            writer.AddTensor(name, [input, output], GgmlType.F32, GgufWriter.Encode(Random(random, input * output, scale), GgmlType.F32));
        void Norm(string name) => writer.AddTensor(name, [hidden], GgmlType.F32, GgufWriter.Encode(Enumerable.Repeat(1f, hidden).ToArray(), GgmlType.F32));

        Matrix("token_embd.weight", hidden, vocab, 1.0);
        for (var i = 0; i < layers; i++)
        {
            Norm($"blk.{i}.attn_norm.weight");
            Matrix($"blk.{i}.attn_q.weight", hidden, hidden);
            Matrix($"blk.{i}.attn_k.weight", hidden, kvHeads * headDim);
            Matrix($"blk.{i}.attn_v.weight", hidden, kvHeads * headDim);
            Matrix($"blk.{i}.attn_output.weight", hidden, hidden);
            Norm($"blk.{i}.ffn_norm.weight");
            Matrix($"blk.{i}.ffn_gate.weight", hidden, intermediate);
            Matrix($"blk.{i}.ffn_up.weight", hidden, intermediate);
            Matrix($"blk.{i}.ffn_down.weight", intermediate, hidden);
        }
        Norm("output_norm.weight");
        Matrix("output.weight", hidden, vocab);
        await writer.WriteAsync(path);
    }

    /// <summary>Writes a llama.cpp LoRA adapter for the default tiny shape: A and B on every attention Q and V projection
    /// (<c>blk.N.attn_q.weight.lora_a</c> is [in, rank] and <c>lora_b</c> [rank, out] in GGML order, as llama.cpp expects).
    /// <paramref name="bScale"/> 0 gives an adapter that changes nothing.</summary>
    public static async Task WriteLoraAsync(string path, int seed = 11, int rank = 4, float alpha = 8, double bScale = 1.0)
    {
        var random = new Random(seed);
        var writer = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("general.type", "adapter")
            .Add("adapter.type", "lora")
            .Add("adapter.lora.alpha", alpha);
        const int hidden = 64, kv = 2 * 16;
        for (var i = 0; i < 2; i++)
        {
            foreach (var (name, output) in new[] { ("attn_q", hidden), ("attn_v", kv) })
            {
                writer.AddTensor($"blk.{i}.{name}.weight.lora_a", [hidden, rank], GgmlType.F32, GgufWriter.Encode(Random(random, hidden * rank, 0.5), GgmlType.F32));
                writer.AddTensor($"blk.{i}.{name}.weight.lora_b", [rank, output], GgmlType.F32, GgufWriter.Encode(Random(random, rank * output, bScale), GgmlType.F32));
            }
        }
        await writer.WriteAsync(path);
    }

    /// <summary>The end-of-text token's id in the tiny vocabulary (its last token).</summary>
    public static int EndOfTextId => Tokenizer().EosTokenId;

    static float[] Random(Random random, long count, double scale)
    {
        var values = new float[count];
        for (var i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    static GgufTokenizer Tokenizer()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var tokens = new List<string>();
        var next = 256;
        for (var b = 0; b < 256; b++) tokens.Add(printable.Contains(b) ? ((char)b).ToString() : ((char)next++).ToString());
        string[] merges = ["t h", "th e", "Ġ th", "Ġth e", "i n", "a n", "e r"];
        tokens.AddRange(merges.Select(m => m.Replace(" ", "", StringComparison.Ordinal)));
        tokens.Add(GgufTokenizer.EndOfText);
        return GgufTokenizer.ByteLevelBpe(tokens, merges, [GgufTokenizer.EndOfText]);
    }
}
