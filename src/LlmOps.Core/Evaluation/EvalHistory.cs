using System.Globalization;
using System.Text.Json;
using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Storage;

namespace LlmOps.Evaluation;

/// <summary>Evaluation runs in the store: recorded (audited) after a run, listed, read back, and cited as approval evidence.</summary>
public sealed class EvalHistory(IStore store, Actor actor, TimeProvider timeProvider)
{
    // Evaluation runs are runs: the same area and scopes govern them.
    const string Area = "runs";

    /// <summary>Stores the report's run and every case of candidate and baseline in one transaction.</summary>
    public async Task<EvalRunRecord> RecordAsync(EvalReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        actor.Demand(Role.Developer, Area, Access.Write);
        var summary = JsonSerializer.Serialize(new
        {
            gate = report.Gate,
            candidate = report.Candidate.Summary,
            baseline = report.Baseline?.Summary,
        }, LlmOpsJson.Options);
        var run = new EvalRunRecord(report.Id, report.Suite, report.SuiteSha256, report.Candidate.Name, report.Candidate.Version,
            report.Baseline?.Name, report.Baseline?.Version, report.Gate.Passed, report.Candidate.Summary.Cases, report.Candidate.Summary.Passed,
            summary, DateTimeOffset.FromUnixTimeMilliseconds(report.StartedAt.ToUnixTimeMilliseconds()), report.Seconds, actor.Id);
        var cases = Cases(report.Id, "candidate", report.Candidate).Concat(report.Baseline is null ? [] : Cases(report.Id, "baseline", report.Baseline)).ToList();
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        await session.Evals.InsertRunAsync(run, cases, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "eval.run.record", "eval_run", run.Id, null,
            new { run.Suite, run.SuiteSha256, run.Candidate, run.CandidateVersion, run.Baseline, run.BaselineVersion, run.GatePassed, run.Cases, run.Passed },
            cancellationToken);
        await session.CommitAsync(cancellationToken);
        return run;
    }

    public async Task<EvalRunRecord> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Evals.GetRunAsync(id, cancellationToken) ?? throw new NotFoundException("evaluation run", id);
    }

    public async Task<IReadOnlyList<EvalRunRecord>> ListAsync(int limit = 50, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Evals.ListRunsAsync(limit, cancellationToken);
    }

    public async Task<IReadOnlyList<EvalCaseRecord>> ListCasesAsync(string id, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        _ = await session.Evals.GetRunAsync(id, cancellationToken) ?? throw new NotFoundException("evaluation run", id);
        return await session.Evals.ListCasesAsync(id, cancellationToken);
    }

    /// <summary>The evidence an approval request attaches for a stored run: its reference and a one-line verdict.</summary>
    public static Evidence ToEvidence(EvalRunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rate = run.Cases == 0 ? 0 : (double)run.Passed / run.Cases;
        var against = run.Baseline is null ? "" : $" vs {run.Baseline}";
        return new Evidence("evaluation", run.EvidenceReference, string.Create(CultureInfo.InvariantCulture,
            $"suite {run.Suite}: {run.Candidate}{against}, {run.Passed}/{run.Cases} passed ({rate:P0}), gate {(run.GatePassed ? "passed" : "failed")}"));
    }

    static IEnumerable<EvalCaseRecord> Cases(string runId, string role, ProviderRun run) =>
        run.Cases.Select((c, i) => new EvalCaseRecord(runId, role, i, c.PromptId, c.TestIndex, c.TestName, c.Repeat, c.Passed, c.Score, c.Output, c.Error, c.LatencyMs,
            JsonSerializer.Serialize(c.Assertions, LlmOpsJson.Options), c.Prompt));
}
