using System.Globalization;

namespace LlmOps.Training.Modeling;

/// <summary>Shape of a Llama-architecture decoder (also Qwen2, which adds biases to the Q/K/V projections).</summary>
public sealed record LlamaConfig
{
    /// <summary>GGUF architecture name for plain Llama models.</summary>
    public const string LlamaArchitecture = "llama";

    /// <summary>GGUF architecture name for Qwen2 models (Q/K/V bias, rotate-half RoPE in llama.cpp).</summary>
    public const string Qwen2Architecture = "qwen2";

    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int NumLayers { get; init; } = 32;
    public int NumHeads { get; init; } = 32;
    public int NumKvHeads { get; init; } = 32;
    public int IntermediateSize { get; init; } = 11008;
    public double RopeTheta { get; init; } = 10000.0;
    public double RmsNormEps { get; init; } = 1e-5;
    public int ContextLength { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Bias on the Q, K and V projections (Qwen2).</summary>
    public bool AttentionBias { get; init; }

    /// <summary><see cref="LlamaArchitecture"/> or <see cref="Qwen2Architecture"/>.</summary>
    public string Architecture { get; init; } = LlamaArchitecture;

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        static void Require(bool condition, string message)
        {
            if (!condition)
                throw new ArgumentException(message);
        }

        Require(VocabSize > 0, "VocabSize must be positive.");
        Require(HiddenSize > 0 && NumHeads > 0 && HiddenSize % NumHeads == 0, "HiddenSize must be a positive multiple of NumHeads.");
        Require(HeadDim % 2 == 0, "The head dimension (HiddenSize / NumHeads) must be even for rotary embeddings.");
        Require(NumKvHeads > 0 && NumHeads % NumKvHeads == 0, "NumHeads must be a multiple of NumKvHeads.");
        Require(NumLayers > 0, "NumLayers must be positive.");
        Require(IntermediateSize > 0, "IntermediateSize must be positive.");
        Require(ContextLength > 0, "ContextLength must be positive.");
        Require(RopeTheta > 0 && RmsNormEps > 0, "RopeTheta and RmsNormEps must be positive.");
        Require(Architecture is LlamaArchitecture or Qwen2Architecture,
            string.Format(CultureInfo.InvariantCulture, "Architecture '{0}' is not supported (llama, qwen2).", Architecture));
    }
}
