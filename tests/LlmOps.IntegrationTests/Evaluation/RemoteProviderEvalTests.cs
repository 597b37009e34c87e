using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmOps.IntegrationTests.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace LlmOps.IntegrationTests.Evaluation;

/// <summary><c>llmops eval run</c> against a remote OpenAI-compatible provider (a hand-written endpoint at the edge: the test's own
/// HTTP server): the key comes from the named environment variable, answers are cached, failed calls are errors and are not.</summary>
public sealed class RemoteProviderEvalTests : IAsyncLifetime
{
    const string Key = "sk-eval-test";
    readonly TempFolder temp = new("llmops-eval-remote");

    string work => temp.Root;
    WebApplication app = null!;
    int calls;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            Interlocked.Increment(ref calls);
            if (context.Request.Headers.Authorization != $"Bearer {Key}") return Results.StatusCode(401);
            var body = await JsonNode.ParseAsync(context.Request.Body);
            var question = body!["messages"]!.AsArray()[^1]!["content"]!.ToString();
            if (question.Contains("BREAK", StringComparison.Ordinal)) return Results.StatusCode(500);
            // As a judge: a verdict by whether the graded output names Paris.
            var answer = question.StartsWith("You grade", StringComparison.Ordinal)
                ? (question.Contains("Output: Paris.", StringComparison.Ordinal) ? """{"reason": "correct city", "score": 0.9}""" : """{"reason": "wrong", "score": 0.1}""")
                : question.Contains("France", StringComparison.Ordinal) ? "Paris." : "I do not know.";
            return Results.Json(new
            {
                id = "chatcmpl-1", @object = "chat.completion", created = 1_700_000_000, model = body["model"]!.ToString(),
                choices = new[] { new { index = 0, finish_reason = "stop", message = new { role = "assistant", content = answer } } },
                usage = new { prompt_tokens = 5, completion_tokens = 2, total_tokens = 7 },
            });
        });
        await app.StartAsync();
    }

    async Task<CliProcess.Result> Llmops(params string[] args)
    {
        var info = CliProcess.StartInfo([.. args, "--data-dir", Path.Combine(work, "data")]);
        info.Environment["EVAL_TEST_KEY"] = Key;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        return new CliProcess.Result(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task EvalRun_UnreachableProvider_Exit2NamingIt()
    {
        var suite = Path.Combine(work, "unreachable.yaml");
        File.WriteAllText(suite, """
            providers:
              - id: openai:nowhere
                config: { url: "http://127.0.0.1:9/v1", api_key_env: EVAL_TEST_KEY }
            prompts: ["{{q}}"]
            tests:
              - vars: { q: "hello?" }
                assert: [ { type: icontains, value: hi } ]
            """);
        var result = await Llmops("eval", "run", "--suite", suite, "--no-cache");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("openai:nowhere", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("every call failed", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalRun_RemoteProvider_KeyFromEnv_CachedAnswers_ErrorsNotCached()
    {
        var suite = Path.Combine(work, "remote.yaml");
        File.WriteAllText(suite, $$$"""
            providers:
              - id: openai:tiny-remote
                config: { url: "{{{app.Urls.First()}}}/v1", api_key_env: EVAL_TEST_KEY }
            prompts: ["{{q}}"]
            tests:
              - description: capital
                vars: { q: "Capital of France?" }
                assert: [ { type: icontains, value: paris }, { type: token-count, threshold: 5 } ]
              - description: broken
                vars: { q: "BREAK the endpoint" }
                assert: [ { type: is-refusal } ]
            """);

        var first = await Llmops("eval", "run", "--suite", suite, "--json");
        Assert.True(first.ExitCode == 1, first.ToString()); // the failed call fails the "no errors" check
        Assert.Equal(2, calls);
        using (var json = JsonDocument.Parse(first.Stdout))
        {
            var cases = json.RootElement.GetProperty("candidate").GetProperty("cases");
            Assert.True(cases[0].GetProperty("passed").GetBoolean());
            Assert.Equal("Paris.", cases[0].GetProperty("output").GetString());
            Assert.Contains("500", cases[1].GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("openai:", json.RootElement.GetProperty("candidate").GetProperty("version").GetString(), StringComparison.Ordinal);
        }

        var second = await Llmops("eval", "run", "--suite", suite, "--json");
        Assert.Equal(1, second.ExitCode);
        Assert.Equal(3, calls); // the answer came from the cache; only the failed call was made again
        using (var json = JsonDocument.Parse(second.Stdout))
            Assert.Equal(1, json.RootElement.GetProperty("candidate").GetProperty("summary").GetProperty("cacheHits").GetInt32());

        var uncached = await Llmops("eval", "run", "--suite", suite, "--json", "--no-cache");
        Assert.Equal(1, uncached.ExitCode);
        Assert.Equal(5, calls);

        // The table for people names the failing case (brackets and all) and the failed gate.
        var table = await Llmops("eval", "run", "--suite", suite);
        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.Contains("FAIL broken [prompt-1]", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("Gate failed", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("Stored as evaluation run", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalRun_LlmRubric_JudgeProviderFromSuite()
    {
        var suite = Path.Combine(work, "rubric.yaml");
        File.WriteAllText(suite, $$$"""
            providers:
              - id: openai:tiny-remote
                config: { url: "{{{app.Urls.First()}}}/v1", api_key_env: EVAL_TEST_KEY }
            judge:
              id: openai:judge
              config: { url: "{{{app.Urls.First()}}}/v1", api_key_env: EVAL_TEST_KEY }
            prompts: ["{{q}}"]
            tests:
              - description: france
                vars: { q: "Capital of France?" }
                assert: [ { type: llm-rubric, value: names the right capital city, metric: judged } ]
              - description: spain
                vars: { q: "Capital of Spain?" }
                assert: [ { type: llm-rubric, value: names the right capital city, metric: judged } ]
            """);
        var result = await Llmops("eval", "run", "--suite", suite, "--json", "--no-cache");
        Assert.Equal(0, result.ExitCode); // no pass-rate threshold: the gate only needs no errors
        using var json = JsonDocument.Parse(result.Stdout);
        var cases = json.RootElement.GetProperty("candidate").GetProperty("cases");
        Assert.True(cases[0].GetProperty("passed").GetBoolean());
        Assert.False(cases[1].GetProperty("passed").GetBoolean());
        Assert.Equal(0.5, json.RootElement.GetProperty("candidate").GetProperty("summary").GetProperty("metrics").GetProperty("judged").GetDouble(), 9);
        Assert.Equal(4, calls); // two answers, two verdicts
    }

    [Fact]
    public async Task EvalRun_CustomEvaluatorAssembly_UsableByName()
    {
        var suite = Path.Combine(work, "custom.yaml");
        File.WriteAllText(suite, $$$"""
            providers:
              - id: openai:tiny-remote
                config: { url: "{{{app.Urls.First()}}}/v1", api_key_env: EVAL_TEST_KEY }
            prompts: ["{{q}}"]
            tests:
              - description: short
                vars: { q: "Capital of France?" }
                assert: [ { type: short-answer } ]
              - description: long
                vars: { q: "Capital of Spain?" }
                assert: [ { type: short-answer } ]
            """);
        var plugin = typeof(WordCountEvaluator).Assembly.Location;
        var result = await Llmops("eval", "run", "--suite", suite, "--json", "--no-cache", "--evaluators", plugin);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var cases = json.RootElement.GetProperty("candidate").GetProperty("cases");
        Assert.True(cases[0].GetProperty("passed").GetBoolean());   // "Paris."
        Assert.False(cases[1].GetProperty("passed").GetBoolean());  // "I do not know."

        var unknown = await Llmops("eval", "run", "--suite", suite);
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("unknown assertion type 'short-answer'", unknown.Stderr, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        temp.Dispose();
    }
}
