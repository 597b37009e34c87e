using LlmOps.DataPrep;
using LlmOps.Training.Trainers;
using Microsoft.ML.Tokenizers;

namespace LlmOps.Training.Jobs;

/// <summary>
/// Turns records into token sequences with loss masks: text is learned whole (then the end token); prompt/completion
/// learns the completion and the end token only; chat learns the assistant turns only, rendered as the
/// <c>role: text</c> transcript that the llama.cpp runtime falls back to when a GGUF has no chat template.
/// </summary>
public sealed class ExampleBuilder(Func<string, IReadOnlyList<int>> encode, int endTokenId)
{
    /// <summary>Encodes with a Microsoft.ML.Tokenizers tokenizer (our own byte-level BPE).</summary>
    public ExampleBuilder(Tokenizer tokenizer, int endTokenId)
        : this(EncoderOf(tokenizer), endTokenId)
    {
    }

    private static Func<string, IReadOnlyList<int>> EncoderOf(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return text => tokenizer.EncodeToIds(text);
    }

    /// <summary>The example of one record.</summary>
    public TrainingExample Build(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        switch (record.Shape)
        {
            case RecordShape.Text:
                // A document ends with the end token, so the model learns where text stops.
                return new TrainingExample([.. Encode(record.Text!), endTokenId]);
            case RecordShape.PromptCompletion:
                return TrainingExample.Completion(Encode(record.Prompt!), Encode(record.Completion!), endTokenId);
            default:
                var tokens = new List<int>();
                var mask = new List<bool>();
                void Add(IEnumerable<int> ids, bool learn)
                {
                    foreach (var id in ids)
                    {
                        tokens.Add(id);
                        mask.Add(learn);
                    }
                }

                foreach (var message in record.Messages)
                {
                    if (message.Role == "assistant")
                    {
                        Add(Encode("assistant:"), learn: false);
                        Add([.. Encode(" " + message.Content), endTokenId], learn: true);
                        Add(Encode("\n"), learn: false);
                    }
                    else
                    {
                        Add(Encode($"{message.Role}: {message.Content}\n"), learn: false);
                    }
                }
                return new TrainingExample(tokens, mask);
        }
    }

    private IReadOnlyList<int> Encode(string text) => encode(text);
}
