using LlmOps.Registry;
using LlmOps.Storage;

namespace LlmOps.Runs;

/// <summary>Experiment tracking as its users see it, locally or through the server (shaped like MLflow's tracking API).</summary>
public interface IRunTracker
{
    Task<Run> StartRunAsync(StartRun request, CancellationToken cancellationToken = default);
    Task<RunDetails> GetRunAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);
    Task LogParamsAsync(string id, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default);
    Task LogMetricsAsync(string id, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<MetricPoint>> GetMetricHistoryAsync(string id, string name, CancellationToken cancellationToken = default);

    /// <summary>Attaches a blob already in the artifact store to the run under a name.</summary>
    Task<ArtifactFile> LogArtifactAsync(string id, string name, string sha256, CancellationToken cancellationToken = default);
    Task<Run> EndRunAsync(string id, RunStatus status, CancellationToken cancellationToken = default);
    Task<RunComparison> CompareAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default);
}

/// <summary>Input to <see cref="IRunTracker.StartRunAsync"/>.</summary>
public sealed record StartRun(
    string Experiment = "default",
    string? Name = null,
    string? ParentRunId = null,
    IReadOnlyDictionary<string, string>? Params = null,
    IReadOnlyDictionary<string, string>? Tags = null);
