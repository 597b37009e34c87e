using System.Text;
using LLama;
using Microsoft.Extensions.AI;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>Turns chat messages into the prompt text a model expects: its own chat template when the GGUF has one,
/// otherwise a plain <c>role: text</c> transcript ending in <c>assistant:</c>.</summary>
public static class ChatPrompt
{
    /// <summary>Set to true in <see cref="ChatOptions.AdditionalProperties"/> to send one message's text as the prompt verbatim (/v1/completions).</summary>
    public const string RawPromptKey = "llmops.raw_prompt";

    public static string Format(LLamaWeights weights, IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new InvalidInputException("messages", "at least one message is required.");
        if (options?.AdditionalProperties?.TryGetValue(RawPromptKey, out var raw) == true && raw is true)
            return string.Concat(messages.Select(m => m.Text));
        if (weights.Metadata.ContainsKey("tokenizer.chat_template"))
        {
            var template = new LLamaTemplate(weights) { AddAssistant = true };
            foreach (var message in messages) template.Add(message.Role.Value, message.Text);
            return Encoding.UTF8.GetString(template.Apply());
        }
        var prompt = new StringBuilder();
        foreach (var message in messages) prompt.Append(message.Role.Value).Append(": ").Append(message.Text).Append('\n');
        return prompt.Append("assistant:").ToString();
    }
}
