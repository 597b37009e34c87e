using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmOps.Server.Gateway;
using OpenAI.Chat;

namespace LlmOps.IntegrationTests.Gateway;

/// <summary><c>/v1/embeddings</c> on the builtin all-MiniLM-L6-v2 through the official OpenAI client.</summary>
public sealed class EmbeddingsTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public async Task Embeddings_OpenAiClient_384DimensionsAndSimilarTextsCloser()
    {
        var model = await gateway.DeployAsync("emb", GatewayFixture.Serve(gateway.MiniLm));
        var result = await gateway.OpenAi().GetEmbeddingClient(model).GenerateEmbeddingsAsync(["a cat sits on the mat", "a kitten is sitting on a rug", "quarterly tax report for the board"]);
        var vectors = result.Value.Select(e => e.ToFloats().ToArray()).ToArray();

        Assert.All(vectors, v => Assert.Equal(384, v.Length));
        Assert.True(Cosine(vectors[0], vectors[1]) > Cosine(vectors[0], vectors[2]) + 0.2,
            $"cat/kitten {Cosine(vectors[0], vectors[1]):0.00}, cat/tax {Cosine(vectors[0], vectors[2]):0.00}");
        Assert.True(result.Value.Usage.InputTokenCount > 10);
        Assert.Equal("minilm/1", result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
    }

    [Fact]
    public async Task Embeddings_FloatFormat_SameVectorAsBase64()
    {
        var model = await gateway.DeployAsync("emb-float", GatewayFixture.Serve(gateway.MiniLm));
        using var http = gateway.Server.Client(gateway.Server.GatewayOnlyKey);
        var response = await http.PostAsync("/v1/embeddings", new StringContent(JsonSerializer.Serialize(new { model, input = "hello world", encoding_format = "float" }), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var floats = body.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var viaClient = (await gateway.OpenAi().GetEmbeddingClient(model).GenerateEmbeddingAsync("hello world")).Value.ToFloats().ToArray();
        Assert.Equal(viaClient, floats);
        Assert.InRange(body.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), 2, 6);
    }

    [Fact]
    public async Task Embeddings_UpstreamWithoutEmbeddings_FallsBackToBuiltin()
    {
        var model = await gateway.DeployAsync("emb-fallback", GatewayFixture.Serve(gateway.Remote["echo"]) with { Fallbacks = [gateway.MiniLm] });
        var result = await gateway.OpenAi().GetEmbeddingClient(model).GenerateEmbeddingAsync("hello");
        Assert.Equal(384, result.Value.ToFloats().Length);
        Assert.Equal("minilm/1", result.GetRawResponse().Headers.TryGetValue(GatewayService.VersionHeader, out var v) ? v : null);
    }

    [Fact]
    public async Task Embeddings_TinyGguf_PooledHiddenStatesDeterministic()
    {
        var model = await gateway.DeployAsync("emb-gguf", GatewayFixture.Serve(gateway.Tiny1));
        var client = gateway.OpenAi().GetEmbeddingClient(model);
        var result = (await client.GenerateEmbeddingsAsync(["the cat", "the cat", "and then of the"])).Value;
        var vectors = result.Select(e => e.ToFloats().ToArray()).ToArray();
        Assert.All(vectors, v => Assert.Equal(64, v.Length));
        Assert.Equal(vectors[0], vectors[1]);
        Assert.NotEqual(vectors[0], vectors[2]);
        Assert.True(result.Usage.InputTokenCount >= 6);
    }

    [Fact]
    public async Task ChatOnAnEmbeddingModel_400NamingIt()
    {
        var model = await gateway.DeployAsync("emb-chat", GatewayFixture.Serve(gateway.MiniLm));
        var error = await Assert.ThrowsAsync<ClientResultException>(() => gateway.OpenAi().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(400, error.Status);
        Assert.Contains("does not serve chat", error.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }
}
