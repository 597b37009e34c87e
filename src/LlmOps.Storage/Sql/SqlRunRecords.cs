using LlmOps.Registry;
using LlmOps.Runs;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlRunRecords(SqlSession session) : IRunRecords
{
    const string RunColumns = "id, experiment, name, status, parent_run_id, params, tags, started_at, ended_at, created_by";

    public Task InsertRunAsync(Run run, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync($"""
            INSERT INTO runs ({RunColumns})
            VALUES (@Id, @Experiment, @Name, @Status, @ParentRunId, @Params, @Tags, @StartedAt, @EndedAt, @CreatedBy)
            """, Parameters(run), cancellationToken);

    public async Task<Run?> GetRunAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<RunRow>($"SELECT {RunColumns} FROM runs WHERE id = @id", new { id }, cancellationToken))?.ToRun();

    public async Task<IReadOnlyList<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        var rows = await session.QueryAsync<RunRow>($"""
            SELECT {RunColumns} FROM runs
            WHERE (@Experiment IS NULL OR experiment = @Experiment)
              AND (@Status IS NULL OR status = @Status)
              AND (@ParentRunId IS NULL OR parent_run_id = @ParentRunId)
            ORDER BY started_at DESC, id DESC
            LIMIT @Limit
            """, new { query.Experiment, Status = query.Status?.ToString(), query.ParentRunId, query.Limit }, cancellationToken);
        return rows.Select(r => r.ToRun()).ToList();
    }

    public Task UpdateRunAsync(Run run, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            UPDATE runs SET name = @Name, status = @Status, params = @Params, tags = @Tags, ended_at = @EndedAt WHERE id = @Id
            """, Parameters(run), cancellationToken);

    public async Task InsertMetricsAsync(string runId, IReadOnlyList<MetricPoint> points, CancellationToken cancellationToken = default)
    {
        foreach (var point in points)
        {
            await session.ExecuteAsync("INSERT INTO run_metrics (run_id, name, step, value, at) VALUES (@runId, @Name, @Step, @Value, @At)",
                new { runId, point.Name, point.Step, point.Value, At = Millis(point.At) }, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<MetricPoint>> GetMetricSeriesAsync(string runId, string name, CancellationToken cancellationToken = default)
    {
        var rows = await session.QueryAsync<MetricRow>("SELECT name, step, value, at FROM run_metrics WHERE run_id = @runId AND name = @name ORDER BY step, at",
            new { runId, name }, cancellationToken);
        return rows.Select(r => r.ToPoint()).ToList();
    }

    public async Task<IReadOnlyDictionary<string, MetricPoint>> GetLatestMetricsAsync(string runId, CancellationToken cancellationToken = default)
    {
        // The latest value of a series is the one at its highest step (then newest), as MLflow reports it.
        var rows = await session.QueryAsync<MetricRow>("""
            SELECT name, step, value, at FROM (
                SELECT name, step, value, at, ROW_NUMBER() OVER (PARTITION BY name ORDER BY step DESC, at DESC) AS rank
                FROM run_metrics WHERE run_id = @runId) ranked
            WHERE rank = 1
            """, new { runId }, cancellationToken);
        return rows.ToDictionary(r => r.Name, r => r.ToPoint(), StringComparer.Ordinal);
    }

    public Task UpsertArtifactAsync(string runId, ArtifactFile file, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO run_artifacts (run_id, name, sha256, size) VALUES (@runId, @Name, @Sha256, @Size)
            ON CONFLICT (run_id, name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size
            """, new { runId, file.Name, file.Sha256, file.Size }, cancellationToken);

    public async Task<IReadOnlyList<ArtifactFile>> ListArtifactsAsync(string runId, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<ArtifactRow>("SELECT name, sha256, size FROM run_artifacts WHERE run_id = @runId ORDER BY name", new { runId }, cancellationToken))
            .Select(r => new ArtifactFile(r.Name, r.Sha256, r.Size)).ToList();

    public async Task<IReadOnlyList<string>> ListReferencedBlobsAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<string>("SELECT DISTINCT sha256 FROM run_artifacts", null, cancellationToken)).ToList();

    static object Parameters(Run run) => new
    {
        run.Id, run.Experiment, run.Name, Status = run.Status.ToString(), run.ParentRunId,
        Params = Write(run.Params), Tags = Write(run.Tags), StartedAt = Millis(run.StartedAt),
        EndedAt = run.EndedAt is { } ended ? Millis(ended) : (long?)null, run.CreatedBy,
    };

    sealed class RunRow
    {
        public string Id { get; set; } = "";
        public string Experiment { get; set; } = "";
        public string? Name { get; set; }
        public string Status { get; set; } = "";
        public string? ParentRunId { get; set; }
        public string Params { get; set; } = "{}";
        public string Tags { get; set; } = "{}";
        public long StartedAt { get; set; }
        public long? EndedAt { get; set; }
        public string CreatedBy { get; set; } = "";

        public Run ToRun() => new(Id, Experiment, Name, Enum.Parse<RunStatus>(Status), ParentRunId,
            Read<Dictionary<string, string>>(Params, []), Read<Dictionary<string, string>>(Tags, []), Time(StartedAt), Time(EndedAt), CreatedBy);
    }

    sealed class MetricRow
    {
        public string Name { get; set; } = "";
        public long Step { get; set; }
        public double Value { get; set; }
        public long At { get; set; }

        public MetricPoint ToPoint() => new(Name, Step, Value, Time(At));
    }

    sealed class ArtifactRow
    {
        public string Name { get; set; } = "";
        public string Sha256 { get; set; } = "";
        public long Size { get; set; }
    }
}
