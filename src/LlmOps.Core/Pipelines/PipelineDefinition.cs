namespace LlmOps.Pipelines;

/// <summary>A parsed and validated pipeline: steps of built-in types forming a DAG, parameters with defaults, triggers.</summary>
public sealed record PipelineDefinition(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyList<StepDefinition> Steps,
    IReadOnlyList<PipelineTrigger> Triggers,
    string Yaml)
{
    public StepDefinition Step(string id) => Steps.First(s => s.Id == id);
}

/// <summary>One step: its type, inputs (with references), dependencies, condition, retries and timeout.</summary>
/// <param name="Id">Unique within the pipeline; outputs are addressed as <c>${steps.ID.outputs.NAME}</c>.</param>
/// <param name="Type">A built-in type (<see cref="StepTypes"/>).</param>
/// <param name="With">Inputs as text; may contain references.</param>
/// <param name="Needs">Steps that must finish first: the explicit <c>needs:</c> plus every step referenced in inputs or condition.</param>
/// <param name="When">A condition; false skips the step (and what only it feeds).</param>
/// <param name="Retries">Further attempts after a failure.</param>
/// <param name="RetryBackoff">Wait before the first retry; doubled for each further one.</param>
/// <param name="Timeout">An attempt running longer fails.</param>
/// <param name="Queue">The worker queue the step runs on (<c>cpu</c>, <c>gpu</c>).</param>
/// <param name="Line">Line of the step in the YAML, for messages.</param>
public sealed record StepDefinition(
    string Id,
    string Type,
    IReadOnlyDictionary<string, string> With,
    IReadOnlyList<string> Needs,
    string? When,
    int Retries,
    TimeSpan RetryBackoff,
    TimeSpan? Timeout,
    string Queue,
    long Line);

/// <summary>What starts a pipeline besides a person: a cron schedule, a new dataset version, a registry event or an alert.</summary>
/// <param name="Kind"><c>cron</c>, <c>dataset</c>, <c>registry</c> or <c>alert</c>.</param>
/// <param name="Value">The cron expression, dataset name, registry event (e.g. <c>model.version.register</c>) or alert rule name.</param>
public sealed record PipelineTrigger(string Kind, string Value);
