namespace LlmOps.Monitoring;

/// <summary>Which trace records a query wants; every field narrows, null means any.</summary>
/// <param name="Since">At or after this arrival time.</param>
/// <param name="Until">Before this arrival time.</param>
/// <param name="Deployment"><c>endpoint@environment</c>.</param>
/// <param name="Version">Registry version that answered, <c>name/3</c>.</param>
/// <param name="KeyId">The API key's id.</param>
/// <param name="Status"><c>ok</c>, <c>error</c> or <c>cancelled</c>.</param>
/// <param name="Text">Appears in the prompt, the response or the error (case-insensitive).</param>
/// <param name="Source"><c>gateway</c> or <c>otlp</c>.</param>
/// <param name="TraceId">A W3C trace id: every span of one trace.</param>
/// <param name="IncludeShadow">Include shadow copies (never returned to a client).</param>
/// <param name="Limit">At most this many records, newest first.</param>
public sealed record TraceFilter(
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? Deployment = null,
    string? Version = null,
    string? KeyId = null,
    string? Status = null,
    string? Text = null,
    string? Source = null,
    string? TraceId = null,
    bool IncludeShadow = false,
    int Limit = 100)
{
    public const int MaxLimit = 10_000;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first bad field.</summary>
    public TraceFilter Validate()
    {
        if (Limit is < 1 or > MaxLimit) throw new InvalidInputException("limit", $"{Limit} is not between 1 and {MaxLimit}.");
        if (Since is { } s && Until is { } u && u <= s) throw new InvalidInputException("until", $"{u:O} is not after since ({s:O}).");
        if (Status is not null && Status is not (TraceStatus.Ok or TraceStatus.Error or TraceStatus.Cancelled))
            throw new InvalidInputException("status", $"'{Status}' is not one of ok, error, cancelled.");
        if (Source is not null && Source is not (TraceSources.Gateway or TraceSources.Otlp))
            throw new InvalidInputException("source", $"'{Source}' is not one of gateway, otlp.");
        return this;
    }
}
