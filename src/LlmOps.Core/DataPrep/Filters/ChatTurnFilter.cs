namespace LlmOps.DataPrep.Filters;

/// <summary>The <c>filter_chat_turns</c> step: drops chats with an empty turn, a turn repeated back to back, or no assistant reply.</summary>
public sealed class ChatTurnFilter : IRecordStep
{
    public const string StepName = "filter_chat_turns";

    public string Name => StepName;

    public StepOutcome Apply(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Shape != RecordShape.Chat)
            return StepOutcome.Keep(record);
        ChatMessage? previous = null;
        var assistant = false;
        foreach (var m in record.Messages)
        {
            if (string.IsNullOrWhiteSpace(m.Content))
                return StepOutcome.Drop("empty_turn");
            if (previous is not null && previous.Role == m.Role && previous.Content == m.Content)
                return StepOutcome.Drop("duplicate_turn");
            assistant |= m.Role == "assistant";
            previous = m;
        }
        return assistant ? StepOutcome.Keep(record) : StepOutcome.Drop("no_assistant_turn");
    }
}
