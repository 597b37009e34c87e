namespace LlmOps.Events;

/// <summary>An outbound webhook: events (audit actions such as <c>pipeline.run.end</c> or <c>model.version.approved</c>;
/// <c>*</c> for all, <c>pipeline.*</c> for a prefix) are POSTed to <see cref="Url"/>, signed with <see cref="Secret"/>.</summary>
public sealed record Webhook(string Id, string Url, string Secret, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string CreatedBy)
{
    /// <summary>True when this webhook wants events of <paramref name="action"/>.</summary>
    public bool Wants(string action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Events.Any(e => e == "*" || e == action || (e.EndsWith(".*", StringComparison.Ordinal) && action.StartsWith(e[..^1], StringComparison.Ordinal)));
    }
}
