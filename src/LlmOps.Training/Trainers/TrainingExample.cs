namespace LlmOps.Training.Trainers;

/// <summary>
/// A token sequence to learn from; <see cref="LossMask"/> (same length) marks the tokens whose prediction counts,
/// null meaning all of them (pretraining). For supervised fine-tuning it is true on completion tokens only.
/// </summary>
public sealed record TrainingExample(IReadOnlyList<int> Tokens, IReadOnlyList<bool>? LossMask = null)
{
    /// <summary>A prompt/completion pair whose loss counts on the completion only (and the end token, if given).</summary>
    public static TrainingExample Completion(IReadOnlyList<int> prompt, IReadOnlyList<int> completion, int? endTokenId = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(completion);
        var tokens = prompt.Concat(completion).ToList();
        var mask = Enumerable.Repeat(false, prompt.Count).Concat(Enumerable.Repeat(true, completion.Count)).ToList();
        if (endTokenId is { } end)
        {
            tokens.Add(end);
            mask.Add(true);
        }
        return new TrainingExample(tokens, mask);
    }
}
