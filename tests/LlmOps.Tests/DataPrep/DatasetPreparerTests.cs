using System.Text;
using System.Text.Json;
using LlmOps.DataPrep;
using LlmOps.DataPrep.Recipes;

namespace LlmOps.Tests.DataPrep;

public class DatasetPreparerTests
{
    private const string RecipeYaml = """
        steps:
          - normalize
          - filter_length: { min_chars: 3 }
          - dedupe_exact
          - dedupe_near
          - redact_pii
        split: { train: 0.6, validation: 0.2, test: 0.2 }
        """;

    private static string Corpus(int records)
    {
        var random = new Random(42);
        var sb = new StringBuilder();
        for (var i = 0; i < records; i++)
        {
            var words = string.Join(' ', Enumerable.Range(0, 30).Select(_ => "w" + random.Next(5000)));
            var text = (i % 10) switch
            {
                0 when i > 0 => "duplicate text that appears many times in the corpus",
                1 => $"contact me at user{i}@example.com about {words}",
                2 => "  Cafe\u0301  with   spaces " + words,
                _ => words,
            };
            sb.Append(JsonSerializer.Serialize(new { text })).Append('\n');
        }
        return sb.ToString();
    }

    private static Task<PreparedDataset> PrepareAsync(string input, string output, string recipe = RecipeYaml, int threads = 1, bool skipInvalid = false) =>
        new DatasetPreparer().PrepareAsync([input], Recipe.Parse(recipe), output, new PrepareOptions { Threads = threads, BatchSize = 100, SkipInvalid = skipInvalid });

    [Fact]
    public async Task PrepareAsync_SameInputsTwice_SameVersionId()
    {
        using var folder = new TempFolder();
        var input = folder.File("in/data.jsonl", Corpus(1000));

        var first = await PrepareAsync(input, folder.Sub("out1"));
        var second = await PrepareAsync(input, folder.Sub("out2"));

        Assert.Equal(first.VersionId, second.VersionId);
        Assert.Matches("^[0-9a-f]{64}$", first.VersionId);
    }

    [Fact]
    public async Task PrepareAsync_DifferentThreadCounts_SameVersionIdAndBytes()
    {
        using var folder = new TempFolder();
        var input = folder.File("in/data.jsonl", Corpus(3000));

        var one = await PrepareAsync(input, folder.Sub("t1"), threads: 1);
        var four = await PrepareAsync(input, folder.Sub("t4"), threads: 4);

        Assert.Equal(one.VersionId, four.VersionId);
        Assert.Equal(File.ReadAllBytes(one.Splits[0].Path), File.ReadAllBytes(four.Splits[0].Path));
    }

    [Fact]
    public async Task PrepareAsync_ChangedRecipe_DifferentVersionId()
    {
        using var folder = new TempFolder();
        var input = folder.File("in/data.jsonl", Corpus(300));

        var a = await PrepareAsync(input, folder.Sub("a"));
        var b = await PrepareAsync(input, folder.Sub("b"), RecipeYaml.Replace("- dedupe_near", "- dedupe_near: { threshold: 0.9 }", StringComparison.Ordinal));

        Assert.NotEqual(a.VersionId, b.VersionId);
    }

