using System.Collections.Concurrent;
using LlmOps.Identity;

namespace LlmOps.Pipelines;

/// <summary>The implementation of a built-in step type. Steps must be idempotent: a crashed attempt is run again.</summary>
public interface IPipelineStep
{
    /// <summary>The type name, as in <see cref="StepTypes"/>.</summary>
    string Type { get; }

    /// <summary>Whether equal inputs may reuse an earlier run's outputs (false for side effects such as deploy or notify).</summary>
    bool Cacheable { get; }

    /// <summary>Extra content for the cache key beyond the input text, e.g. the SHA-256 of files an input names,
    /// so a changed file re-runs the step. Change the returned version string when the step's behaviour changes.</summary>
    Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken);

    /// <summary>Runs the step and returns its outputs (or asks to wait for an approval).</summary>
    Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>What a step sees: its resolved inputs, the principal the run acts as, a work folder and its log.</summary>
public sealed class StepContext(string runId, string stepId, string pipeline, IReadOnlyDictionary<string, string> inputs, Actor actor, string workDirectory, TimeProvider timeProvider)
{
    readonly ConcurrentQueue<(DateTimeOffset, string)> pending = new();

    public string RunId { get; } = runId;
    public string StepId { get; } = stepId;
    public string Pipeline { get; } = pipeline;
    public IReadOnlyDictionary<string, string> Inputs { get; } = inputs;
    public Actor Actor { get; } = actor;

    /// <summary>A folder for this step's files; kept until the run ends.</summary>
    public string WorkDirectory { get; } = workDirectory;

    /// <summary>A required input's value.</summary>
    public string Input(string name) =>
        Inputs.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new InvalidInputException($"steps.{StepId}.with.{name}", "is required.");

    /// <summary>An optional input, or null.</summary>
    public string? OptionalInput(string name) => Inputs.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>A list input (YAML list or one value).</summary>
    public IReadOnlyList<string> ListInput(string name) =>
        Input(name).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Adds a line to the step's log (stored in batches).</summary>
    public void Log(string line) => pending.Enqueue((timeProvider.GetUtcNow(), line));

    internal List<(DateTimeOffset At, string Line)> DrainLog()
    {
        var lines = new List<(DateTimeOffset, string)>();
        while (pending.TryDequeue(out var line)) lines.Add(line);
        return lines;
    }
}

/// <summary>A step's result: its outputs, or a request to wait (no worker held) for an approval decision.</summary>
public sealed record StepOutcome(IReadOnlyDictionary<string, string> Outputs, bool AwaitApproval = false);

/// <summary>Hands a queued step to a worker (Hangfire) after an optional delay. The engine's store stays the truth.</summary>
public interface IStepDispatcher
{
    void Dispatch(string runId, string stepId, string queue, TimeSpan delay);
}
