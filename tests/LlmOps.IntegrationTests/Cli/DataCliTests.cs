using System.Text.Json;

namespace LlmOps.IntegrationTests.Cli;

public sealed class DataCliTests : IDisposable
{
    const string Recipe = """
        steps:
          - normalize
          - dedupe_exact
          - redact_pii
        split: { train: 0.8, validation: 0.1, test: 0.1 }
        """;

    readonly TempFolder work = new("llmops-data-cli");

    public void Dispose() => work.Dispose();

    string Write(string name, string content) => work.Write(name, content);

    static string Lines(int from, int count) =>
        string.Concat(Enumerable.Range(from, count).Select(i => JsonSerializer.Serialize(new { text = $"record {i}: mail user{i}@example.com" }) + "\n"));

    Task<CliProcess.Result> Llmops(params string[] args) => CliProcess.RunAsync([.. args, "--data-dir", work.PathOf("data")]);

    [Fact]
    public async Task Prepare_SameInputsTwice_SameVersionAndDiffCountsChanges()
    {
        var recipe = Write("recipe.yaml", Recipe);
        var input = Write("a/corpus.jsonl", Lines(0, 300));
        var first = await Llmops("data", "prepare", "-r", recipe, "-i", input, "-n", "corpus", "--threads", "1", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        var id = JsonDocument.Parse(first.Stdout).RootElement.GetProperty("version").GetProperty("id").GetString()!;
        var report = JsonDocument.Parse(first.Stdout).RootElement.GetProperty("report");
        Assert.Equal(300, report.GetProperty("recordsRead").GetInt64());

        var second = await Llmops("data", "prepare", "-r", recipe, "-i", input, "-n", "corpus", "--threads", "2", "--json");
        Assert.Equal(id, JsonDocument.Parse(second.Stdout).RootElement.GetProperty("version").GetProperty("id").GetString());

        var changed = Write("b/corpus.jsonl", Lines(50, 300));
        var third = await Llmops("data", "prepare", "-r", recipe, "-i", changed, "-n", "corpus", "--json");
        var newId = JsonDocument.Parse(third.Stdout).RootElement.GetProperty("version").GetProperty("id").GetString()!;
        Assert.NotEqual(id, newId);

        var diff = await Llmops("data", "diff", id[..12], newId[..12], "--json");
        Assert.True(diff.ExitCode == 0, diff.ToString());
        var d = JsonDocument.Parse(diff.Stdout).RootElement;
        Assert.Equal((50L, 50L, 250L), (d.GetProperty("added").GetInt64(), d.GetProperty("removed").GetInt64(), d.GetProperty("unchanged").GetInt64()));

        var list = await Llmops("data", "list", "--json");
        Assert.Equal(2, JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength());
        var show = await Llmops("data", "show", newId);
        Assert.Contains("corpus.jsonl", show.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_MalformedRow_Exit2WithFileAndLine_OrRejectsWithSkipInvalid()
    {
        var recipe = Write("recipe.yaml", Recipe);
        var input = Write("bad/corpus.jsonl", "{\"text\":\"fine\"}\n{\"text\": 5}\n{not json\n{\"text\":\"also fine\"}\n");
        var stop = await Llmops("data", "prepare", "-r", recipe, "-i", input, "-n", "corpus");
        Assert.Equal(2, stop.ExitCode);
        Assert.Contains("corpus.jsonl:2", stop.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, JsonDocument.Parse((await Llmops("data", "list", "--json")).Stdout).RootElement.GetArrayLength());

        var skip = await Llmops("data", "prepare", "-r", recipe, "-i", input, "-n", "corpus", "--skip-invalid", "--json");
        Assert.True(skip.ExitCode == 0, skip.ToString());
        var root = JsonDocument.Parse(skip.Stdout).RootElement;
        Assert.Equal(2, root.GetProperty("report").GetProperty("rejected").GetInt64());
        Assert.Contains(root.GetProperty("version").GetProperty("files").EnumerateArray(), f => f.GetProperty("name").GetString() == "rejects.jsonl");
    }

    [Fact]
    public async Task Prepare_UnknownStep_Exit2NamingStepAndLine()
    {
        var recipe = Write("recipe.yaml", "steps:\n  - normalize\n  - dedupe_fuzzy\n");
        var input = Write("c/corpus.jsonl", Lines(0, 5));
        var result = await Llmops("data", "prepare", "-r", recipe, "-i", input, "-n", "corpus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("dedupe_fuzzy", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 3", result.Stderr, StringComparison.Ordinal);
    }
}
