using LLama;
using LLama.Common;
using LLama.Native;

namespace LlmOps.Tests.Training.Gguf;

/// <summary>Runs a GGUF file in real llama.cpp (LLamaSharp) with flash attention off and an F32 KV cache, optionally
/// with a LoRA adapter GGUF applied at load time (scale 1).</summary>
internal sealed class LlamaCppRunner : IDisposable
{
    private readonly LLamaWeights weights;
    private readonly ModelParams parameters;
    private readonly LoraAdapter? adapter;

    public LlamaCppRunner(string path, uint contextSize = 64, string? adapterPath = null)
    {
        parameters = new ModelParams(path)
        {
            ContextSize = contextSize,
            BatchSize = contextSize,
            UBatchSize = contextSize,
            GpuLayerCount = 0,
            Threads = 2,
            FlashAttention = false,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        weights = LLamaWeights.LoadFromFile(parameters);
        if (adapterPath is not null)
            adapter = weights.NativeHandle.LoadLoraFromFile(adapterPath);
    }

    private LLamaContext CreateContext()
    {
        var context = weights.CreateContext(parameters);
        if (adapter is { } a)
            context.NativeHandle.SetLoraAdapters([(a, 1f)]);
        return context;
    }

    public int VocabSize => weights.Vocab.Count;

    public int? EndOfSequence => weights.Vocab.EOS is { } eos ? (int)eos : null;

    public bool ShouldAddBos => weights.Vocab.ShouldAddBOS;

    /// <summary>llama.cpp's own tokenization of <paramref name="text"/> with the GGUF's vocabulary and merges.</summary>
    public int[] Tokenize(string text) =>
        [.. weights.Tokenize(text, add_bos: false, special: true, System.Text.Encoding.UTF8).Select(t => (int)t)];

    public bool IsEndOfGeneration(int token) => ((LLamaToken)token).IsEndOfGeneration(weights.Vocab);

    /// <summary>Logits for every position of <paramref name="ids"/> in one decode call.</summary>
    public float[,] Logits(IReadOnlyList<int> ids)
    {
        using var context = CreateContext();
        var batch = new LLamaBatch();
        for (var i = 0; i < ids.Count; i++)
            batch.Add(ids[i], i, LLamaSeqId.Zero, logits: true);
        var result = context.Decode(batch);
        Assert.Equal(DecodeResult.Ok, result);
        var vocab = VocabSize;
        var logits = new float[ids.Count, vocab];
        for (var i = 0; i < ids.Count; i++)
        {
            var row = context.NativeHandle.GetLogitsIth(i);
            for (var v = 0; v < vocab; v++)
                logits[i, v] = row[v];
        }
        return logits;
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> by incremental decoding with the KV cache.</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        using var context = CreateContext();
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Count; i++)
            batch.Add(prompt[i], i, LLamaSeqId.Zero, logits: i == prompt.Count - 1);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        var output = new List<int>();
        var position = prompt.Count;
        var logitIndex = prompt.Count - 1;
        for (var n = 0; n < count; n++)
        {
            var row = context.NativeHandle.GetLogitsIth(logitIndex);
            var next = ArgMax(row);
            output.Add(next);
            batch.Clear();
            batch.Add(next, position++, LLamaSeqId.Zero, logits: true);
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            logitIndex = 0;
        }
        return [.. output];
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var v = 1; v < row.Length; v++)
        {
            if (row[v] > row[best])
                best = v;
        }
        return best;
    }

    public void Dispose()
    {
        adapter?.Unload();
        weights.Dispose();
    }
}
