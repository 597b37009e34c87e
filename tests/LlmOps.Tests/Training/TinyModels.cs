using LlmOps.Training.Modeling;

namespace LlmOps.Tests.Training;

/// <summary>Tiny model shapes that keep the training tests fast on two CPU cores.</summary>
internal static class TinyModels
{
    public static LlamaConfig Config(int vocab = 300, bool tied = false, int kvHeads = 2, string architecture = LlamaConfig.LlamaArchitecture) => new()
    {
        VocabSize = vocab,
        HiddenSize = 64,
        NumLayers = 2,
        NumHeads = 4,
        NumKvHeads = kvHeads,
        IntermediateSize = 128,
        ContextLength = 64,
        RopeTheta = 10000,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = tied,
        AttentionBias = architecture == LlamaConfig.Qwen2Architecture,
        Architecture = architecture,
    };

    /// <summary>
    /// Multiplies every matrix by <paramref name="factor"/>: a fresh model's logits are near zero (std 0.02 weights),
    /// which would let a parity test pass on noise; scaled weights give logits of order one.
    /// </summary>
    public static LlamaForCausalLM Sharpen(LlamaForCausalLM model, double factor = 10)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        foreach (var (_, parameter) in model.named_parameters())
        {
            if (parameter.dim() == 2)
                parameter.mul_(factor);
        }
        return model;
    }

    /// <summary>A tiny model trained for a few steps on <see cref="TinyCorpus"/>, so its predictions are confident rather than random.</summary>
    public static async Task<LlamaForCausalLM> TrainedAsync(int steps = 40, long seed = 1)
    {
        var model = LlamaForCausalLM.Create(Config(), seed);
        var options = new LlmOps.Training.Trainers.TrainerOptions { SequenceLength = 32, MicroBatchSize = 8, MaxSteps = steps, LearningRate = 5e-3, WarmupSteps = 3, Seed = seed };
        await new LlmOps.Training.Trainers.CausalLmTrainer(model, options)
            .TrainAsync(new LlmOps.Training.Trainers.PackedTokenDataset(TinyCorpus.Documents(80, seed: 1), 32, TinyCorpus.EndOfText));
        return model;
    }

    public static float MaxAbs(float[,] a) => a.Cast<float>().Max(Math.Abs);

    public static float MaxAbsDiff(float[,] a, float[,] b)
    {
        Assert.Equal(a.GetLength(0), b.GetLength(0));
        Assert.Equal(a.GetLength(1), b.GetLength(1));
        var max = 0f;
        for (var i = 0; i < a.GetLength(0); i++)
            for (var j = 0; j < a.GetLength(1); j++)
                max = Math.Max(max, Math.Abs(a[i, j] - b[i, j]));
        return max;
    }
}
