using LlmOps.Monitoring;
using LlmOps.Monitoring.Drift;
using LlmOps.Server.Gateway;
using LlmOps.Storage;

namespace LlmOps.Server.Monitoring;

/// <summary>Drift of a deployment's traffic: the prompts and responses the trace store kept in a reference window against those
/// of a current window, through <see cref="DriftAnalyzer"/> with all-MiniLM-L6-v2 embeddings. Latest scores go to /metrics.</summary>
public sealed class DriftMonitor(ITraceQuery traces, IStore store, ChatRuntimes runtimes, MonitoringMetrics metrics)
{
    /// <summary>Most samples read per window (the newest).</summary>
    public const int MaxSamples = 2_000;

    public async Task<DriftReport> CompareAsync(string deployment, DateTimeOffset referenceSince, DateTimeOffset referenceUntil,
        DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default, DriftOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(deployment);
        if (referenceUntil <= referenceSince) throw new InvalidInputException("referenceUntil", "must be after referenceSince.");
        if (until <= since) throw new InvalidInputException("until", "must be after since.");
        var reference = await SamplesAsync(deployment, referenceSince, referenceUntil, cancellationToken);
        return await CompareAsync(deployment, reference, since, until, cancellationToken, options);
    }

    /// <summary>Drift of the deployment's current window against an evaluation run's cases (e.g. the QA evaluation): the rendered
    /// prompts and the candidate's outputs.</summary>
    public async Task<DriftReport> CompareWithEvalRunAsync(string deployment, string evalRunId, DateTimeOffset since, DateTimeOffset until,
        CancellationToken cancellationToken = default, DriftOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(deployment);
        if (until <= since) throw new InvalidInputException("until", "must be after since.");
        IReadOnlyList<Evaluation.EvalCaseRecord> cases;
        await using (var session = await store.OpenAsync(write: false, cancellationToken))
        {
            _ = await session.Evals.GetRunAsync(evalRunId, cancellationToken) ?? throw new NotFoundException("eval run", evalRunId);
            cases = await session.Evals.ListCasesAsync(evalRunId, cancellationToken);
        }
        var reference = cases.Where(c => c.Role == "candidate" && !string.IsNullOrEmpty(c.Prompt)).Select(c => new DriftSample(c.Prompt!, c.Output)).ToList();
        if (reference.Count == 0)
            throw new InvalidInputException("referenceEvalRun", $"eval run {evalRunId} keeps no prompts (recorded before prompts were stored); use a traffic window as the reference.");
        return await CompareAsync(deployment, reference, since, until, cancellationToken, options);
    }

    async Task<DriftReport> CompareAsync(string deployment, IReadOnlyList<DriftSample> reference, DateTimeOffset since, DateTimeOffset until,
        CancellationToken cancellationToken, DriftOptions? options)
    {
        var current = await SamplesAsync(deployment, since, until, cancellationToken);
        var report = await new DriftAnalyzer(options, runtimes.SentenceEmbeddings).AnalyzeAsync(reference, current, cancellationToken);
        foreach (var result in report.Results)
        {
            var feature = $"{result.Feature}:{result.Method}";
            metrics.DriftScore.Set(result.Score, deployment, feature);
            metrics.DriftDetected.Set(result.Drifted ? 1 : 0, deployment, feature);
        }
        metrics.DriftDetected.Set(report.Drifted ? 1 : 0, deployment, "overall");
        metrics.DriftScore.Set(report.DriftShare, deployment, "drift_share");
        return report;
    }

    async Task<IReadOnlyList<DriftSample>> SamplesAsync(string deployment, DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var records = await traces.SearchAsync(new TraceFilter(since, until, deployment, Status: TraceStatus.Ok, Limit: MaxSamples), cancellationToken);
        return records.Where(r => !string.IsNullOrEmpty(r.Prompt)).Select(r => new DriftSample(r.Prompt!, r.Completion)).ToList();
    }
}
