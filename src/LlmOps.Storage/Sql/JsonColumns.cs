using System.Text.Json;

namespace LlmOps.Storage.Sql;

/// <summary>JSON text columns and Unix-millisecond times.</summary>
internal static class JsonColumns
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value, LlmOpsJson.Options);

    public static T Read<T>(string? json, T fallback) =>
        json is null ? fallback : JsonSerializer.Deserialize<T>(json, LlmOpsJson.Options) ?? fallback;

    public static long Millis(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static DateTimeOffset Time(long millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis);

    public static DateTimeOffset? Time(long? millis) => millis is { } m ? DateTimeOffset.FromUnixTimeMilliseconds(m) : null;
}
