using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmOps.Benchmarks.Serving;

/// <summary>The cheapest OpenAI-compatible chat model there is: <c>POST /v1/chat/completions</c> answers one fixed,
/// pre-serialised completion without looking at the request, so the upstream's own latency is small and steady.</summary>
internal static class StubUpstream
{
    static readonly byte[] Completion =
        """{"id":"chatcmpl-stub","object":"chat.completion","created":1,"model":"stub","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"""u8.ToArray();

    /// <summary>Starts the stub on a free loopback port; returns it and its base address ending in <c>/v1</c>.</summary>
    public static async Task<(WebApplication App, Uri BaseAddress)> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            http.Response.ContentType = "application/json";
            http.Response.ContentLength = Completion.Length;
            await http.Response.Body.WriteAsync(Completion, http.RequestAborted);
        });
        await app.StartAsync();
        return (app, new Uri(app.Urls.First() + "/v1"));
    }
}
