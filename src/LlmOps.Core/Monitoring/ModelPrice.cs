namespace LlmOps.Monitoring;

/// <summary>What serving a registry model costs, for every version of it: per 1K tokens (remote providers) and/or per hour
/// of compute the request occupied (local models). Costs are in whatever currency the table is kept in.</summary>
/// <param name="Model">The registry model name.</param>
/// <param name="InputPer1K">Price of 1,000 prompt tokens.</param>
/// <param name="OutputPer1K">Price of 1,000 generated tokens.</param>
/// <param name="PerHour">Price of an hour of local compute, charged by each request's total time (an upper bound under batching).</param>
/// <param name="UpdatedAt">When the price was last set.</param>
/// <param name="UpdatedBy">Who set it.</param>
public sealed record ModelPrice(string Model, double? InputPer1K, double? OutputPer1K, double? PerHour, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    /// <summary>The cost of one request.</summary>
    public double CostOf(int promptTokens, int completionTokens, TimeSpan total) =>
        (InputPer1K ?? 0) * promptTokens / 1000.0 + (OutputPer1K ?? 0) * completionTokens / 1000.0 + (PerHour ?? 0) * total.TotalHours;

    /// <summary>Throws <see cref="InvalidInputException"/> for a negative or missing price.</summary>
    public ModelPrice Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new InvalidInputException("model", "a model name is required.");
        if (InputPer1K is null && OutputPer1K is null && PerHour is null)
            throw new InvalidInputException("inputPer1K", "give at least one of inputPer1K, outputPer1K, perHour.");
        foreach (var (field, value) in new[] { ("inputPer1K", InputPer1K), ("outputPer1K", OutputPer1K), ("perHour", PerHour) })
        {
            if (value is { } v && (v < 0 || !double.IsFinite(v))) throw new InvalidInputException(field, $"{v} is not a price (0 or more).");
        }
        return this;
    }
}

/// <summary>Requests, tokens and cost a key has used at the gateway.</summary>
public sealed record KeyUsage(string KeyId, long Requests, long PromptTokens, long CompletionTokens, double Cost = 0)
{
    public long TotalTokens => PromptTokens + CompletionTokens;
}
