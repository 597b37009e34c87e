using LlmOps.Evaluation;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlEvalRecords(SqlSession session) : IEvalRecords
{
    const string RunColumns = "id, suite, suite_sha256, candidate, candidate_version, baseline, baseline_version, gate_passed, cases, passed, summary, started_at, seconds, created_by";
    const string CaseColumns = "run_id, role, ordinal, prompt_id, test_index, test_name, repeat_index, passed, score, output, error, latency_ms, assertions, prompt";

    public async Task InsertRunAsync(EvalRunRecord run, IReadOnlyList<EvalCaseRecord> cases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(cases);
        await session.ExecuteAsync($"""
            INSERT INTO eval_runs ({RunColumns}) VALUES (@Id, @Suite, @SuiteSha256, @Candidate, @CandidateVersion, @Baseline, @BaselineVersion,
                @GatePassed, @Cases, @Passed, @SummaryJson, @StartedAt, @Seconds, @CreatedBy)
            """,
            new
            {
                run.Id, run.Suite, run.SuiteSha256, run.Candidate, run.CandidateVersion, run.Baseline, run.BaselineVersion, GatePassed = run.GatePassed ? 1 : 0,
                run.Cases, run.Passed, run.SummaryJson, StartedAt = Millis(run.StartedAt), run.Seconds, run.CreatedBy,
            }, cancellationToken);
        foreach (var c in cases)
        {
            await session.ExecuteAsync($"""
                INSERT INTO eval_case_results ({CaseColumns}) VALUES (@RunId, @Role, @Ordinal, @PromptId, @TestIndex, @TestName, @Repeat, @Passed, @Score,
                    @Output, @Error, @LatencyMs, @AssertionsJson, @Prompt)
                """,
                new { c.RunId, c.Role, c.Ordinal, c.PromptId, c.TestIndex, c.TestName, c.Repeat, Passed = c.Passed ? 1 : 0, c.Score, c.Output, c.Error, c.LatencyMs, c.AssertionsJson, c.Prompt },
                cancellationToken);
        }
    }

    public async Task<EvalRunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<RunRow>($"SELECT {RunColumns} FROM eval_runs WHERE id = @id", new { id }, cancellationToken)).Select(ToRecord).SingleOrDefault();

    public async Task<IReadOnlyList<EvalRunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<RunRow>($"SELECT {RunColumns} FROM eval_runs ORDER BY started_at DESC, id DESC LIMIT @limit", new { limit }, cancellationToken))
            .Select(ToRecord).ToList();

    public async Task<IReadOnlyList<EvalCaseRecord>> ListCasesAsync(string runId, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<CaseRow>($"SELECT {CaseColumns} FROM eval_case_results WHERE run_id = @runId ORDER BY CASE role WHEN 'candidate' THEN 0 ELSE 1 END, ordinal",
            new { runId }, cancellationToken))
            .Select(r => new EvalCaseRecord(r.RunId, r.Role, (int)r.Ordinal, r.PromptId, (int)r.TestIndex, r.TestName, (int)r.RepeatIndex, r.Passed != 0, r.Score,
                r.Output, r.Error, r.LatencyMs, r.Assertions, r.Prompt))
            .ToList();

    static EvalRunRecord ToRecord(RunRow r) => new(r.Id, r.Suite, r.SuiteSha256, r.Candidate, r.CandidateVersion, r.Baseline, r.BaselineVersion, r.GatePassed != 0,
        (int)r.Cases, (int)r.Passed, r.Summary, Time(r.StartedAt), r.Seconds, r.CreatedBy);

    // Dapper maps snake_case columns by matching names without underscores (MatchNamesWithUnderscores is set by the store, as for the other records).
    sealed class RunRow
    {
        public string Id { get; set; } = "";
        public string Suite { get; set; } = "";
        public string SuiteSha256 { get; set; } = "";
        public string Candidate { get; set; } = "";
        public string CandidateVersion { get; set; } = "";
        public string? Baseline { get; set; }
        public string? BaselineVersion { get; set; }
        public long GatePassed { get; set; }
        public long Cases { get; set; }
        public long Passed { get; set; }
        public string Summary { get; set; } = "";
        public long StartedAt { get; set; }
        public double Seconds { get; set; }
        public string CreatedBy { get; set; } = "";
    }

    sealed class CaseRow
    {
        public string RunId { get; set; } = "";
        public string Role { get; set; } = "";
        public long Ordinal { get; set; }
        public string PromptId { get; set; } = "";
        public long TestIndex { get; set; }
        public string TestName { get; set; } = "";
        public long RepeatIndex { get; set; }
        public long Passed { get; set; }
        public double Score { get; set; }
        public string? Output { get; set; }
        public string? Error { get; set; }
        public double LatencyMs { get; set; }
        public string Assertions { get; set; } = "";
        public string? Prompt { get; set; }
    }
}
