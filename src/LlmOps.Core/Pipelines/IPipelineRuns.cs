using LlmOps.Identity;

namespace LlmOps.Pipelines;

/// <summary>Pipeline runs as their users see them, locally or through the server.</summary>
public interface IPipelineRuns
{
    /// <summary>Validates the pipeline YAML (nothing runs if it is invalid) and starts a run.</summary>
    Task<PipelineRun> StartAsync(StartPipeline request, CancellationToken cancellationToken = default);
    Task<PipelineRunDetails> GetAsync(string runId, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<PipelineRun>> ListAsync(string? pipeline = null, int limit = 50, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<StepLogLine>> LogsAsync(string runId, string? stepId = null, long afterSequence = 0, CancellationToken cancellationToken = default);
    Task<PipelineRun> CancelAsync(string runId, CancellationToken cancellationToken = default);
    Task<PipelineRun> RetryAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Approves or rejects the run's step waiting for approval (an Approver other than the run's principal).</summary>
    Task<PipelineRun> DecideAsync(string runId, PipelineDecision decision, CancellationToken cancellationToken = default);

    /// <summary>Stores a validated pipeline by its name so its triggers can start it (runs act as the caller).</summary>
    Task<RegisteredPipeline> RegisterAsync(string yaml, string? source = null, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<RegisteredPipeline>> ListRegisteredAsync(CancellationToken cancellationToken = default);
    Task RemoveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Starts a registered pipeline by name.</summary>
    Task<PipelineRun> StartRegisteredAsync(string name, IReadOnlyDictionary<string, string>? parameters = null, CancellationToken cancellationToken = default);
}

/// <summary>Input to <see cref="IPipelineRuns.StartAsync"/>: the pipeline YAML and parameter overrides.</summary>
public sealed record StartPipeline(string Yaml, IReadOnlyDictionary<string, string>? Params = null, string? Source = null);

/// <summary>A run with its steps.</summary>
public sealed record PipelineRunDetails(PipelineRun Run, IReadOnlyList<StepRun> Steps);

/// <summary>An approval decision on a pipeline's gate.</summary>
public sealed record PipelineDecision(bool Approve, string Comment);

/// <summary>The engine as one principal.</summary>
public sealed class PipelineRuns(PipelineEngine engine, Actor actor) : IPipelineRuns
{
    public Task<PipelineRun> StartAsync(StartPipeline request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return engine.StartAsync(PipelineParser.Parse(request.Yaml, request.Source), request.Params, actor, "manual", cancellationToken);
    }

    public async Task<PipelineRunDetails> GetAsync(string runId, CancellationToken cancellationToken = default)
    {
        var (run, steps) = await engine.GetAsync(runId, actor, cancellationToken);
        return new PipelineRunDetails(run, steps);
    }

    public Task<IReadOnlyList<PipelineRun>> ListAsync(string? pipeline = null, int limit = 50, CancellationToken cancellationToken = default) =>
        limit is < 1 or > 1000 ? throw new InvalidInputException("limit", "must be between 1 and 1000.") : engine.ListAsync(pipeline, actor, limit, cancellationToken);

    public Task<IReadOnlyList<StepLogLine>> LogsAsync(string runId, string? stepId = null, long afterSequence = 0, CancellationToken cancellationToken = default) =>
        engine.LogsAsync(runId, stepId, actor, afterSequence, 1000, cancellationToken);

    public Task<PipelineRun> CancelAsync(string runId, CancellationToken cancellationToken = default) => engine.CancelAsync(runId, actor, cancellationToken);

    public Task<PipelineRun> RetryAsync(string runId, CancellationToken cancellationToken = default) => engine.RetryAsync(runId, actor, cancellationToken);

    public Task<RegisteredPipeline> RegisterAsync(string yaml, string? source = null, CancellationToken cancellationToken = default) =>
        engine.RegisterAsync(PipelineParser.Parse(yaml, source), actor, cancellationToken);

    public Task<IReadOnlyList<RegisteredPipeline>> ListRegisteredAsync(CancellationToken cancellationToken = default) => engine.ListRegisteredAsync(actor, cancellationToken);

    public Task RemoveAsync(string name, CancellationToken cancellationToken = default) => engine.RemoveAsync(name, actor, cancellationToken);

    public Task<PipelineRun> StartRegisteredAsync(string name, IReadOnlyDictionary<string, string>? parameters = null, CancellationToken cancellationToken = default) =>
        engine.StartRegisteredAsync(name, parameters, actor, "manual", cancellationToken);

    public Task<PipelineRun> DecideAsync(string runId, PipelineDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (string.IsNullOrWhiteSpace(decision.Comment)) throw new InvalidInputException("comment", "a comment is required: say what was checked.");
        return engine.DecideAsync(runId, decision.Approve, decision.Comment, actor, cancellationToken);
    }
}
