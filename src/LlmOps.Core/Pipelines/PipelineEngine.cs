using System.Security.Cryptography;
using System.Text;
using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Storage;

namespace LlmOps.Pipelines;

/// <summary>Runs pipelines as a DAG over durable step states in the store: a dispatcher (Hangfire) only hands out
/// queued steps, so a crash loses nothing — queued and orphaned steps are dispatched again and steps are idempotent.
/// Steps with equal inputs reuse earlier outputs (caching); failures retry with back-off, then skip what depends on them.</summary>
public sealed class PipelineEngine(PlatformServices platform, IStepDispatcher dispatcher, IEnumerable<IPipelineStep> implementations, PipelineEngineOptions options)
{
    const string Area = "pipelines";
    readonly Dictionary<string, IPipelineStep> stepsByType = implementations.ToDictionary(s => s.Type, StringComparer.Ordinal);
    IStore Store => platform.Store;
    TimeProvider Time => platform.Time;

    /// <summary>Starts a run: records it with every step Pending, then queues the steps that can start.</summary>
    public async Task<PipelineRun> StartAsync(PipelineDefinition definition, IReadOnlyDictionary<string, string>? parameters, Actor actor, string trigger = "manual", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Developer, Area, Access.Write);
        var values = new Dictionary<string, string>(definition.Parameters, StringComparer.Ordinal);
        foreach (var (name, value) in parameters ?? new Dictionary<string, string>())
        {
            if (!values.ContainsKey(name))
                throw new InvalidInputException($"params.{name}", $"pipeline '{definition.Name}' has no parameter '{name}' (parameters: {string.Join(", ", values.Keys)}).");
            values[name] = value;
        }
        foreach (var step in definition.Steps)
        {
            if (!stepsByType.ContainsKey(step.Type))
                throw new InvalidInputException($"steps.{step.Id}.type", $"step type '{step.Type}' is not available in this process.");
        }
        var run = new PipelineRun(Guid.CreateVersion7().ToString("N"), definition.Name, definition.Yaml, values, PipelineRunStatus.Running, actor, trigger, Now(), null, null);
        var steps = definition.Steps.Select(s => new StepRun(run.Id, s.Id, StepStatus.Pending, 0, null, new Dictionary<string, string>(), null, null, null, null)).ToList();
        await using (var session = await Store.OpenAsync(write: true, cancellationToken))
        {
            await session.Pipelines.InsertRunAsync(run, steps, cancellationToken);
            await AuditTrail.AppendAsync(session, Time, actor, "pipeline.run.start", "pipeline_run", run.Id, null, new { run.Pipeline, run.Params, run.Trigger }, cancellationToken);
            await session.CommitAsync(cancellationToken);
        }
        await AdvanceAsync(run.Id, cancellationToken);
        return run;
    }

    /// <summary>Stores a pipeline by name (replacing an earlier one); its triggers start runs acting as <paramref name="actor"/>.</summary>
    public async Task<RegisteredPipeline> RegisterAsync(PipelineDefinition definition, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Developer, Area, Access.Write);
        var registered = new RegisteredPipeline(definition.Name, definition.Yaml, actor, Now());
        await using var session = await Store.OpenAsync(write: true, cancellationToken);
        var before = await session.Pipelines.GetDefinitionAsync(definition.Name, cancellationToken);
        await session.Pipelines.UpsertDefinitionAsync(registered, cancellationToken);
        await AuditTrail.AppendAsync(session, Time, actor, "pipeline.register", "pipeline", definition.Name,
            before is null ? null : new { before.UpdatedAt }, new { triggers = definition.Triggers, steps = definition.Steps.Count }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return registered;
    }

    public async Task<IReadOnlyList<RegisteredPipeline>> ListRegisteredAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await Store.OpenAsync(write: false, cancellationToken);
        return await session.Pipelines.ListDefinitionsAsync(cancellationToken);
    }

    public async Task RemoveAsync(string name, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Developer, Area, Access.Write);
        await using var session = await Store.OpenAsync(write: true, cancellationToken);
        if (!await session.Pipelines.DeleteDefinitionAsync(name, cancellationToken)) throw new NotFoundException("pipeline", name);
        await AuditTrail.AppendAsync(session, Time, actor, "pipeline.remove", "pipeline", name, null, null, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }

    /// <summary>Starts a registered pipeline: manually, or from a trigger (then acting as whoever registered it).</summary>
    public async Task<PipelineRun> StartRegisteredAsync(string name, IReadOnlyDictionary<string, string>? parameters, Actor? actor, string trigger, CancellationToken cancellationToken = default)
    {
        RegisteredPipeline registered;
        await using (var session = await Store.OpenAsync(write: false, cancellationToken))
            registered = await session.Pipelines.GetDefinitionAsync(name, cancellationToken) ?? throw new NotFoundException("pipeline", name);
        return await StartAsync(PipelineParser.Parse(registered.Yaml), parameters, actor ?? registered.Actor, trigger, cancellationToken);
    }

    /// <summary>The run and its steps in definition order.</summary>
    public async Task<(PipelineRun Run, IReadOnlyList<StepRun> Steps)> GetAsync(string runId, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await Store.OpenAsync(write: false, cancellationToken);
        var run = await session.Pipelines.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException("pipeline run", runId);
        var order = PipelineParser.Parse(run.DefinitionYaml).Steps.Select(s => s.Id).ToList();
        var steps = (await session.Pipelines.GetStepsAsync(runId, cancellationToken)).OrderBy(s => order.IndexOf(s.StepId)).ToList();
        return (run, steps);
    }

    public async Task<IReadOnlyList<PipelineRun>> ListAsync(string? pipeline, Actor actor, int limit = 50, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await Store.OpenAsync(write: false, cancellationToken);
        return await session.Pipelines.ListRunsAsync(pipeline, limit, cancellationToken);
    }

    public async Task<IReadOnlyList<StepLogLine>> LogsAsync(string runId, string? stepId, Actor actor, long afterSequence = 0, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await Store.OpenAsync(write: false, cancellationToken);
        _ = await session.Pipelines.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException("pipeline run", runId);
        return await session.Pipelines.GetLogAsync(runId, stepId, afterSequence, limit, cancellationToken);
    }

    /// <summary>Moves the run forward: skips steps whose condition is false or whose upstream failed, queues the ready ones,
    /// and closes the run when nothing is left. Safe to call any number of times.</summary>
    public async Task AdvanceAsync(string runId, CancellationToken cancellationToken = default)
    {
        var toDispatch = new List<(string StepId, string Queue)>();
        await using (var session = await Store.OpenAsync(write: true, cancellationToken))
        {
            var run = await session.Pipelines.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException("pipeline run", runId);
            if (run.IsFinished) return;
            var definition = PipelineParser.Parse(run.DefinitionYaml);
            var states = (await session.Pipelines.GetStepsAsync(runId, cancellationToken)).ToDictionary(s => s.StepId, StringComparer.Ordinal);
            bool changed;
            do
            {
                changed = false;
                foreach (var step in definition.Steps)
                {
                    var state = states[step.Id];
                    if (state.Status != StepStatus.Pending) continue;
                    var upstream = step.Needs.Select(n => states[n]).ToList();
                    if (!upstream.All(u => u.IsTerminal)) continue;
                    string? skip = upstream.FirstOrDefault(u => !u.HasOutputs) is { } blocked ? $"skipped: {blocked.StepId} {blocked.Status.ToString().ToLowerInvariant()}" : null;
                    if (skip is null && step.When is not null && !PipelineExpressions.ParseCondition(step.When).IsTrue(r => Resolve(r, run, states)))
                        skip = $"skipped: condition '{step.When}' is false";
                    states[step.Id] = skip is null
                        ? state with { Status = StepStatus.Queued }
                        : state with { Status = StepStatus.Skipped, Error = skip, EndedAt = Now() };
                    await session.Pipelines.UpdateStepAsync(states[step.Id], cancellationToken);
                    if (skip is null) toDispatch.Add((step.Id, step.Queue));
                    changed = true;
                }
            }
            while (changed);

            var all = states.Values.ToList();
            PipelineRun? updated = null;
            if (all.All(s => s.IsTerminal))
            {
                var failed = all.FirstOrDefault(s => s.Status == StepStatus.Failed);
                updated = run with
                {
                    Status = failed is null ? PipelineRunStatus.Succeeded : PipelineRunStatus.Failed,
                    EndedAt = Now(),
                    Error = failed is null ? null : $"step {failed.StepId} failed: {failed.Error}",
                };
            }
            else if (all.Any(s => s.Status == StepStatus.WaitingForApproval) && !all.Any(s => s.Status is StepStatus.Queued or StepStatus.Running))
            {
                updated = run with { Status = PipelineRunStatus.WaitingForApproval };
            }
            else if (run.Status == PipelineRunStatus.WaitingForApproval)
            {
                updated = run with { Status = PipelineRunStatus.Running };
            }
            if (updated is not null && updated != run)
            {
                await session.Pipelines.UpdateRunAsync(updated, cancellationToken);
                if (updated.IsFinished)
                    await AuditTrail.AppendAsync(session, Time, run.Actor, "pipeline.run.end", "pipeline_run", run.Id, null, new { updated.Status, updated.Error }, cancellationToken);
            }
            await session.CommitAsync(cancellationToken);
        }
        // Dispatch after commit: a crash in between leaves steps Queued, which RecoverAsync dispatches again.
        foreach (var (stepId, queue) in toDispatch) dispatcher.Dispatch(runId, stepId, queue, TimeSpan.Zero);
    }

    /// <summary>Runs one queued step (the job a worker executes). Returns at once when the step is not queued
    /// (already done, cancelled, or running elsewhere with a fresh heartbeat).</summary>
    public async Task ExecuteStepAsync(string runId, string stepId, CancellationToken cancellationToken = default)
    {
        PipelineRun run;
        StepDefinition step;
        StepRun state;
        Dictionary<string, StepRun> states;
        await using (var session = await Store.OpenAsync(write: true, cancellationToken))
        {
            run = await session.Pipelines.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException("pipeline run", runId);
            if (run.IsFinished) return;
            step = PipelineParser.Parse(run.DefinitionYaml).Step(stepId);
            states = (await session.Pipelines.GetStepsAsync(runId, cancellationToken)).ToDictionary(s => s.StepId, StringComparer.Ordinal);
            state = states[stepId];
            var orphaned = state.Status == StepStatus.Running && (state.HeartbeatAt is null || Now() - state.HeartbeatAt > options.HeartbeatTimeout);
            if (state.Status != StepStatus.Queued && !orphaned) return;
            state = state with { Status = StepStatus.Running, Attempt = state.Attempt + 1, StartedAt = Now(), HeartbeatAt = Now(), Error = null };
            await session.Pipelines.UpdateStepAsync(state, cancellationToken);
            await session.CommitAsync(cancellationToken);
        }

        var inputs = step.With.ToDictionary(p => p.Key, p => PipelineExpressions.Interpolate(p.Value, r => Resolve(r, run, states)), StringComparer.Ordinal);
        var workDirectory = Path.Combine(options.WorkRoot, runId, stepId);
        Directory.CreateDirectory(workDirectory);
        var context = new StepContext(runId, stepId, run.Pipeline, inputs, run.Actor, workDirectory, Time);
        var implementation = stepsByType[step.Type];
        context.Log($"attempt {state.Attempt} of {step.Retries + 1}: {step.Type}");

        StepRun finished;
        try
        {
            var cacheKey = implementation.Cacheable ? await CacheKeyAsync(step, inputs, implementation, context, cancellationToken) : null;
            state = state with { CacheKey = cacheKey };
            (string RunId, IReadOnlyDictionary<string, string> Outputs)? cached = null;
            if (cacheKey is not null)
            {
                await using var session = await Store.OpenAsync(write: false, cancellationToken);
                cached = await session.Pipelines.FindCachedAsync(cacheKey, cancellationToken);
            }
            if (cached is { } hit)
            {
                context.Log($"cache hit: reusing the outputs of run {hit.RunId} ({cacheKey![..12]})");
                finished = state with { Status = StepStatus.Cached, Outputs = hit.Outputs, EndedAt = Now() };
            }
            else
            {
                var outcome = await RunWithHeartbeatAsync(implementation, context, state, step.Timeout, cancellationToken);
                finished = state with
                {
                    Status = outcome.AwaitApproval ? StepStatus.WaitingForApproval : StepStatus.Succeeded,
                    Outputs = outcome.Outputs,
                    EndedAt = outcome.AwaitApproval ? null : Now(),
                };
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var reason = exception is OperationCanceledException ? $"timed out after {step.Timeout}" : exception.Message;
            context.Log($"error: {reason}");
            if (state.Attempt <= step.Retries)
            {
                var delay = step.RetryBackoff * Math.Pow(2, state.Attempt - 1);
                context.Log($"retrying in {delay.TotalSeconds:0.#} s");
                await SaveAsync(state with { Status = StepStatus.Queued, Error = reason, HeartbeatAt = null }, context, cancellationToken);
                dispatcher.Dispatch(runId, stepId, step.Queue, delay);
                return;
            }
            finished = state with { Status = StepStatus.Failed, Error = reason, EndedAt = Now() };
        }
        context.Log($"{finished.Status.ToString().ToLowerInvariant()}" + (finished.Outputs.Count > 0 ? $": {string.Join(", ", finished.Outputs.Select(o => $"{o.Key}={o.Value}"))}" : ""));
        await SaveAsync(finished, context, cancellationToken);
        await AdvanceAsync(runId, cancellationToken);
    }

    /// <summary>Approves or rejects the step waiting for approval, through the registry (so four eyes apply: the approver
    /// must differ from the principal who started the run), then continues or ends the run.</summary>
    public async Task<PipelineRun> DecideAsync(string runId, bool approve, string comment, Actor approver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approver);
        approver.Demand(Role.Approver, Area, Access.Write);
        StepRun waiting;
        await using (var session = await Store.OpenAsync(write: false, cancellationToken))
        {
            _ = await session.Pipelines.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException("pipeline run", runId);
            waiting = (await session.Pipelines.GetStepsAsync(runId, cancellationToken)).FirstOrDefault(s => s.Status == StepStatus.WaitingForApproval)
                ?? throw new RuleViolationException("illegal-transition", $"pipeline run {runId} has no step waiting for approval.");
        }
        var reference = waiting.Outputs.TryGetValue("model_version", out var value) ? value : throw new InvalidOperationException($"approval step {waiting.StepId} recorded no model_version.");
        var (name, version, _) = ModelReference.Parse(reference);
        var registry = platform.Models(approver);
        var decision = new ApprovalDecision(comment);
        if (approve) await registry.ApproveAsync(name, version!.Value, decision, cancellationToken);
        else await registry.RejectAsync(name, version!.Value, decision, cancellationToken);

        var outputs = new Dictionary<string, string>(waiting.Outputs) { ["decision"] = approve ? "approved" : "rejected", ["approver"] = approver.Id };
        var finished = waiting with
        {
            Status = approve ? StepStatus.Succeeded : StepStatus.Failed,
            Outputs = outputs,
            Error = approve ? null : $"rejected by {approver.Id}: {comment}",
            EndedAt = Now(),
        };
        var context = new StepContext(runId, waiting.StepId, "", new Dictionary<string, string>(), approver, options.WorkRoot, Time);
        context.Log($"{(approve ? "approved" : "rejected")} by {approver.Id}: {comment}");
        await SaveAsync(finished, context, cancellationToken);
        await AdvanceAsync(runId, cancellationToken);
        return (await GetAsync(runId, approver, cancellationToken)).Run;
    }

    /// <summary>Cancels a run: pending, queued and waiting steps end Cancelled; a running step finishes its attempt, and its result is dropped.</summary>
    public async Task<PipelineRun> CancelAsync(string runId, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Developer, Area, Access.Write);
        await using var session = await Store.OpenAsync(write: true, cancellationToken);
        var run = await session.Pipelines.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException("pipeline run", runId);
        if (run.IsFinished) throw new RuleViolationException("run-finished", $"pipeline run {runId} is already {run.Status}.");
        foreach (var step in await session.Pipelines.GetStepsAsync(runId, cancellationToken))
        {
            if (!step.IsTerminal)
                await session.Pipelines.UpdateStepAsync(step with { Status = StepStatus.Cancelled, EndedAt = Now(), Error = $"cancelled by {actor.Id}" }, cancellationToken);
        }
        var cancelled = run with { Status = PipelineRunStatus.Cancelled, EndedAt = Now(), Error = $"cancelled by {actor.Id}" };
        await session.Pipelines.UpdateRunAsync(cancelled, cancellationToken);
        await AuditTrail.AppendAsync(session, Time, actor, "pipeline.run.cancel", "pipeline_run", runId, new { run.Status }, new { cancelled.Status }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return cancelled;
    }

    /// <summary>Retries a failed run from its failed steps: they and the steps skipped because of them go back to Pending.</summary>
    public async Task<PipelineRun> RetryAsync(string runId, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        actor.Demand(Role.Developer, Area, Access.Write);
        PipelineRun resumed;
        await using (var session = await Store.OpenAsync(write: true, cancellationToken))
        {
            var run = await session.Pipelines.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException("pipeline run", runId);
            if (run.Status != PipelineRunStatus.Failed) throw new RuleViolationException("illegal-transition", $"pipeline run {runId} is {run.Status}; only a failed run can be retried.");
            foreach (var step in await session.Pipelines.GetStepsAsync(runId, cancellationToken))
            {
                // Steps skipped because their condition was false stay skipped; those skipped because upstream failed run again.
                var skippedByUpstream = step.Status == StepStatus.Skipped && step.Error?.Contains("condition", StringComparison.Ordinal) != true;
                if (step.Status == StepStatus.Failed || skippedByUpstream)
                    await session.Pipelines.UpdateStepAsync(step with { Status = StepStatus.Pending, Attempt = 0, Error = null, EndedAt = null, StartedAt = null }, cancellationToken);
            }
            resumed = run with { Status = PipelineRunStatus.Running, EndedAt = null, Error = null };
            await session.Pipelines.UpdateRunAsync(resumed, cancellationToken);
            await AuditTrail.AppendAsync(session, Time, actor, "pipeline.run.retry", "pipeline_run", runId, null, null, cancellationToken);
            await session.CommitAsync(cancellationToken);
        }
        await AdvanceAsync(runId, cancellationToken);
        return resumed;
    }

    /// <summary>Dispatches again the steps whose worker died (running, heartbeat stale) and, with <paramref name="includeQueued"/>
    /// (at start-up, when nothing can be in flight from this process), the queued ones a crash may have left undispatched.</summary>
    public async Task<int> RecoverAsync(bool includeQueued = true, CancellationToken cancellationToken = default)
    {
        var toDispatch = new List<(string RunId, string StepId, string Queue)>();
        await using (var session = await Store.OpenAsync(write: true, cancellationToken))
        {
            foreach (var run in await session.Pipelines.ListRunsAsync(null, 1000, cancellationToken))
            {
                if (run.IsFinished) continue;
                var definition = PipelineParser.Parse(run.DefinitionYaml);
                foreach (var step in await session.Pipelines.GetStepsAsync(run.Id, cancellationToken))
                {
                    var orphaned = step.Status == StepStatus.Running && (step.HeartbeatAt is null || Now() - step.HeartbeatAt > options.HeartbeatTimeout);
                    if (orphaned) await session.Pipelines.UpdateStepAsync(step with { Status = StepStatus.Queued }, cancellationToken);
                    if (orphaned || (includeQueued && step.Status == StepStatus.Queued)) toDispatch.Add((run.Id, step.StepId, definition.Step(step.StepId).Queue));
                }
            }
            await session.CommitAsync(cancellationToken);
        }
        foreach (var (runId, stepId, queue) in toDispatch) dispatcher.Dispatch(runId, stepId, queue, TimeSpan.Zero);
        return toDispatch.Count;
    }

    async Task<StepOutcome> RunWithHeartbeatAsync(IPipelineStep implementation, StepContext context, StepRun state, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit) attempt.CancelAfter(limit);
        var work = implementation.RunAsync(context, attempt.Token);
        // The heartbeat proves the attempt is alive; a worker that finds a stale one takes the step over.
        while (await Task.WhenAny(work, Task.Delay(options.HeartbeatInterval, Time, cancellationToken)) != work)
        {
            await SaveAsync(state with { HeartbeatAt = Now() }, context, cancellationToken, stepMustBeRunning: true);
        }
        return await work;
    }

    async Task SaveAsync(StepRun state, StepContext context, CancellationToken cancellationToken, bool stepMustBeRunning = false)
    {
        await using var session = await Store.OpenAsync(write: true, cancellationToken);
        var current = (await session.Pipelines.GetStepsAsync(state.RunId, cancellationToken)).First(s => s.StepId == state.StepId);
        var lines = context.DrainLog();
        if (lines.Count > 0) await session.Pipelines.AppendLogAsync(state.RunId, state.StepId, lines, cancellationToken);
        // A cancelled step stays cancelled: the attempt's late result is logged, not applied.
        if (current.Status != StepStatus.Cancelled && (!stepMustBeRunning || current.Status == StepStatus.Running))
            await session.Pipelines.UpdateStepAsync(state, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }

    static async Task<string> CacheKeyAsync(StepDefinition step, IReadOnlyDictionary<string, string> inputs, IPipelineStep implementation, StepContext context, CancellationToken cancellationToken)
    {
        var text = new StringBuilder().Append(step.Type).Append('\n');
        foreach (var (key, value) in inputs.OrderBy(p => p.Key, StringComparer.Ordinal)) text.Append(key).Append('=').Append(value).Append('\n');
        text.Append(await implementation.CacheKeyContentAsync(context, cancellationToken));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    static string Resolve(PipelineExpressions.Reference reference, PipelineRun run, IReadOnlyDictionary<string, StepRun> states) => reference.Kind switch
    {
        "params" => run.Params.TryGetValue(reference.Name, out var value) ? value : "",
        "run" => reference.Name == "id" ? run.Id : run.Pipeline,
        _ => states.TryGetValue(reference.Step!, out var step) && step.Outputs.TryGetValue(reference.Name, out var output) ? output : "",
    };

    DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(Time.GetUtcNow().ToUnixTimeMilliseconds());
}

/// <summary>Engine settings.</summary>
public sealed class PipelineEngineOptions
{
    /// <summary>Where steps get their work folders (<c>WorkRoot/run/step</c>).</summary>
    public string WorkRoot { get; set; } = Path.Combine(Path.GetTempPath(), "llmops-pipelines");

    /// <summary>How often a running step records that it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A running step silent for this long is taken over (its worker died).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromMinutes(1);
}
