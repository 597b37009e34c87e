namespace LlmOps.Registry;

/// <summary>A named model in the registry; its versions hold the weights.</summary>
public sealed record RegisteredModel(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    IReadOnlyDictionary<string, int> Aliases);
