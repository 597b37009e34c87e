using System.Text;
using LLama;
using LLama.Common;
using LlmOps.Tests.DataPrep;
using LlmOps.Tokenizers;

namespace LlmOps.Tests.Tokenizers;

public class LlamaCppParityTests
{
    private static readonly string[] Corpus =
    [
        "The café serves crème brûlée and piña colada; naïve façades, déjà vu.",
        "Emoji: 😀😀 🚀 launch! 👍🏽 thumbs, ❤️ love, 🇫🇷 flag.",
        "中文分词很有趣。東京は日本の首都です。한국어 문장도 있습니다.",
        "def add(a, b):\n    return a + b  # sum\n\nfor i in range(10):\n    print(f\"{i}: {add(i, i)}\")",
        "Numbers 12345 and 3.14159, it's we're they'll I'd.   spaces\ttabs\n\nnewlines",
    ];

    [Fact]
    public void Tokenize_VocabOnlyGguf_LlamaCppIdsEqualMlTokenizersIds()
    {
        using var folder = new TempFolder();
        // Several passes with varied numbers so that merges stay partial (not every word one token).
        var texts = Enumerable.Range(0, 30).SelectMany(i => Corpus.Select(t => $"{t} #{i * 37}"));
        var bpe = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 700 }).Train(texts);
        var path = Path.Combine(folder.Path, "vocab.gguf");
        GgufVocabFile.Write(path, bpe);
        var tokenizer = bpe.CreateTokenizer();

        using var weights = LLamaWeights.LoadFromFile(new ModelParams(path) { VocabOnly = true });

        string[] probes =
        [
            .. Corpus,
            "Unseen: naïveté, 漢字かな交じり, emoji 🤖🧪, code `x => x * 2;`",
            "  leading and trailing spaces  ",
            "it's<|endoftext|>next document",
            "12345678901234567890 3.5e-10 $$$ !!! ???",
        ];
        foreach (var text in probes)
        {
            var expected = tokenizer.EncodeToIds(text);
            var actual = weights.Tokenize(text, false, true, Encoding.UTF8).Select(t => (int)t).ToArray();
            Assert.True(expected.SequenceEqual(actual), $"ids differ for \"{text}\":\n ML.Tokenizers {string.Join(',', expected)}\n llama.cpp     {string.Join(',', actual)}");
        }
    }
}
