using LlmOps.Tests.DataPrep;
using LlmOps.Tokenizers;

namespace LlmOps.Tests.Tokenizers;

public class ByteLevelBpeTrainerTests
{
    private static readonly string[] MixedCorpus =
    [
        "The café serves crème brûlée and piña colada; naïve façades, déjà vu.",
        "Emoji: 😀😀 🚀 launch! 👍🏽 thumbs, ❤️ love, 🇫🇷 flag.",
        "中文分词很有趣。東京は日本の首都です。한국어 문장도 있습니다.",
        "def add(a, b):\n    return a + b  # sum\n\nfor i in range(10):\n    print(f\"{i}: {add(i, i)}\")",
        "public static int Main(string[] args) { Console.WriteLine(\"hi\"); return 0; }",
        "Numbers 12345 and 3.14159, dates 2024-01-15, it's we're they'll I'd.",
        "    indented   spaces\ttabs\n\nnewlines<|endoftext|>after the end token",
    ];

    private static IEnumerable<string> Corpus() => Enumerable.Range(0, 20).SelectMany(_ => MixedCorpus);

    [Fact]
    public void Train_TinyCorpus_LearnsExpectedMergesAndIds()
    {
        var trainer = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 1 + 256 + 3, MinFrequency = 1 });

        var bpe = trainer.Train(["ab ab ab abc"]);

        // Pre-tokens "ab", " ab" ×2, " abc": (a,b) ×4, then (Ġ,ab) ×3, then (Ġab,c) ×1.
        Assert.Equal([("a", "b"), ("Ġ", "ab"), ("Ġab", "c")], bpe.Merges);
        Assert.Equal(0, bpe.Vocab["<|endoftext|>"]);
        Assert.Equal(1 + 'a', bpe.Vocab["a"]);
        Assert.Equal(1 + 256, bpe.Vocab["ab"]);
        Assert.Equal(1 + 258, bpe.Vocab["Ġabc"]);
        Assert.Equal([257, 258, 259, 0], bpe.Encode("ab ab abc<|endoftext|>"));
    }

    [Fact]
    public void Train_SameCorpusTwice_IdenticalFiles()
    {
        var options = new BpeTrainerOptions { VocabSize = 600 };
        Assert.Equal(new ByteLevelBpeTrainer(options).Train(Corpus()).Fingerprint(), new ByteLevelBpeTrainer(options).Train(Corpus()).Fingerprint());
    }

    [Fact]
    public void Train_MixedCorpus_RoundTripsAndCompresses()
    {
        var bpe = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 800 }).Train(Corpus());

        // The repeated corpus saturates before 800: training stops when every pre-token is one token.
        Assert.InRange(bpe.VocabSize, 400, 800);
        foreach (var text in MixedCorpus)
        {
            var ids = bpe.Encode(text);
            Assert.Equal(text, bpe.Decode(ids));
            Assert.True(ids.Count < System.Text.Encoding.UTF8.GetByteCount(text) / 2, $"{ids.Count} ids for: {text}");
        }
    }

    [Fact]
    public async Task CreateTokenizer_SavedAndLoaded_IdsMatchReferenceEncoderAndRoundTrip()
    {
        using var folder = new TempFolder();
        var trained = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 800 }).Train(Corpus());
        await trained.SaveAsync(folder.Path);

        var loaded = await ByteLevelBpe.LoadAsync(folder.Path);
        var tokenizer = loaded.CreateTokenizer();

        Assert.Equal(trained.Fingerprint(), loaded.Fingerprint());
        Assert.StartsWith("#version: 0.2\n", File.ReadAllText(Path.Combine(folder.Path, "merges.txt")), StringComparison.Ordinal);
        string[] unseen =
        [
            "A naïve café near the façade 😀🚀 and 東京 tomorrow",
            "def sub(x, y):\n    return x - y<|endoftext|>",
            "   leading spaces and trailing   ",
            "Ünïcödé ß 한국 🇩🇪 12345678",
        ];
        foreach (var text in MixedCorpus.Concat(unseen))
        {
            var ids = tokenizer.EncodeToIds(text);
            Assert.Equal(trained.Encode(text), ids);
            Assert.Equal(text, tokenizer.Decode(ids));
        }
        Assert.Equal([0], tokenizer.EncodeToIds("<|endoftext|>"));
    }

    [Fact]
    public void CreateTokenizer_SeveralSpecialTokens_EachOneIdInTextAndNeverLearnedFrom()
    {
        string[] special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
        var chats = Enumerable.Range(0, 50).Select(i => $"<|im_start|>user\nquestion {i}<|im_end|>\n<|im_start|>assistant\nanswer {i}<|im_end|><|endoftext|>");
        var bpe = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 400, SpecialTokens = special }).Train(chats);
        var tokenizer = bpe.CreateTokenizer();

        Assert.Equal([0, 1, 2], special.Select(t => bpe.Vocab[t]));
        Assert.DoesNotContain(bpe.Vocab.Keys, k => k.Contains("im_start", StringComparison.Ordinal) && k != "<|im_start|>");
        var text = "<|im_start|>user\nhello<|im_end|>";
        var ids = tokenizer.EncodeToIds(text);
        Assert.Equal(1, ids[0]);
        Assert.Equal(2, ids[^1]);
        Assert.Equal(bpe.Encode(text), ids);
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [Fact]
    public void CreateTokenizer_UsedFromManyThreads_SameCountsAsSequential()
    {
        // DatasetPreparer counts tokens on several threads with one tokenizer instance.
        var tokenizer = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 600 }).Train(Corpus()).CreateTokenizer();
        var texts = Enumerable.Range(0, 4000).Select(i => MixedCorpus[i % MixedCorpus.Length] + " variant " + i).ToArray();
        var sequential = texts.Select(t => tokenizer.CountTokens(t)).ToArray();
        var parallel = new int[texts.Length];

        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = tokenizer.CountTokens(texts[i]));

        Assert.Equal(sequential, parallel);
    }
}
