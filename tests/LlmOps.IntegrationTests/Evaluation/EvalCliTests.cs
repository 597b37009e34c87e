using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using LlmOps.IntegrationTests.Cli;
using LlmOps.Tests.Inference;

namespace LlmOps.IntegrationTests.Evaluation;

/// <summary><c>llmops eval run</c> as a real process on registered tiny GGUF versions: golden answers recorded from tiny/1,
/// the gate passes for tiny/1 against itself (and requests its approval with the run as evidence), fails for tiny/2 with
/// scrambled weights; suite errors exit 2 naming the line; JUnit validates; runs are listed.</summary>
public sealed class EvalCliTests : IDisposable
{
    readonly TempFolder temp = new("llmops-eval-cli");

    string work => temp.Root;


    string DataDir => Path.Combine(work, "data");

    Task<CliProcess.Result> Llmops(params string[] args) => CliProcess.RunAsync([.. args, "--data-dir", DataDir]);

    string Write(string name, string content)
    {
        var path = Path.Combine(work, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A lora version is evaluated as the gateway serves it: its adapter GGUF over the gguf base of its lineage
    /// (answers differ from the base's), and perplexity is scored with the adapter applied.</summary>
    [Fact]
    public async Task EvalRun_LoraVersion_RunsTheAdapterOverItsBase()
    {
        await TinyGguf.WriteAsync(Path.Combine(work, "tiny.gguf"), seed: 1);
        await TinyGguf.WriteLoraAsync(Path.Combine(work, "adapter.gguf"), bScale: 2.0);
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "--file", Path.Combine(work, "tiny.gguf"), "--format", "gguf")).ExitCode);
        var registered = await Llmops("models", "register", "tiny-lora", "--file", Path.Combine(work, "adapter.gguf"), "--format", "lora", "--base", "tiny/1");
        Assert.True(registered.ExitCode == 0, registered.ToString());
        string[] questions = ["hello there", "the cat sat", "in the end"];
        Write("questions.jsonl", string.Join('\n', questions.Select(q => JsonSerializer.Serialize(new { q }))));
        var suite = Write("lora.yaml", """
            prompts: ["{{q}}"]
            tests: file://questions.jsonl
            defaultTest: { assert: [ { type: perplexity, threshold: 1000000000 } ] }
            options: { temperature: 0, max_tokens: 8 }
            """);

