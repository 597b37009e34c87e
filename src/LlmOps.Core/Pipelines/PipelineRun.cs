using LlmOps.Identity;

namespace LlmOps.Pipelines;

/// <summary>One execution of a pipeline: the definition it ran (as YAML, so later edits do not change it), its parameters and status.</summary>
public sealed record PipelineRun(
    string Id,
    string Pipeline,
    string DefinitionYaml,
    IReadOnlyDictionary<string, string> Params,
    PipelineRunStatus Status,
    Actor Actor,
    string Trigger,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt,
    string? Error)
{
    public bool IsFinished => Status is PipelineRunStatus.Succeeded or PipelineRunStatus.Failed or PipelineRunStatus.Cancelled;
}

/// <summary>Where a run stands.</summary>
public enum PipelineRunStatus
{
    Running,
    WaitingForApproval,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>The state of one step in one run; the durable truth the engine advances from (Hangfire only dispatches).</summary>
public sealed record StepRun(
    string RunId,
    string StepId,
    StepStatus Status,
    int Attempt,
    string? CacheKey,
    IReadOnlyDictionary<string, string> Outputs,
    string? Error,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset? HeartbeatAt)
{
    public bool IsTerminal => Status is StepStatus.Succeeded or StepStatus.Cached or StepStatus.Failed or StepStatus.Skipped or StepStatus.Cancelled;

    /// <summary>Finished with outputs that later steps can read.</summary>
    public bool HasOutputs => Status is StepStatus.Succeeded or StepStatus.Cached;
}

/// <summary>A step's life cycle.</summary>
public enum StepStatus
{
    Pending,
    Queued,
    Running,
    WaitingForApproval,
    Succeeded,
    Cached,
    Failed,
    Skipped,
    Cancelled,
}

/// <summary>One line of a step's log.</summary>
public sealed record StepLogLine(string StepId, long Sequence, DateTimeOffset At, string Line);
