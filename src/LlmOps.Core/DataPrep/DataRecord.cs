using System.Text;

namespace LlmOps.DataPrep;

/// <summary>The shape of a training record: raw text, prompt/completion, or chat messages.</summary>
public enum RecordShape
{
    Text,
    PromptCompletion,
    Chat,
}

/// <summary>Where a record came from: the source file (as named in the manifest) and its line or row.</summary>
public readonly record struct RecordOrigin(string File, long Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>One chat turn in the OpenAI <c>messages</c> layout.</summary>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>The roles a chat record may use.</summary>
    public static readonly IReadOnlySet<string> KnownRoles = new HashSet<string>(StringComparer.Ordinal) { "system", "user", "assistant" };
}

/// <summary>A record flowing through data preparation; exactly the fields of its <see cref="Shape"/> are set.</summary>
public sealed record DataRecord
{
    private DataRecord(RecordShape shape, RecordOrigin origin)
    {
        Shape = shape;
        Origin = origin;
    }

    public RecordShape Shape { get; }

    public RecordOrigin Origin { get; }

    public string? Text { get; init; }

    public string? Prompt { get; init; }

    public string? Completion { get; init; }

    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    public static DataRecord FromText(string text, RecordOrigin origin = default) =>
        new(RecordShape.Text, origin) { Text = text };

    public static DataRecord FromPromptCompletion(string prompt, string completion, RecordOrigin origin = default) =>
        new(RecordShape.PromptCompletion, origin) { Prompt = prompt, Completion = completion };

    public static DataRecord FromMessages(IReadOnlyList<ChatMessage> messages, RecordOrigin origin = default) =>
        new(RecordShape.Chat, origin) { Messages = messages };

    /// <summary>
    /// All the record's text as one string (chat turns as "role: content" lines), used for hashing,
    /// filtering, splitting and n-gram checks. Field boundaries are kept so that moving text between
    /// prompt and completion is a different record.
    /// </summary>
    public string ContentText() => Shape switch
    {
        RecordShape.Text => Text!,
        RecordShape.PromptCompletion => string.Concat(Prompt, "\n\u241E\n", Completion),
        _ => JoinMessages(Messages),
    };

    /// <summary>Applies <paramref name="map"/> to every text field, keeping the shape and origin.</summary>
    public DataRecord MapText(Func<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Shape switch
        {
            RecordShape.Text => this with { Text = map(Text!) },
            RecordShape.PromptCompletion => this with { Prompt = map(Prompt!), Completion = map(Completion!) },
            _ => this with { Messages = Messages.Select(m => m with { Content = map(m.Content) }).ToArray() },
        };
    }

    /// <summary>The text fields one by one (text; prompt and completion; each turn's content).</summary>
    public IEnumerable<string> TextFields() => Shape switch
    {
        RecordShape.Text => [Text!],
        RecordShape.PromptCompletion => [Prompt!, Completion!],
        _ => Messages.Select(m => m.Content),
    };

    private static string JoinMessages(IReadOnlyList<ChatMessage> messages)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
            sb.Append(m.Role).Append(": ").Append(m.Content).Append('\n');
        return sb.ToString();
    }
}
