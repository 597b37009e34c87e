using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace LlmOps.Tests.Inference;

/// <summary>Models load once per file hash, are shared, report their memory and unload when idle.</summary>
public sealed class LlamaModelCacheTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public async Task AcquireAsync_TwoClientsOneFile_LoadedOnceAndShared()
    {
        var time = new FakeTimeProvider();
        using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = 1, IdleUnloadAfter = TimeSpan.FromMinutes(5) }, time);
        var a = new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "a");
        var b = new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "b");
        var options = new ChatOptions { MaxOutputTokens = 1 };
        await Task.WhenAll(a.GetResponseAsync("hi", options), b.GetResponseAsync("hi", options));

        var loaded = Assert.Single(cache.Loaded);
        Assert.Equal(model.Sha256, loaded.Sha256);
        Assert.True(loaded.SizeInBytes > 100_000, $"{loaded.SizeInBytes} bytes");
        Assert.Equal(loaded.SizeInBytes, cache.LoadedBytes);
        Assert.Equal(0, loaded.ActiveLeases);
    }

    [Fact]
    public async Task UnloadIdle_AfterIdleTime_UnloadsOnlyUnleasedModels()
    {
        var time = new FakeTimeProvider();
        using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = 1, IdleUnloadAfter = TimeSpan.FromMinutes(5) }, time);
        var lease = await cache.AcquireAsync(model.ModelPath, model.Sha256);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Single(cache.Loaded);

        lease.Dispose();
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, cache.UnloadIdle());
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty(cache.Loaded);
        Assert.Equal(0, cache.LoadedBytes);

        using var again = await cache.AcquireAsync(model.ModelPath, model.Sha256);
        Assert.Single(cache.Loaded);
    }

    [Fact]
    public async Task AcquireAsync_MissingFile_NotFoundAndNotCached()
    {
        using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = 1 });
        await Assert.ThrowsAsync<NotFoundException>(() => cache.AcquireAsync("/nonexistent/model.gguf", new string('0', 64)));
        Assert.Empty(cache.Loaded);
    }
}
