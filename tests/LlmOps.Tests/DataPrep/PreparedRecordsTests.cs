using LlmOps.DataPrep;
using LlmOps.DataPrep.Recipes;
using LlmOps.Tokenizers;

namespace LlmOps.Tests.DataPrep;

public class PreparedRecordsTests
{
    [Fact]
    public async Task ReadAsync_PreparedChatSplit_RoundTripsRecords()
    {
        using var folder = new TempFolder();
        var input = folder.File("c.jsonl",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Grüß dich 👋\"},{\"role\":\"assistant\",\"content\":\"Hallo!\"}]}\n"
            + "{\"messages\":[{\"role\":\"system\",\"content\":\"terse\"},{\"role\":\"user\",\"content\":\"2+2\"},{\"role\":\"assistant\",\"content\":\"4\"}]}\n");
        var prepared = await new DatasetPreparer().PrepareAsync([input], Recipe.Parse("input: { shape: chat }\nsplit: { train: 1, validation: 0, test: 0 }\n"), folder.Sub("out"));

        var records = new List<DataRecord>();
        await foreach (var r in PreparedRecords.ReadAsync(prepared.Splits[0].Path))
            records.Add(r);

        Assert.Equal(2, records.Count);
        Assert.Equal("Grüß dich 👋", records[0].Messages[0].Content);
        Assert.Equal(["system", "user", "assistant"], records[1].Messages.Select(m => m.Role));
        Assert.True(File.Exists(prepared.ReportMarkdownPath));
    }

    [Fact]
    public async Task ReadTextsAsync_PreparedSplit_TrainsTokenizer()
    {
        using var folder = new TempFolder();
        var input = folder.File("t.jsonl", string.Concat(Enumerable.Range(0, 50).Select(i => $"{{\"text\":\"sample {i} of the tokenizer corpus\"}}\n")));
        var prepared = await new DatasetPreparer().PrepareAsync([input], Recipe.Parse("split: { train: 1, validation: 0, test: 0 }\n"), folder.Sub("out"));

        var bpe = await new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 300 }).TrainAsync(PreparedRecords.ReadTextsAsync(prepared.Splits[0].Path));

        Assert.InRange(bpe.VocabSize, 258, 300); // stops early once every word is one token
        Assert.Contains("Ġtokenizer", bpe.Vocab.Keys);
    }
}
