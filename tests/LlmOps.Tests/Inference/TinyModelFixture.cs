using LlmOps.Inference.LlamaCpp;

namespace LlmOps.Tests.Inference;

/// <summary>One tiny GGUF on disk and one model cache for the llama.cpp tests of a class.</summary>
public sealed class TinyModelFixture : IAsyncLifetime
{
    readonly string folder = Path.Combine(Path.GetTempPath(), "llmops-inference", Guid.NewGuid().ToString("N"));

    public string ModelPath { get; private set; } = "";
    public string Sha256 { get; private set; } = "";
    public LlamaModelCache Cache { get; } = new(new LlamaCppOptions { Threads = 1, MaxConcurrentRequests = 2 });

    public LlamaCppChatClient Client() => new(Cache, ModelPath, Sha256, "tiny");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(folder);
        ModelPath = Path.Combine(folder, "tiny.gguf");
        await TinyGguf.WriteAsync(ModelPath);
        Sha256 = await LlamaModelCache.HashFileAsync(ModelPath);
    }

    public Task DisposeAsync()
    {
        Cache.Dispose();
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { /* best effort */ }
        return Task.CompletedTask;
    }
}
