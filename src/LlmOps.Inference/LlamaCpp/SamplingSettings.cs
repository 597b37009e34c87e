using Microsoft.Extensions.AI;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>One request's sampling, read from <see cref="ChatOptions"/> and checked against OpenAI's ranges.</summary>
public sealed record SamplingSettings(
    float Temperature,
    float TopP,
    int TopK,
    int MaxTokens,
    IReadOnlyList<string> Stop,
    uint Seed,
    float PresencePenalty,
    float FrequencyPenalty)
{
    /// <summary>Tokens generated when the request names no limit.</summary>
    public const int DefaultMaxTokens = 256;

    /// <summary>OpenAI accepts at most four stop sequences.</summary>
    public const int MaxStopSequences = 4;

    /// <summary>Reads and validates the options; throws <see cref="InvalidInputException"/> naming the OpenAI parameter at fault.</summary>
    public static SamplingSettings From(ChatOptions? options, Func<uint>? seedSource = null)
    {
        var temperature = options?.Temperature ?? 1f;
        if (float.IsNaN(temperature) || temperature is < 0 or > 2)
            throw new InvalidInputException("temperature", $"{temperature} is out of range; use 0 to 2.");
        var topP = options?.TopP ?? 1f;
        if (float.IsNaN(topP) || topP is <= 0 or > 1)
            throw new InvalidInputException("top_p", $"{topP} is out of range; use a value above 0 and at most 1.");
        var topK = options?.TopK ?? 0;
        if (topK < 0) throw new InvalidInputException("top_k", $"{topK} is negative; use 0 (off) or more.");
        var maxTokens = options?.MaxOutputTokens ?? DefaultMaxTokens;
        if (maxTokens < 1) throw new InvalidInputException("max_tokens", $"{maxTokens} must be at least 1.");
        var stop = options?.StopSequences ?? [];
        if (stop.Count > MaxStopSequences) throw new InvalidInputException("stop", $"{stop.Count} stop sequences; at most {MaxStopSequences}.");
        if (stop.Any(string.IsNullOrEmpty)) throw new InvalidInputException("stop", "a stop sequence is empty.");
        var presence = options?.PresencePenalty ?? 0f;
        if (float.IsNaN(presence) || presence is < -2 or > 2)
            throw new InvalidInputException("presence_penalty", $"{presence} is out of range; use -2 to 2.");
        var frequency = options?.FrequencyPenalty ?? 0f;
        if (float.IsNaN(frequency) || frequency is < -2 or > 2)
            throw new InvalidInputException("frequency_penalty", $"{frequency} is out of range; use -2 to 2.");
        // A request without a seed still gets a fixed one for its whole generation; unchecked keeps the low 32 bits.
        var seed = options?.Seed is { } s ? unchecked((uint)s) : (seedSource ?? RandomSeed)();
        return new SamplingSettings(temperature, topP, topK, maxTokens, [.. stop], seed, presence, frequency);
    }

    static uint RandomSeed() => (uint)Random.Shared.NextInt64(0, uint.MaxValue);
}
