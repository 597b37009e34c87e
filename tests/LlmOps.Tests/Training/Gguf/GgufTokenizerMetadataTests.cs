using System.Text;
using System.Text.RegularExpressions;
using LlmOps.Training.Gguf;
using LlmOps.Training.Modeling;

namespace LlmOps.Tests.Training.Gguf;

public sealed class GgufTokenizerMetadataTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-gguf-tok-").FullName;

    [Fact]
    public async Task ExportAsync_ByteLevelBpe_LlamaCppAppliesTheMergesAndKnowsTheEndToken()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);
        var tokenizer = TinyTokenizer.Create();
        var path = Path.Combine(directory, "tok.gguf");

        await GgufModelExporter.ExportAsync(model, tokenizer, path);

        using var runner = new LlamaCppRunner(path);
        int Id(string token) => tokenizer.Tokens.ToList().IndexOf(token);
        const string Text = "the and then of often x<|endoftext|>";
        var expected = ReferenceBpe(tokenizer, Text);
        Assert.Equal(expected, runner.Tokenize(Text));
        // The merges are really used: "the" and " of" are single tokens.
        Assert.Contains(Id("the"), expected);
        Assert.Contains(Id("Ġof"), expected);
        Assert.Equal(271, runner.EndOfSequence);
        Assert.True(runner.IsEndOfGeneration(271));
        Assert.False(runner.IsEndOfGeneration(Id("the")));
        Assert.False(runner.ShouldAddBos);
        Assert.Equal(300, runner.VocabSize);
    }

    /// <summary>
    /// A naive byte-level BPE written from the algorithm's definition: split off special tokens, pre-tokenise with
    /// GPT-2's pattern, map bytes to GPT-2's byte alphabet, then repeatedly merge the adjacent pair of lowest rank.
    /// </summary>
    private static List<int> ReferenceBpe(GgufTokenizer tokenizer, string text)
    {
        var ids = tokenizer.Tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var ranks = tokenizer.Merges.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var byteTokens = TinyTokenizer.ByteTokens();
        var result = new List<int>();
        foreach (var part in Regex.Split(text, "(<\\|endoftext\\|>)"))
        {
            if (part == GgufTokenizer.EndOfText)
            {
                result.Add(ids[part]);
                continue;
            }
            foreach (Match word in Regex.Matches(part, @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"))
            {
                var symbols = Encoding.UTF8.GetBytes(word.Value).Select(b => byteTokens[b]).ToList();
                while (true)
                {
                    var best = -1;
                    for (var i = 0; i + 1 < symbols.Count; i++)
                    {
                        if (ranks.TryGetValue(symbols[i] + " " + symbols[i + 1], out var rank) && (best < 0 || rank < ranks[symbols[best] + " " + symbols[best + 1]]))
                            best = i;
                    }
                    if (best < 0)
                        break;
                    symbols[best] += symbols[best + 1];
                    symbols.RemoveAt(best + 1);
                }
                result.AddRange(symbols.Select(s => ids[s]));
            }
        }
        return result;
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
