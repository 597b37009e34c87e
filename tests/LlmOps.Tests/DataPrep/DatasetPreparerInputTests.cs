using LlmOps.DataPrep;
using LlmOps.DataPrep.Recipes;

namespace LlmOps.Tests.DataPrep;

public class DatasetPreparerInputTests
{
    [Fact]
    public async Task PrepareAsync_FolderOfCsvAndText_ReadsAllWithMappedFields()
    {
        using var folder = new TempFolder();
        folder.File("data/a.csv", "question,answer\n\"What is 2+2?\",4\n\"Capital of Peru?\",Lima\n");
        folder.File("data/b/c.csv", "question,answer\nWho wrote Hamlet?,Shakespeare\n");
        var recipe = Recipe.Parse("input:\n  shape: prompt_completion\n  fields: { prompt: question, completion: answer }\nsplit: { train: 1, validation: 0, test: 0 }\n");

        var result = await new DatasetPreparer().PrepareAsync([folder.Sub("data")], recipe, folder.Sub("out"));

        Assert.Equal(["data/a.csv", "data/b/c.csv"], result.Sources.Select(s => s.Name));
        var lines = File.ReadAllLines(result.Splits[0].Path);
        Assert.Equal(3, lines.Length);
        Assert.Contains("{\"prompt\":\"Who wrote Hamlet?\",\"completion\":\"Shakespeare\"}", lines);
    }

    [Fact]
    public async Task PrepareAsync_ChatJsonl_WritesMessagesLayout()
    {
        using var folder = new TempFolder();
        var input = folder.File("chat.jsonl",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"  hi \"},{\"role\":\"assistant\",\"content\":\"mail me: a@b.com\"}]}\n"
            + "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"user\",\"content\":\"hi\"}]}\n");
        var recipe = Recipe.Parse("input: { shape: chat }\nsteps: [normalize, filter_chat_turns, redact_pii]\nsplit: { train: 1, validation: 0, test: 0 }\n");

        var result = await new DatasetPreparer().PrepareAsync([input], recipe, folder.Sub("out"));

        Assert.Equal(
            ["{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"mail me: <EMAIL>\"}]}"],
            File.ReadAllLines(result.Splits[0].Path));
        Assert.Equal(1, result.Report.Steps[1].Dropped["duplicate_turn"]);
    }

    [Fact]
    public async Task PrepareAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var folder = new TempFolder();
        var input = folder.File("t.txt", string.Join('\n', Enumerable.Range(0, 5000).Select(i => "line " + i)));
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new DatasetPreparer().PrepareAsync([input], Recipe.Empty, folder.Sub("out"), cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task PrepareAsync_MissingInput_ThrowsFileNotFound()
    {
        using var folder = new TempFolder();
        await Assert.ThrowsAsync<FileNotFoundException>(() =>
            new DatasetPreparer().PrepareAsync([folder.Sub("nope.jsonl")], Recipe.Empty, folder.Sub("out")));
    }
}

public class DatasetPreparerShapeTests
{
    [Fact]
    public async Task PrepareAsync_TextFileWithChatRecipe_ErrorNamesFile()
    {
        using var folder = new TempFolder();
        var input = folder.File("notes.txt", "just text\n");

        var ex = await Assert.ThrowsAsync<DataPrepException>(() =>
            new DatasetPreparer().PrepareAsync([input], Recipe.Parse("input: { shape: chat }\n"), folder.Sub("out")));

        Assert.Contains("notes.txt", ex.Message, StringComparison.Ordinal);
    }
}