        List<string> Answers(CliProcess.Result result)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Stdout);
            return [.. json.RootElement.GetProperty("candidate").GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("output").GetString()!)];
        }
        var adapted = Answers(await Llmops("eval", "run", "--suite", suite, "--provider", "tiny-lora/1", "--json", "--no-cache"));
        var plain = Answers(await Llmops("eval", "run", "--suite", suite, "--provider", "tiny/1", "--json", "--no-cache"));

        Assert.Equal(3, adapted.Count);
        Assert.NotEqual(plain, adapted);
    }

    [Fact]
    public async Task EvalRun_GoldenSuite_GatePassesForSameVersion_FailsForScrambled()
    {
        await TinyGguf.WriteAsync(Path.Combine(work, "tiny.gguf"), seed: 1);
        await TinyGguf.WriteAsync(Path.Combine(work, "scrambled.gguf"), seed: 99);
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "--file", Path.Combine(work, "tiny.gguf"), "--format", "gguf")).ExitCode);
        Assert.Equal(0, (await Llmops("models", "register", "tiny", "--file", Path.Combine(work, "scrambled.gguf"), "--format", "gguf")).ExitCode);

        // Record the golden answers of tiny/1 with the CLI itself (an always-true assertion, --json).
        string[] questions = ["hello there", "the cat sat", "in the end", "an answer", "what is the"];
        Write("questions.jsonl", string.Join('\n', questions.Select(q => JsonSerializer.Serialize(new { q }))));
        Write("record.yaml", """
            prompts: ["{{q}}"]
            tests: file://questions.jsonl
            defaultTest: { assert: [ { type: token-count, threshold: 100 } ] }
            options: { temperature: 0, max_tokens: 8 }
            """);
        var recorded = await Llmops("eval", "run", "--suite", Path.Combine(work, "record.yaml"), "--provider", "tiny/1", "--json", "--no-cache");
        Assert.True(recorded.ExitCode == 0, recorded.ToString());
        using var json = JsonDocument.Parse(recorded.Stdout);
        var golden = json.RootElement.GetProperty("candidate").GetProperty("cases").EnumerateArray()
            .Select(c => (Q: c.GetProperty("vars").GetProperty("q").GetString()!, A: c.GetProperty("output").GetString()!))
            .Where(p => p.A.Length > 0).ToList();
        Assert.True(golden.Count >= 3, recorded.Stdout);
        Write("golden.jsonl", string.Join('\n', golden.Select(g => JsonSerializer.Serialize(new
        {
            description = g.Q,
            vars = new Dictionary<string, string> { ["q"] = g.Q },
            assert = new object[] { new { type = "equals", value = g.A, metric = "exact" }, new { type = "levenshtein", value = g.A, threshold = 2 } },
        }))));
        var suite = Write("golden.yaml", """
            description: golden answers of tiny/1
            prompts: ["{{q}}"]
            tests: file://golden.jsonl
            options: { temperature: 0, max_tokens: 8 }
            gate: { max_regression: 0.05, min_pass_rate: 0.9 }
            """);

        var junit = Path.Combine(work, "out", "junit.xml");
        var html = Path.Combine(work, "out", "report.html");
        var same = await Llmops("eval", "run", "--suite", suite, "--provider", "tiny/1", "--baseline", "tiny/1", "--junit", junit, "--html", html,
            "--request-approval", "tiny/1");
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Contains("Gate passed", same.Stdout, StringComparison.Ordinal);
        Assert.Empty(Validate(File.ReadAllText(junit)));
        var page = File.ReadAllText(html);
        Assert.Contains("<svg", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https:", page, StringComparison.Ordinal);

        var shown = await Llmops("models", "show", "tiny/1", "--json");
        Assert.Contains("PendingManualApproval", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("eval-run:", shown.Stdout, StringComparison.Ordinal);

        var worse = await Llmops("eval", "run", "--suite", suite, "--provider", "tiny/2", "--baseline", "tiny/1", "--junit", junit, "--json");
        Assert.True(worse.ExitCode == 1, worse.ToString());
        using var worseJson = JsonDocument.Parse(worse.Stdout);
        var gate = worseJson.RootElement.GetProperty("gate");
        Assert.False(gate.GetProperty("passed").GetBoolean());
        Assert.Contains(gate.GetProperty("comparisons").EnumerateArray(), c => c.GetProperty("metric").GetString() == "pass" && c.GetProperty("regressed").GetBoolean());
        var failures = XDocument.Load(junit).Descendants("failure").Count();
        Assert.True(failures > 0);

        var list = await Llmops("eval", "list", "--json");
        Assert.Equal(0, list.ExitCode);
        using var runs = JsonDocument.Parse(list.Stdout);
        Assert.Equal(3, runs.RootElement.GetArrayLength());
        Assert.False(runs.RootElement[0].GetProperty("gatePassed").GetBoolean());

        var newest = runs.RootElement[0].GetProperty("id").GetString()!;
        var show = await Llmops("eval", "show", $"eval-run:{newest}", "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        using var shownJson = JsonDocument.Parse(show.Stdout);
        Assert.Equal(2 * golden.Count, shownJson.RootElement.GetProperty("cases").GetArrayLength()); // candidate and baseline
        Assert.Equal("tiny/2", shownJson.RootElement.GetProperty("run").GetProperty("candidate").GetString());
        Assert.Equal(2, (await Llmops("eval", "show", "no-such-run")).ExitCode);
    }

    [Fact]
    public async Task EvalRun_SuiteError_Exit2NamingLine_NoModelCalled()
    {
        var suite = Write("bad.yaml", """
            providers: [missing-model.gguf]
            prompts: ["Say {{x}}"]
            tests:
              - description: first
                vars: { x: hi }
                assert:
                  - type: regex
                    value: "(unclosed"
            """);
        var result = await Llmops("eval", "run", "--suite", suite);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("bad.yaml:7", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("test 'first'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("assert[0].value", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalRun_MissingModelFile_Exit2()
    {
        var suite = Write("ok.yaml", "providers: [missing-model.gguf]\nprompts: [\"hi\"]\ntests: [{}]\n");
        var result = await Llmops("eval", "run", "--suite", suite);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("missing-model.gguf", result.Stderr, StringComparison.Ordinal);
    }

    static List<string> Validate(string xml)
    {
        var schemas = new XmlSchemaSet();
        using (var reader = XmlReader.Create(Path.Combine(AppContext.BaseDirectory, "Evaluation", "JUnit.xsd"))) schemas.Add(null, reader);
        var errors = new List<string>();
        XDocument.Parse(xml).Validate(schemas, (_, e) => errors.Add(e.Message));
        return errors;
    }

    public void Dispose() => temp.Dispose();
}
