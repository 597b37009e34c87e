using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;

namespace LlmOps.Tests.Inference;

/// <summary>LoRA adapters (llama.cpp adapter GGUF) applied over a shared base model, batched or alone.</summary>
public sealed class LoraAdapterServingTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>, IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("llmops-lora").FullName;

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { /* best effort */ }
    }

    async Task<LoraFile> AdapterAsync(string name, double bScale)
    {
        var path = Path.Combine(folder, name);
        await TinyGguf.WriteLoraAsync(path, bScale: bScale);
        return new LoraFile(path, await LlamaModelCache.HashFileAsync(path));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Adapter_ChangesGreedyOutput_ZeroAdapterDoesNot(bool batching)
    {
        using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = 1, ContinuousBatching = batching });
        var options = new ChatOptions { MaxOutputTokens = 12, Temperature = 0 };
        var baseText = (await new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "tiny").GetResponseAsync("hello there", options)).Text;
        var zero = await AdapterAsync("zero.gguf", 0);
        var strong = await AdapterAsync("strong.gguf", 2.0);

        var zeroText = (await new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "tiny+zero", zero).GetResponseAsync("hello there", options)).Text;
        var strongText = (await new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "tiny+strong", strong).GetResponseAsync("hello there", options)).Text;
        var baseAgain = (await new LlamaCppChatClient(cache, model.ModelPath, model.Sha256, "tiny").GetResponseAsync("hello there", options)).Text;

        Assert.Equal(baseText, zeroText);
        Assert.NotEqual(baseText, strongText);
        Assert.Equal(baseText, baseAgain);
        Assert.Single(cache.Loaded);
    }
}
