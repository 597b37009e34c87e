using Microsoft.Extensions.Logging;

namespace LlmOps.Server;

/// <summary>The OTLP receiver's log messages (event ids 1290–1299 of the server's range).</summary>
internal static partial class Log
{
    [LoggerMessage(1290, LogLevel.Warning, "OTLP export from key {KeyId}: {Rejected} of {Total} spans rejected: {Reasons}")]
    public static partial void OtlpSpansRejected(ILogger logger, long rejected, int total, string keyId, string reasons);
}
