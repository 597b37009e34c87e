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
    float FrequencyPenalty,
    IReadOnlyDictionary<int, float> LogitBias,
    bool IgnoreEos)
{
    /// <summary>Key in <see cref="ChatOptions.AdditionalProperties"/>: OpenAI's <c>logit_bias</c>, token id → bias added to its logit
    /// (an <see cref="IReadOnlyDictionary{TKey, TValue}"/> of int → float).</summary>
    public const string LogitBiasKey = "logit_bias";

    /// <summary>Key in <see cref="ChatOptions.AdditionalProperties"/>: <c>ignore_eos</c> as llama-server and vLLM take it — end-of-generation
    /// tokens are never sampled, so generation runs to <c>max_tokens</c> (benchmarks, load tests).</summary>
    public const string IgnoreEosKey = "ignore_eos";

    /// <summary>OpenAI's range for a logit bias.</summary>
    public const float MaxLogitBias = 100;

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
        var bias = options?.AdditionalProperties?.TryGetValue(LogitBiasKey, out var b) == true ? b : null;
        var logitBias = bias switch
        {
            null => new Dictionary<int, float>(),
            IReadOnlyDictionary<int, float> map => map,
            _ => throw new InvalidInputException("logit_bias", "must map token ids to numbers."),
        };
        foreach (var (token, value) in logitBias)
        {
            if (token < 0) throw new InvalidInputException("logit_bias", $"token id {token} is negative.");
            if (float.IsNaN(value) || value is < -MaxLogitBias or > MaxLogitBias)
                throw new InvalidInputException("logit_bias", $"the bias {value} for token {token} is out of range; use -100 to 100.");
        }
        var ignoreEos = options?.AdditionalProperties?.TryGetValue(IgnoreEosKey, out var i) == true && i is true;
        // A request without a seed still gets a fixed one for its whole generation; unchecked keeps the low 32 bits.
        var seed = options?.Seed is { } s ? unchecked((uint)s) : (seedSource ?? RandomSeed)();
        return new SamplingSettings(temperature, topP, topK, maxTokens, [.. stop], seed, presence, frequency, logitBias, ignoreEos);
    }

    static uint RandomSeed() => (uint)Random.Shared.NextInt64(0, uint.MaxValue);
}
