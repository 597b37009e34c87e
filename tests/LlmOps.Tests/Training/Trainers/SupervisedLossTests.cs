using LlmOps.Training.Modeling;
using LlmOps.Training.Trainers;

namespace LlmOps.Tests.Training.Trainers;

public sealed class SupervisedLossTests
{
    [Fact]
    public void Evaluate_CompletionExample_AveragesCrossEntropyOverCompletionTokensOnly()
    {
        using var model = TinyModels.Sharpen(LlamaForCausalLM.Create(TinyModels.Config(), seed: 4), factor: 5);
        int[] prompt = [11, 12, 13, 14, 15];
        int[] completion = [40, 41, 42];
        var dataset = new PackedTokenDataset([TrainingExample.Completion(prompt, completion, endTokenId: 271)], sequenceLength: 9);
        var trainer = new CausalLmTrainer(model, new TrainerOptions { SequenceLength = 9, MicroBatchSize = 1 });

        var loss = trainer.Evaluate(dataset);

        // Tokens 40, 41, 42, 271 are predicted at positions 4..7 of the sequence prompt+completion+eos.
        int[] sequence = [.. prompt, .. completion, 271];
        var logits = model.Logits(sequence[..^1]);
        var expected = Enumerable.Range(4, 4).Average(t => -LogSoftmax(logits, t, sequence[t + 1]));
        var allTokens = Enumerable.Range(0, 8).Average(t => -LogSoftmax(logits, t, sequence[t + 1]));
        Assert.Equal(expected, loss, 4);
        Assert.True(Math.Abs(allTokens - expected) > 1e-2, "the test needs prompt and completion losses to differ");
    }

    private static double LogSoftmax(float[,] logits, int row, int token)
    {
        var max = Enumerable.Range(0, logits.GetLength(1)).Max(v => logits[row, v]);
        var sum = Enumerable.Range(0, logits.GetLength(1)).Sum(v => Math.Exp(logits[row, v] - max));
        return logits[row, token] - max - Math.Log(sum);
    }
}
