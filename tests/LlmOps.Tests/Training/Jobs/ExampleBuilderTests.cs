using LlmOps.DataPrep;
using LlmOps.Tokenizers;
using LlmOps.Training.Gguf;
using LlmOps.Training.Jobs;

namespace LlmOps.Tests.Training.Jobs;

public sealed class ExampleBuilderTests
{
    static readonly ByteLevelBpe Bpe = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = 300 })
        .Train(["the cat sees the dog", "user: hello", "assistant: hi there"]);

    static readonly int End = Bpe.Vocab[GgufTokenizer.EndOfText];

    static ExampleBuilder Builder() => new(Bpe.CreateTokenizer(), End);

    static string Learned(IReadOnlyList<int> tokens, IReadOnlyList<bool> mask) =>
        Bpe.Decode(tokens.Where((_, i) => mask[i]));

    [Fact]
    public void Build_Text_LearnsEveryTokenThenTheEndToken()
    {
        var example = Builder().Build(DataRecord.FromText("the cat sees the dog"));

        Assert.Null(example.LossMask);
        Assert.Equal(End, example.Tokens[^1]);
        Assert.Equal("the cat sees the dog", Bpe.Decode(example.Tokens.Take(example.Tokens.Count - 1)));
    }

    [Fact]
    public void Build_PromptCompletion_LearnsCompletionAndEndOnly()
    {
        var example = Builder().Build(DataRecord.FromPromptCompletion("Who?", " the dog"));

        Assert.Equal(" the dog" + GgufTokenizer.EndOfText, Learned(example.Tokens, example.LossMask!));
        Assert.Equal("Who? the dog" + GgufTokenizer.EndOfText, Bpe.Decode(example.Tokens));
    }

    [Fact]
    public void Build_Chat_LearnsAssistantTurnsOnlyInTheRuntimeTranscript()
    {
        var example = Builder().Build(DataRecord.FromMessages([
            new ChatMessage("system", "be brief"),
            new ChatMessage("user", "hello"),
            new ChatMessage("assistant", "hi there"),
            new ChatMessage("user", "and?"),
            new ChatMessage("assistant", "bye"),
        ]));

        Assert.Equal($" hi there{GgufTokenizer.EndOfText} bye{GgufTokenizer.EndOfText}", Learned(example.Tokens, example.LossMask!));
        Assert.Equal($"system: be brief\nuser: hello\nassistant: hi there{GgufTokenizer.EndOfText}\nuser: and?\nassistant: bye{GgufTokenizer.EndOfText}\n", Bpe.Decode(example.Tokens));
    }
}
