using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace LlmOps.Inference.Remote;

/// <summary>Any OpenAI-compatible upstream (OpenAI, vLLM, llama-server, another LlmOps) by URL and key, as an <see cref="IChatClient"/>.</summary>
public static class RemoteChatClient
{
    /// <summary>A chat client for <paramref name="model"/> at <paramref name="endpoint"/> (the base URL ending in <c>/v1</c>).</summary>
    public static IChatClient Create(Uri endpoint, string? apiKey, string model, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        return new LogitBiasForwarding(Client(endpoint, apiKey, timeout).GetChatClient(model).AsIChatClient());
    }

    /// <summary>An embedding generator for <paramref name="model"/> at <paramref name="endpoint"/>.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddings(Uri endpoint, string? apiKey, string model, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        return Client(endpoint, apiKey, timeout).GetEmbeddingClient(model).AsIEmbeddingGenerator();
    }

    static OpenAIClient Client(Uri endpoint, string? apiKey, TimeSpan? timeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Scheme is not ("http" or "https")) throw new InvalidInputException("sourceUri", $"'{endpoint}' is not an http(s) URL.");
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = timeout ?? TimeSpan.FromSeconds(100),
            // The gateway has its own fallback chain: retrying here would only delay it.
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        };
        // Upstreams without auth still need a non-empty credential for the client library.
        return new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "none" : apiKey), options);
    }
}

/// <summary>OpenAI's <c>logit_bias</c> travels in <see cref="ChatOptions.AdditionalProperties"/> (the gateway's parse,
/// <see cref="LlamaCpp.SamplingSettings"/>); the OpenAI client sends it only from its own options.</summary>
internal sealed class LogitBiasForwarding(IChatClient inner) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithBias(options), cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithBias(options), cancellationToken);

    static ChatOptions? WithBias(ChatOptions? options)
    {
        if (options?.AdditionalProperties?.TryGetValue(LlamaCpp.SamplingSettings.LogitBiasKey, out var value) != true
            || value is not IReadOnlyDictionary<int, float> bias || bias.Count == 0) return options;
        var copy = options.Clone();
        var inner = options.RawRepresentationFactory;
        copy.RawRepresentationFactory = client =>
        {
            var raw = inner?.Invoke(client) as OpenAI.Chat.ChatCompletionOptions ?? new OpenAI.Chat.ChatCompletionOptions();
            foreach (var (token, amount) in bias) raw.LogitBiases[token] = (int)Math.Round(amount);
            return raw;
        };
        return copy;
    }
}
