using LlmOps.Server.Gateway;
using LlmOps.Server.Otlp;
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

    /// <summary>Pipeline workers in this process (0: none, e.g. a gateway-only replica).</summary>
    public int Workers { get; set; } = 2;

    /// <summary>Worker queues this process takes steps from, in priority order (a step's <c>queue:</c>, default <c>default</c>).</summary>
    public IReadOnlyList<string> WorkerQueues { get; set; } = ["default", "cpu"];

    /// <summary>How often a running pipeline step records that it is alive.</summary>
    public TimeSpan StepHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A running step silent this long is taken over by another worker (its worker died).</summary>
    public TimeSpan StepHeartbeatTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>PostgreSQL job store: a job fetched by a worker that stops renewing it is handed out again after this long.</summary>
    public TimeSpan JobInvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Log only warnings and errors (an in-process host behind a CLI command).</summary>
    public bool Quiet { get; set; }
    /// <summary>The OpenAI-compatible gateway: default environment, timeouts, llama.cpp runtime, per-key limits.</summary>
    public GatewayOptions Gateway { get; set; } = new();

    /// <summary>The trace store: queue bound, batch size, retention by age and count.</summary>
    public LlmOps.Monitoring.TraceStoreOptions Traces { get; set; } = new();

    /// <summary>How often alert rules are evaluated.</summary>
    public TimeSpan AlertInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Log lines as JSON objects (for log shippers) instead of text.</summary>
    public bool JsonLogs { get; set; }

    /// <summary>Export the gateway's OpenTelemetry spans over OTLP; null: off (unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set).</summary>
    public OtlpExportOptions? Otlp { get; set; }

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
        if (StepHeartbeatInterval <= TimeSpan.Zero || StepHeartbeatTimeout <= StepHeartbeatInterval * 2)
            throw new InvalidInputException("stepHeartbeatTimeout", "must be more than twice the heartbeat interval.");
        if (JobInvisibilityTimeout < TimeSpan.FromSeconds(5)) throw new InvalidInputException("jobInvisibilityTimeout", "must be at least 5 seconds.");
        if (Workers < 0 || Workers > 64) throw new InvalidInputException("workers", "must be between 0 and 64.");
        if (Workers > 0 && WorkerQueues.Count == 0) throw new InvalidInputException("queues", "workers need at least one queue.");
        Gateway.Validate();
        Traces.Validate();
        if (AlertInterval < TimeSpan.FromMilliseconds(100)) throw new InvalidInputException("alertInterval", "must be at least 100 ms.");
        Otlp?.Validate();
        if (string.IsNullOrWhiteSpace(Storage.DataDir)) throw new InvalidInputException("dataDir", "a data directory is required.");
    }
}
