namespace LlmOps.Pipelines;

/// <summary>The built-in step types with their inputs and outputs, known before anything runs so a pipeline can be
/// checked up front (a reference to an output the type does not produce is an error).</summary>
public static class StepTypes
{
    /// <summary>In a type's outputs: the step may produce outputs of any name (shell).</summary>
    public const string AnyOutput = "*";

    /// <summary>A step type's contract.</summary>
    public sealed record StepType(string Name, IReadOnlyList<string> RequiredInputs, IReadOnlyList<string> OptionalInputs, IReadOnlyList<string> Outputs, string Summary)
    {
        public IEnumerable<string> Inputs => RequiredInputs.Concat(OptionalInputs);
    }

    public static IReadOnlyDictionary<string, StepType> All { get; } = new[]
    {
        new StepType("data.prepare", ["recipe", "input", "name"], ["skip_invalid"], ["dataset_version", "records"], "run a data recipe and register the dataset version"),
        new StepType("tokenizer.train", ["dataset", "vocab_size", "name"], ["special_tokens", "reuse"], ["tokenizer", "reused"], "train a byte-level BPE tokenizer on a dataset version (reuse: 'true' keeps the newest one of that name, if any)"),
        new StepType("train", ["config"], ["dataset", "base_model", "tokenizer", "name", "max_steps"], ["model_version", "run_id", "val_loss"], "train or fine-tune and register the model version"),
        new StepType("evaluate", ["suite", "model"], ["baseline"], ["gate", "eval_id", "score", "evidence"], "run an eval suite, optionally against a baseline, and gate"),
        new StepType("register", ["name", "file"], ["format", "dataset", "run"], ["model_version"], "register a model version from a file"),
        new StepType("deploy", ["model_version", "environment"], ["endpoint", "weight"], ["revision", "endpoint"], "deploy a model version to an environment (weight < 100: canary)"),
        new StepType("canary.watch", ["endpoint", "model_version"], ["window", "max_error_rate", "min_requests", "min_eval_score", "min_scored"], ["decision", "error_rate", "requests", "eval_score"],
            "watch a canary's error rate for a window, then give it all traffic, or roll the deployment back"),
        new StepType("promote", ["model_version", "environment"], [], ["alias"], "point an environment alias at a model version"),
        new StepType("approval", ["model_version"], ["comment", "evidence"], ["model_version", "decision", "approver"], "request approval and wait (no worker held) for an Approver"),
        new StepType("notify", ["url"], ["message", "secret"], ["status"], "POST a JSON message to a webhook, signed with HMAC-SHA256"),
        new StepType("shell", ["command"], ["args", "workdir"], ["exit_code", AnyOutput], "run a program; '::output name=value' lines on stdout become outputs"),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);
}
