using Microsoft.Extensions.AI;

namespace LlmOps.Tests.Evaluation;

/// <summary>A hand-written model at the edge of the tests: answers each prompt with a function of it and counts calls.</summary>
internal sealed class ScriptedChatClient(Func<string, string> answer) : IChatClient
{
    int calls;

    public int Calls => Volatile.Read(ref calls);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref calls);
        var prompt = messages.Last().Text ?? "";
        var text = answer(prompt);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = new UsageDetails { InputTokenCount = prompt.Length, OutputTokenCount = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
