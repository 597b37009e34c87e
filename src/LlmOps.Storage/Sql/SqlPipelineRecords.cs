using LlmOps.Identity;
using LlmOps.Pipelines;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlPipelineRecords(SqlSession session) : IPipelineRecords
{
    const string RunColumns = "id, pipeline, definition_yaml, params, status, actor, trigger_kind, created_at, ended_at, error";
    const string StepColumns = "run_id, step_id, status, attempt, cache_key, outputs, error, started_at, ended_at, heartbeat_at";

    public async Task InsertRunAsync(PipelineRun run, IReadOnlyList<StepRun> steps, CancellationToken cancellationToken = default)
    {
        await session.ExecuteAsync($"""
            INSERT INTO pipeline_runs ({RunColumns})
            VALUES (@Id, @Pipeline, @DefinitionYaml, @Params, @Status, @Actor, @Trigger, @CreatedAt, @EndedAt, @Error)
            """, RunParameters(run), cancellationToken);
        foreach (var step in steps)
        {
            await session.ExecuteAsync($"""
                INSERT INTO step_runs ({StepColumns})
                VALUES (@RunId, @StepId, @Status, @Attempt, @CacheKey, @Outputs, @Error, @StartedAt, @EndedAt, @HeartbeatAt)
                """, StepParameters(step), cancellationToken);
        }
    }

    public async Task<PipelineRun?> GetRunAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<RunRow>($"SELECT {RunColumns} FROM pipeline_runs WHERE id = @id", new { id }, cancellationToken))?.ToRun();

    public async Task<IReadOnlyList<PipelineRun>> ListRunsAsync(string? pipeline, int limit, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<RunRow>($"""
            SELECT {RunColumns} FROM pipeline_runs WHERE (@pipeline IS NULL OR pipeline = @pipeline) ORDER BY created_at DESC, id DESC LIMIT @limit
            """, new { pipeline, limit }, cancellationToken)).Select(r => r.ToRun()).ToList();

    public Task UpdateRunAsync(PipelineRun run, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("UPDATE pipeline_runs SET status = @Status, ended_at = @EndedAt, error = @Error WHERE id = @Id", RunParameters(run), cancellationToken);

    public async Task<IReadOnlyList<StepRun>> GetStepsAsync(string runId, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<StepRow>($"SELECT {StepColumns} FROM step_runs WHERE run_id = @runId", new { runId }, cancellationToken)).Select(r => r.ToStep()).ToList();

    public Task UpdateStepAsync(StepRun step, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            UPDATE step_runs SET status = @Status, attempt = @Attempt, cache_key = @CacheKey, outputs = @Outputs, error = @Error,
                started_at = @StartedAt, ended_at = @EndedAt, heartbeat_at = @HeartbeatAt
            WHERE run_id = @RunId AND step_id = @StepId
            """, StepParameters(step), cancellationToken);

    public async Task<(string RunId, IReadOnlyDictionary<string, string> Outputs)?> FindCachedAsync(string cacheKey, CancellationToken cancellationToken = default)
    {
        var row = (await session.QueryAsync<StepRow>($"""
            SELECT {StepColumns} FROM step_runs WHERE cache_key = @cacheKey AND status = 'Succeeded' ORDER BY ended_at DESC LIMIT 1
            """, new { cacheKey }, cancellationToken)).FirstOrDefault();
        return row is null ? null : (row.RunId, Read<Dictionary<string, string>>(row.Outputs, []));
    }

    public Task UpsertDefinitionAsync(RegisteredPipeline pipeline, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO pipelines (name, yaml, actor, updated_at) VALUES (@Name, @Yaml, @Actor, @UpdatedAt)
            ON CONFLICT (name) DO UPDATE SET yaml = excluded.yaml, actor = excluded.actor, updated_at = excluded.updated_at
            """, new { pipeline.Name, pipeline.Yaml, Actor = Write(pipeline.Actor), UpdatedAt = Millis(pipeline.UpdatedAt) }, cancellationToken);

    public async Task<RegisteredPipeline?> GetDefinitionAsync(string name, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<DefinitionRow>("SELECT name, yaml, actor, updated_at FROM pipelines WHERE name = @name", new { name }, cancellationToken))?.ToPipeline();

    public async Task<IReadOnlyList<RegisteredPipeline>> ListDefinitionsAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<DefinitionRow>("SELECT name, yaml, actor, updated_at FROM pipelines ORDER BY name", null, cancellationToken)).Select(r => r.ToPipeline()).ToList();

    public async Task<bool> DeleteDefinitionAsync(string name, CancellationToken cancellationToken = default) =>
        await session.ExecuteAsync("DELETE FROM pipelines WHERE name = @name", new { name }, cancellationToken) > 0;

    public async Task AppendLogAsync(string runId, string stepId, IReadOnlyList<(DateTimeOffset At, string Line)> lines, CancellationToken cancellationToken = default)
    {
        var next = await session.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(sequence), 0) FROM step_logs WHERE run_id = @runId", new { runId }, cancellationToken);
        foreach (var (at, line) in lines)
        {
            await session.ExecuteAsync("INSERT INTO step_logs (run_id, step_id, sequence, at, line) VALUES (@runId, @stepId, @Sequence, @At, @line)",
                new { runId, stepId, Sequence = ++next, At = Millis(at), line }, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<StepLogLine>> GetLogAsync(string runId, string? stepId, long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<LogRow>("""
            SELECT step_id, sequence, at, line FROM step_logs
            WHERE run_id = @runId AND (@stepId IS NULL OR step_id = @stepId) AND sequence > @afterSequence
            ORDER BY sequence LIMIT @limit
            """, new { runId, stepId, afterSequence, limit }, cancellationToken)).Select(r => new StepLogLine(r.StepId, r.Sequence, Time(r.At), r.Line)).ToList();

    static object RunParameters(PipelineRun run) => new
    {
        run.Id, run.Pipeline, run.DefinitionYaml, Params = Write(run.Params), Status = run.Status.ToString(), Actor = Write(run.Actor),
        run.Trigger, CreatedAt = Millis(run.CreatedAt), EndedAt = run.EndedAt is { } e ? Millis(e) : (long?)null, run.Error,
    };

    static object StepParameters(StepRun step) => new
    {
        step.RunId, step.StepId, Status = step.Status.ToString(), step.Attempt, step.CacheKey, Outputs = Write(step.Outputs), step.Error,
        StartedAt = step.StartedAt is { } s ? Millis(s) : (long?)null, EndedAt = step.EndedAt is { } e ? Millis(e) : (long?)null,
        HeartbeatAt = step.HeartbeatAt is { } h ? Millis(h) : (long?)null,
    };

    sealed class RunRow
    {
        public string Id { get; set; } = "";
        public string Pipeline { get; set; } = "";
        public string DefinitionYaml { get; set; } = "";
        public string Params { get; set; } = "{}";
        public string Status { get; set; } = "";
        public string Actor { get; set; } = "";
        public string TriggerKind { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? EndedAt { get; set; }
        public string? Error { get; set; }

        public PipelineRun ToRun() => new(Id, Pipeline, DefinitionYaml, Read<Dictionary<string, string>>(Params, []), Enum.Parse<PipelineRunStatus>(Status),
            Read<Actor?>(Actor, null) ?? throw new InvalidOperationException($"pipeline run {Id} has no actor"), TriggerKind, Time(CreatedAt), Time(EndedAt), Error);
    }

    sealed class StepRow
    {
        public string RunId { get; set; } = "";
        public string StepId { get; set; } = "";
        public string Status { get; set; } = "";
        public long Attempt { get; set; }
        public string? CacheKey { get; set; }
        public string Outputs { get; set; } = "{}";
        public string? Error { get; set; }
        public long? StartedAt { get; set; }
        public long? EndedAt { get; set; }
        public long? HeartbeatAt { get; set; }

        public StepRun ToStep() => new(RunId, StepId, Enum.Parse<StepStatus>(Status), (int)Attempt, CacheKey, Read<Dictionary<string, string>>(Outputs, []), Error,
            Time(StartedAt), Time(EndedAt), Time(HeartbeatAt));
    }

    sealed class DefinitionRow
    {
        public string Name { get; set; } = "";
        public string Yaml { get; set; } = "";
        public string Actor { get; set; } = "";
        public long UpdatedAt { get; set; }

        public RegisteredPipeline ToPipeline() => new(Name, Yaml, Read<Actor?>(Actor, null) ?? throw new InvalidOperationException($"pipeline {Name} has no actor"), Time(UpdatedAt));
    }

    sealed class LogRow
    {
        public string StepId { get; set; } = "";
        public long Sequence { get; set; }
        public long At { get; set; }
        public string Line { get; set; } = "";
    }
}
