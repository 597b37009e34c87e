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
