using System.Text.Json;
using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;

namespace LlmOps.Tests.Inference;

/// <summary>The llama.cpp runtime on a tiny GGUF: sampling, streaming, usage, limits, JSON grammars, cancellation.</summary>
public sealed class LlamaCppChatClientTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello there")];

    [Fact]
    public async Task GetResponseAsync_MaxTokens_StopsAtLimitWithUsage()
    {
        var response = await model.Client().GetResponseAsync(Hello, new ChatOptions { MaxOutputTokens = 4, Temperature = 0 });

        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.InputTokenCount > 3, $"prompt tokens {response.Usage.InputTokenCount}");
        Assert.InRange(response.Usage.OutputTokenCount!.Value, 1, 4);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        if (response.Usage.OutputTokenCount == 4) Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal("tiny", response.ModelId);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Greedy_SameTextAsNonStreaming()
    {
        var options = new ChatOptions { MaxOutputTokens = 6, Temperature = 0 };
        var whole = await model.Client().GetResponseAsync(Hello, options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in model.Client().GetStreamingResponseAsync(Hello, options)) updates.Add(update);

        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count >= 2, "text updates then a final one with usage");
        Assert.Contains(updates[^1].Contents, c => c is UsageContent);
        Assert.NotNull(updates[^1].FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_SameSeedHighTemperature_Reproducible()
    {
        var options = new ChatOptions { MaxOutputTokens = 8, Temperature = 1.5f, TopP = 0.95f, TopK = 50, Seed = 42, PresencePenalty = 0.5f, FrequencyPenalty = 0.5f };
        var first = await model.Client().GetResponseAsync(Hello, options);
        var second = await model.Client().GetResponseAsync(Hello, options);
        Assert.Equal(first.Text, second.Text);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("top_k")]
    [InlineData("max_tokens")]
    [InlineData("presence_penalty")]
    [InlineData("frequency_penalty")]
    [InlineData("stop")]
    public async Task GetResponseAsync_InvalidSampling_NamesTheParameter(string parameter)
    {
        var options = parameter switch
        {
            "temperature" => new ChatOptions { Temperature = 2.5f },
            "top_p" => new ChatOptions { TopP = 0 },
            "top_k" => new ChatOptions { TopK = -1 },
            "max_tokens" => new ChatOptions { MaxOutputTokens = 0 },
            "presence_penalty" => new ChatOptions { PresencePenalty = 3 },
            "frequency_penalty" => new ChatOptions { FrequencyPenalty = -3 },
            _ => new ChatOptions { StopSequences = ["a", "b", "c", "d", "e"] },
        };
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => model.Client().GetResponseAsync(Hello, options));
        Assert.Equal(parameter, error.Field);
    }

    [Fact]
    public async Task GetResponseAsync_PromptLongerThanContext_InvalidInput()
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() =>
            model.Client().GetResponseAsync([new ChatMessage(ChatRole.User, new string('x', 400))], new ChatOptions { MaxOutputTokens = 2 }));
        Assert.Equal("messages", error.Field);
        Assert.Contains("context", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_JsonSchema_OutputAlwaysParses()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{"ok":{"type":"boolean"},"size":{"enum":["small","large"]},"n":{"type":"integer"}}}
            """).RootElement;
        for (var seed = 0; seed < 5; seed++)
        {
            var response = await model.Client().GetResponseAsync(Hello, new ChatOptions
            {
                MaxOutputTokens = 90, Temperature = 1, Seed = seed, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "answer"),
            });
            Assert.True(response.FinishReason == ChatFinishReason.Stop, $"[{response.Text}] {response.FinishReason}");
            using var parsed = JsonDocument.Parse(response.Text);
            Assert.Contains(parsed.RootElement.GetProperty("ok").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
            Assert.Contains(parsed.RootElement.GetProperty("size").GetString(), new[] { "small", "large" });
            Assert.Equal(JsonValueKind.Number, parsed.RootElement.GetProperty("n").ValueKind);
        }
    }

    [Fact]
    public void JsonSchemaGrammar_Pattern_RefusedNamingIt()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"id":{"type":"string","pattern":"^[a-z]+$"}}}""").RootElement;
        var error = Assert.Throws<InvalidInputException>(() => JsonSchemaGrammar.Convert(schema));
        Assert.Equal("response_format", error.Field);
        Assert.Contains("pattern", error.Message, StringComparison.Ordinal);
        Assert.Contains("$.id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Cancelled_FreesTheSlot()
    {
        using var cts = new CancellationTokenSource();
        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in model.Client().GetStreamingResponseAsync(Hello, new ChatOptions { MaxOutputTokens = 100, Temperature = 1, Seed = 3 }, cts.Token))
            {
                if (++received == 2) await cts.CancelAsync();
            }
        });
        var loaded = await model.Cache.AcquireAsync(model.ModelPath, model.Sha256);
        using (loaded)
        {
            Assert.Equal(2, loaded.Model.Slots.CurrentCount);
        }
    }

    [Fact]
    public void StopSequenceFilter_StopAcrossChunks_CutsBeforeIt()
    {
        var filter = new StopSequenceFilter(["END"]);
        Assert.Equal(("abc", false), filter.Push("abcE"));
        Assert.Equal(("", false), filter.Push("N"));
        Assert.Equal(("", true), filter.Push("Dxyz"));
        var other = new StopSequenceFilter(["END"]);
        Assert.Equal(("ab", false), other.Push("abE"));
        Assert.Equal(("Ex", false), other.Push("x"));
    }
}