    [Fact]
    public async Task PrepareAsync_Corpus_StepsCountedAndOutputClean()
    {
        using var folder = new TempFolder();
        var input = folder.File("in/data.jsonl", Corpus(1000));

        var result = await PrepareAsync(input, folder.Sub("out"));

        var report = result.Report;
        Assert.Equal(1000, report.RecordsRead);
        Assert.Equal(98, report.DuplicatesFound["exact_duplicate"]);
        Assert.Equal(100, report.PiiFound["EMAIL"]);
        Assert.Equal(1000 - 98, result.Splits.Sum(s => s.Records));
        Assert.All(report.Steps, s => Assert.Equal(s.In - s.Dropped.Values.Sum(), s.Out));
        var all = string.Concat(result.Splits.Select(s => File.ReadAllText(s.Path)));
        Assert.DoesNotContain("@example.com", all, StringComparison.Ordinal);
        Assert.Contains("Caf\u00e9 with spaces", all, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(result.OutputDirectory, "report.md")));
        var manifest = JsonDocument.Parse(File.ReadAllText(result.ManifestPath)).RootElement;
        Assert.Equal("data.jsonl", manifest.GetProperty("sources")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task PrepareAsync_MalformedRow_StopsWithFileAndLine()
    {
        using var folder = new TempFolder();
        var input = folder.File("in/bad.jsonl", "{\"text\":\"good one\"}\n{\"text\": 3}\n{\"text\":\"never read\"}\n");

        var ex = await Assert.ThrowsAsync<InvalidRecordException>(() => PrepareAsync(input, folder.Sub("out")));

        Assert.Equal("bad.jsonl", ex.File);
        Assert.Equal(2, ex.Line);
        Assert.Equal("field 'text' must be a string, found Number", ex.Reason);
        Assert.StartsWith("bad.jsonl:2:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_SkipInvalid_WritesRejectsAndCountsThem()
    {
        using var folder = new TempFolder();
        var input = folder.File("in/bad.jsonl", "{\"text\":\"good one\"}\n{\"text\": 3}\nnot json\n{\"body\":\"x\"}\n{\"text\":\"good two\"}\n");

        var result = await PrepareAsync(input, folder.Sub("out"), skipInvalid: true);

        Assert.Equal(3, result.Report.Rejected);
        Assert.Equal(1, result.Report.RejectedByReason["bad JSON"]);
        Assert.Equal(2, result.Splits.Sum(s => s.Records));
        var rejects = File.ReadAllLines(result.RejectsPath!).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([2L, 3L, 4L], rejects.Select(r => r.GetProperty("line").GetInt64()));
        Assert.Equal("missing field 'text'", rejects[2].GetProperty("reason").GetString());
        Assert.Contains("rejected as malformed: 3", result.Report.ToMarkdown(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_Decontamination_DropsEvalOverlapAndHashesEvalFile()
    {
        using var folder = new TempFolder();
        folder.File("evals/qa.jsonl", "{\"question\":\"which river flows through the old town of the city and into the northern sea\"}\n");
        var input = folder.File("in/d.jsonl",
            "{\"text\":\"Q: which river flows through the old town of the city and into the northern sea? A: the Elbe\"}\n"
            + "{\"text\":\"an unrelated record about something else entirely\"}\n");
        var recipe = "steps:\n  - decontaminate: { eval_files: [evals/qa.jsonl] }\n";

        var result = await new DatasetPreparer().PrepareAsync([input], Recipe.Parse(recipe), folder.Sub("out"), new PrepareOptions { RecipeDirectory = folder.Path });

        Assert.Equal(1, result.Report.Steps[0].Dropped["contaminated"]);
        Assert.Equal(1, result.Splits.Sum(s => s.Records));
        Assert.Contains("evals/qa.jsonl", File.ReadAllText(result.ManifestPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_ProgressReporter_ReceivesFinalThroughput()
    {
        using var folder = new TempFolder();
        var input = folder.File("in/data.jsonl", Corpus(200));
        var reports = new List<PrepareProgress>();
        var progress = new SynchronousProgress(reports.Add);

        await new DatasetPreparer().PrepareAsync([input], Recipe.Parse(RecipeYaml), folder.Sub("out"), new PrepareOptions { Progress = progress });

        Assert.Equal(200, reports[^1].RecordsRead);
        Assert.Equal(new FileInfo(input).Length, reports[^1].BytesRead);
    }

    private sealed class SynchronousProgress(Action<PrepareProgress> report) : IProgress<PrepareProgress>
    {
        public void Report(PrepareProgress value) => report(value);
    }
}

public class DatasetPreparerTokenStatisticsTests
{
    [Fact]
    public async Task PrepareAsync_TrainedTokenizerCounter_SplitTokensAreTokenizerCounts()
    {
        using var folder = new TempFolder();
        var texts = Enumerable.Range(0, 200).Select(i => $"record {i}: the café serves 東京 ramen 😀 number {i * 7}").ToList();
        var input = folder.File("in/t.jsonl", string.Concat(texts.Select(t => JsonSerializer.Serialize(new { text = t }) + "\n")));
        var bpe = new LlmOps.Tokenizers.ByteLevelBpeTrainer(new LlmOps.Tokenizers.BpeTrainerOptions { VocabSize = 400 }).Train(texts);
        var tokenizer = bpe.CreateTokenizer();
        var counter = new TokenizerTokenCounter(tokenizer, "bpe:" + bpe.Fingerprint());

        var result = await new DatasetPreparer().PrepareAsync([input], Recipe.Empty, folder.Sub("out"), new PrepareOptions { TokenCounter = counter });

        Assert.Equal(texts.Sum(t => tokenizer.CountTokens(t)), result.Splits.Sum(s => s.Tokens));
        Assert.Equal(result.Splits.Sum(s => s.Tokens), result.Report.Splits.Sum(s => s.Tokens));
        Assert.Contains("\"token_counter\": \"bpe:" + bpe.Fingerprint(), File.ReadAllText(result.ManifestPath), StringComparison.Ordinal);
    }
}
