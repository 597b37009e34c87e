using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmOps.IntegrationTests.Gateway;

/// <summary>The outside world's edge: an OpenAI-compatible server on loopback whose behaviour is picked by the model name.
/// <c>echo</c> answers "upstream says hi"; <c>fail</c> answers 500; <c>slow</c> waits 10 s before answering;
/// <c>drip</c> streams ten words 100 ms apart.</summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const string EchoText = "upstream says hi";

    /// <summary>What the <c>judge</c> model always answers: an llm-rubric verdict.</summary>
    public const string JudgeVerdict = """{"score": 0.8, "reason": "the answer is polite"}""";

    readonly WebApplication app;
    int requests;

    FakeUpstream(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Requests received, per model name.</summary>
    public Dictionary<string, int> Received { get; } = [];

    public int Requests => Volatile.Read(ref requests);

    /// <summary>The <c>logit_bias</c> object of the last request, per model name (raw JSON).</summary>
    public Dictionary<string, string> LastLogitBias { get; } = [];

    public static async Task<FakeUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new FakeUpstream(app);
        app.MapPost("/v1/chat/completions", upstream.HandleAsync);
        await app.StartAsync();
        upstream.BaseAddress = new Uri(app.Urls.First() + "/v1");
        return upstream;
    }

    async Task HandleAsync(HttpContext http)
    {
        using var body = await JsonDocument.ParseAsync(http.Request.Body);
        var model = body.RootElement.GetProperty("model").GetString()!;
        var stream = body.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        Interlocked.Increment(ref requests);
        lock (Received) Received[model] = Received.GetValueOrDefault(model) + 1;
        if (body.RootElement.TryGetProperty("logit_bias", out var bias))
            lock (LastLogitBias) LastLogitBias[model] = bias.GetRawText();
        switch (model)
        {
            case "fail":
                http.Response.StatusCode = 500;
                await http.Response.WriteAsJsonAsync(new { error = new { message = "upstream broke", type = "server_error", param = (string?)null, code = (string?)null } });
                return;
            case "slow":
                await Task.Delay(TimeSpan.FromSeconds(10), http.RequestAborted);
                break;
        }
        var words = model switch
        {
            "drip" => Enumerable.Range(0, 10).Select(i => $"w{i} ").ToArray(),
            "judge" => [JudgeVerdict],
            _ => [EchoText],
        };
        if (!stream)
        {
            await http.Response.WriteAsJsonAsync(new
            {
                id = "up-1", @object = "chat.completion", created = 1, model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = string.Concat(words) }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 5, completion_tokens = words.Length, total_tokens = 5 + words.Length },
            });
            return;
        }
        http.Response.ContentType = "text/event-stream";
        for (var i = 0; i < words.Length; i++)
        {
            if (model == "drip" && i > 0) await Task.Delay(100, http.RequestAborted);
            await Event(http, new { id = "up-1", @object = "chat.completion.chunk", created = 1, model, choices = new[] { new { index = 0, delta = new { role = "assistant", content = words[i] }, finish_reason = (string?)null } } });
        }
        await Event(http, new { id = "up-1", @object = "chat.completion.chunk", created = 1, model, choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } } });
        await Event(http, new { id = "up-1", @object = "chat.completion.chunk", created = 1, model, choices = Array.Empty<object>(), usage = new { prompt_tokens = 5, completion_tokens = words.Length, total_tokens = 5 + words.Length } });
        await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
    }

    static async Task Event(HttpContext http, object payload)
    {
        await http.Response.WriteAsync("data: " + JsonSerializer.Serialize(payload) + "\n\n", Encoding.UTF8, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
