using Microsoft.Extensions.Logging;

namespace LlmOps.Server;

/// <summary>The server's log messages; event ids 1000–1999.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "LlmOps store {Provider} ready; artifacts in {ArtifactsPath}")]
    public static partial void StoreReady(ILogger logger, string provider, string artifactsPath);

    [LoggerMessage(1001, LogLevel.Warning, "Request refused: {Status} {Title}: {Detail}")]
    public static partial void RequestRefused(ILogger logger, int status, string title, string detail);

    [LoggerMessage(1002, LogLevel.Error, "Unhandled error on {Method} {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(1003, LogLevel.Warning, "Authentication failed for key id {KeyId}")]
    public static partial void AuthenticationFailed(ILogger logger, string keyId);

    [LoggerMessage(1005, LogLevel.Error, "Event routing failed; retrying on the next tick")]
    public static partial void EventRoutingFailed(ILogger logger, Exception exception);

    [LoggerMessage(1006, LogLevel.Information, "Trigger {Trigger} of pipeline {Pipeline} skipped: a run of it is still unfinished")]
    public static partial void TriggerSkipped(ILogger logger, string pipeline, string trigger);

    [LoggerMessage(1004, LogLevel.Information, "Created the first admin key {KeyId}")]
    public static partial void AdminKeyCreated(ILogger logger, string keyId);

    [LoggerMessage(1100, LogLevel.Warning, "Gateway {Deployment}: version {Version} failed, trying the next in the chain: {Reason}")]
    public static partial void VersionFailed(ILogger logger, string deployment, string version, string reason);

    [LoggerMessage(1101, LogLevel.Error, "Gateway {Deployment}: version {Version} failed while streaming")]
    public static partial void StreamFailed(ILogger logger, Exception exception, string deployment, string version);

    [LoggerMessage(1102, LogLevel.Information, "Gateway {Deployment}: shadow {Version} failed: {Reason}")]
    public static partial void ShadowFailed(ILogger logger, string deployment, string version, string reason);

    [LoggerMessage(1200, LogLevel.Information, "Trace retention deleted {Count} records")]
    public static partial void TracesExpired(ILogger logger, int count);

    [LoggerMessage(1201, LogLevel.Error, "Trace retention failed; trying again at the next interval")]
    public static partial void TraceRetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(1202, LogLevel.Warning, "Trace store write failed (the batch is retried with back-off): {Reason}")]
    public static partial void TraceWriteFailed(ILogger logger, string reason);

    [LoggerMessage(1203, LogLevel.Warning, "Online evaluation of {TraceId} on {Deployment} failed: {Reason}")]
    public static partial void OnlineEvalFailed(ILogger logger, string traceId, string deployment, string reason);

    [LoggerMessage(1204, LogLevel.Information, "Alert {Rule}: {From} -> {To} ({Message})")]
    public static partial void AlertChanged(ILogger logger, string rule, string from, string to, string message);

    [LoggerMessage(1205, LogLevel.Error, "Alert evaluation failed; trying again at the next interval")]
    public static partial void AlertEvaluationFailed(ILogger logger, Exception exception);

    [LoggerMessage(1206, LogLevel.Warning, "Trace store: dropped {QueueFull} records because the queue ({Capacity}) was full and {WriteFailed} the store refused; the gateway kept answering")]
    public static partial void TracesDropped(ILogger logger, long queueFull, long writeFailed, int capacity);
}
