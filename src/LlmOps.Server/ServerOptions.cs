using LlmOps.Server.Gateway;
using LlmOps.Storage;

namespace LlmOps.Server;

/// <summary>All settings of the LlmOps server in one place. To add one: a property with its default here,
/// a check in <see cref="Validate"/>, a CLI option in <c>llmops up</c>, and a line in the README.</summary>
public sealed class ServerOptions
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Addresses Kestrel listens on; port 0 picks a free port (tests).</summary>
    public string Urls { get; set; } = DefaultUrl;

    /// <summary>Database and artifact locations.</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>Largest JSON request body; uploads have their own limit.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest artifact upload.</summary>
    public long MaxArtifactBytes { get; set; } = 256L * 1024 * 1024 * 1024;

    /// <summary>Unreferenced blobs younger than this survive garbage collection (uploads not yet registered).</summary>
    public TimeSpan ArtifactGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The OpenAI-compatible gateway: default environment, timeouts, llama.cpp runtime, per-key limits.</summary>
    public GatewayOptions Gateway { get; set; } = new();

    /// <summary>Log lines as JSON objects (for log shippers) instead of text.</summary>
    public bool JsonLogs { get; set; }

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new InvalidInputException("urls", $"'{url}' is not an http(s) URL.");
        }
        if (MaxRequestBodyBytes < 1024) throw new InvalidInputException("maxRequestBodyBytes", "must be at least 1024.");
        if (MaxArtifactBytes < MaxRequestBodyBytes) throw new InvalidInputException("maxArtifactBytes", "must be at least maxRequestBodyBytes.");
        Gateway.Validate();
        if (string.IsNullOrWhiteSpace(Storage.DataDir)) throw new InvalidInputException("dataDir", "a data directory is required.");
    }
}
