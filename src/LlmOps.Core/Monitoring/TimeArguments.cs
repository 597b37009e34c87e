using System.Globalization;
using LlmOps.Configuration;

namespace LlmOps.Monitoring;

/// <summary>Reads the time arguments of monitoring queries: an ISO 8601 instant (<c>2026-11-27T10:00:00Z</c>) or a duration
/// back from now (<c>15m</c>, <c>24h</c>, <c>7d</c>), as Prometheus and most trace viewers take them.</summary>
public static class TimeArguments
{
    public static DateTimeOffset? Instant(string? text, string field, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (YamlSection.ParseDuration(text) is { } ago) return now - ago;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)) return at;
        throw new InvalidInputException(field, $"'{text}' is neither an ISO 8601 time nor a duration back from now like 15m, 24h or 7d.");
    }

    public static TimeSpan? Duration(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return YamlSection.ParseDuration(text) is { } span && span > TimeSpan.Zero
            ? span
            : throw new InvalidInputException(field, $"'{text}' is not a duration like 30s, 5m, 1h or 1d.");
    }
}
