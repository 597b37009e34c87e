using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LlmOps.Evaluation;

/// <summary>A provider's answer as cached: text, token usage and the latency of the original call.</summary>
public sealed record CachedResponse(string Text, int? InputTokens, int? OutputTokens, double LatencyMs);

/// <summary>Responses keyed by provider version, rendered prompt and sampling; only successful calls are stored.</summary>
public interface IResponseCache
{
    Task<CachedResponse?> GetAsync(string key, CancellationToken cancellationToken = default);
    Task SetAsync(string key, CachedResponse response, CancellationToken cancellationToken = default);

    /// <summary>The key of a call: SHA-256 over the provider version, the messages and the sampling parameters.</summary>
    public static string Key(string providerVersion, string prompt, SamplingSpec sampling, long seed)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        var text = JsonSerializer.Serialize(new { providerVersion, prompt, sampling.Temperature, sampling.MaxTokens, sampling.TopP, seed });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>One JSON file per response under a folder (<c>eval-cache/</c> of the data directory), written atomically.</summary>
public sealed class FileResponseCache(string folder) : IResponseCache
{
    public string Folder { get; } = folder;

    public async Task<CachedResponse?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return null;
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<CachedResponse>(stream, LlmOpsJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            return null; // a damaged entry is a miss; the next success overwrites it
        }
    }

    public async Task SetAsync(string key, CachedResponse response, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temp, JsonSerializer.SerializeToUtf8Bytes(response, LlmOpsJson.Options), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    string PathOf(string key)
    {
        if (key.Length < 8 || !key.All(char.IsAsciiHexDigitLower)) throw new ArgumentException("a cache key is lowercase hex.", nameof(key));
        return Path.Combine(Folder, key[..2], key + ".json");
    }
}
