using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;

namespace LlmOps.Tests.Inference;

/// <summary>Continuous batching: requests share one llama.cpp context as sequences, give the same greedy text as a
/// request alone, join while others generate, and leave (freeing their slot) when done or cancelled.</summary>
public sealed class ContinuousBatchingTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello there")];

    [Fact]
    public async Task Greedy_BatchedAndAlone_SameText()
    {
        using var alone = new LlamaModelCache(new LlamaCppOptions { Threads = 1, ContinuousBatching = false });
        var options = new ChatOptions { MaxOutputTokens = 8, Temperature = 0 };
        var expected = await new LlamaCppChatClient(alone, model.ModelPath, model.Sha256, "tiny").GetResponseAsync(Hello, options);
        var batched = await model.Client().GetResponseAsync(Hello, options);
        Assert.Equal(expected.Text, batched.Text);
        Assert.Equal(expected.Usage!.OutputTokenCount, batched.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task ConcurrentRequests_DecodedTogether_EachGetsItsOwnGreedyText()
    {
        using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = 1, MaxConcurrentRequests = 4 });
        var client = new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "tiny");
        var prompts = new[] { "the cat", "and then", "hello there", "of the" };
        var options = new ChatOptions { MaxOutputTokens = 12, Temperature = 0 };
        var solo = new List<string>();
        foreach (var p in prompts) solo.Add((await client.GetResponseAsync(p, options)).Text);

        var together = await Task.WhenAll(prompts.Select(p => client.GetResponseAsync(p, options)));

        Assert.Equal(solo, together.Select(r => r.Text));
        using var lease = await cache.AcquireAsync(model.ModelPath, model.Sha256);
        Assert.True(lease.Model.PeakBatchedSequences >= 2, $"at most {lease.Model.PeakBatchedSequences} sequences were in the batch at once");
    }

    [Fact]
    public async Task CancelledStream_LeavesTheBatchAndFreesItsSlot()
    {
        using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = 1, MaxConcurrentRequests = 1 });
        var client = new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "tiny");
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Hello, new ChatOptions { MaxOutputTokens = 100, Temperature = 1, Seed = 5 }, cts.Token))
            {
                if (update.Text.Length > 0) await cts.CancelAsync();
            }
        });
        // The only slot is free again: a second request runs at once.
        var next = await client.GetResponseAsync(Hello, new ChatOptions { MaxOutputTokens = 2 }).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(next.Usage);
        using var lease = await cache.AcquireAsync(model.ModelPath, model.Sha256);
        for (var i = 0; i < 100 && lease.Model.BatchedSequences > 0; i++) await Task.Delay(10);
        Assert.Equal(0, lease.Model.BatchedSequences);
    }
}
