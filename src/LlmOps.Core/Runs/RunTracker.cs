using LlmOps.Artifacts;
using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Storage;

namespace LlmOps.Runs;

/// <summary>Tracks runs: parameters are write-once (as MLflow's), metric series append, finished runs are closed.</summary>
public sealed class RunTracker(IStore store, IArtifactStore artifacts, Actor actor, TimeProvider timeProvider) : IRunTracker
{
    public const int MaxMetricsPerCall = 10_000;
    const string Area = "runs";

    public async Task<Run> StartRunAsync(StartRun request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor.Demand(Role.Developer, Area, Access.Write);
        ModelRegistry.ValidateName(request.Experiment, "experiment");
        if (request.Name is { Length: > 250 }) throw new InvalidInputException("name", "at most 250 characters.");
        Validation.Tags(request.Params, "params");
        Validation.Tags(request.Tags);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        if (request.ParentRunId is not null && await session.Runs.GetRunAsync(request.ParentRunId, cancellationToken) is null)
            throw new NotFoundException("parent run", request.ParentRunId);
        var run = new Run(Guid.CreateVersion7().ToString("N"), request.Experiment, request.Name, RunStatus.Running, request.ParentRunId,
            request.Params ?? new Dictionary<string, string>(), request.Tags ?? new Dictionary<string, string>(), Now(), null, actor.Id);
        await session.Runs.InsertRunAsync(run, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "run.start", "run", run.Id, null, run, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return run;
    }

    public async Task<RunDetails> GetRunAsync(string id, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var run = await RequireRunAsync(session, id, cancellationToken);
        return new RunDetails(run, await session.Runs.GetLatestMetricsAsync(id, cancellationToken), await session.Runs.ListArtifactsAsync(id, cancellationToken));
    }

    public async Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        actor.Demand(Role.Viewer, Area, Access.Read);
        if (query.Limit is < 1 or > 10_000) throw new InvalidInputException("limit", "must be between 1 and 10000.");
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Runs.ListRunsAsync(query, cancellationToken);
    }

    public async Task LogParamsAsync(string id, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        actor.Demand(Role.Developer, Area, Access.Write);
        Validation.Tags(parameters, "params");
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var run = await RequireOpenRunAsync(session, id, cancellationToken);
        var merged = new Dictionary<string, string>(run.Params);
        foreach (var (key, value) in parameters)
        {
            if (merged.TryGetValue(key, out var existing) && existing != value)
                throw new RuleViolationException("param-immutable", $"param '{key}' of run {id} is already '{existing}'; params are write-once.");
            merged[key] = value;
        }
        await session.Runs.UpdateRunAsync(run with { Params = merged }, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "run.params", "run", id, null, parameters, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }

    public async Task LogMetricsAsync(string id, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(points);
        actor.Demand(Role.Developer, Area, Access.Write);
        if (points.Count > MaxMetricsPerCall) throw new InvalidInputException("metrics", $"at most {MaxMetricsPerCall} points per call.");
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            if (string.IsNullOrWhiteSpace(point.Name) || point.Name.Length > 250)
                throw new InvalidInputException($"metrics[{i}].name", "must be 1-250 characters.");
            if (!double.IsFinite(point.Value))
                throw new InvalidInputException($"metrics[{i}].value", $"'{point.Name}' at step {point.Step} is not a finite number.");
            if (point.Step < 0) throw new InvalidInputException($"metrics[{i}].step", "must not be negative.");
        }
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        _ = await RequireOpenRunAsync(session, id, cancellationToken);
        var now = Now();
        var stamped = points.Select(p => p.At == default ? p with { At = now } : p).ToList();
        await session.Runs.InsertMetricsAsync(id, stamped, cancellationToken);
        // One audit entry per batch, not per point: the series itself is the record of values.
        await AuditTrail.AppendAsync(session, timeProvider, actor, "run.metrics", "run", id, null,
            new { points = stamped.Count, names = stamped.Select(p => p.Name).Distinct().Order(StringComparer.Ordinal) }, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<MetricPoint>> GetMetricHistoryAsync(string id, string name, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        _ = await RequireRunAsync(session, id, cancellationToken);
        return await session.Runs.GetMetricSeriesAsync(id, name, cancellationToken);
    }

    public async Task<ArtifactFile> LogArtifactAsync(string id, string name, string sha256, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, Area, Access.Write);
        ArtifactNames.Validate(name);
        ArtifactNames.ValidateSha256(sha256);
        var size = artifacts.GetSize(sha256) ?? throw new InvalidInputException("sha256", $"no blob {sha256} in the artifact store; upload it first.");
        var file = new ArtifactFile(name, sha256, size);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        _ = await RequireRunAsync(session, id, cancellationToken);
        await session.Runs.UpsertArtifactAsync(id, file, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "run.artifact", "run", id, null, file, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return file;
    }

    public async Task<Run> EndRunAsync(string id, RunStatus status, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, Area, Access.Write);
        if (status == RunStatus.Running) throw new InvalidInputException("status", "a run ends as Finished, Failed or Killed.");
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var run = await RequireOpenRunAsync(session, id, cancellationToken);
        var ended = run with { Status = status, EndedAt = Now() };
        await session.Runs.UpdateRunAsync(ended, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "run.end", "run", id, new { run.Status }, new { ended.Status, ended.EndedAt }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return ended;
    }

    public async Task<RunComparison> CompareAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        actor.Demand(Role.Viewer, Area, Access.Read);
        if (ids.Count < 2) throw new InvalidInputException("ids", "compare needs two or more run ids.");
        if (ids.Count > 50) throw new InvalidInputException("ids", "compare takes at most 50 runs.");
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var runs = new List<Run>();
        var metrics = new List<IReadOnlyDictionary<string, MetricPoint>>();
        foreach (var id in ids)
        {
            runs.Add(await RequireRunAsync(session, id, cancellationToken));
            metrics.Add(await session.Runs.GetLatestMetricsAsync(id, cancellationToken));
        }
        return RunComparisons.Build(runs, metrics);
    }

    static async Task<Run> RequireRunAsync(IStoreSession session, string id, CancellationToken cancellationToken) =>
        await session.Runs.GetRunAsync(id, cancellationToken) ?? throw new NotFoundException("run", id);

    static async Task<Run> RequireOpenRunAsync(IStoreSession session, string id, CancellationToken cancellationToken)
    {
        var run = await RequireRunAsync(session, id, cancellationToken);
        if (run.IsFinished) throw new RuleViolationException("run-finished", $"run {id} is {run.Status}; a finished run cannot change.");
        return run;
    }

    DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
}
