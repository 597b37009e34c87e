using LlmOps.Registry;
using LlmOps.Pipelines;

namespace LlmOps.Server.Pipelines.Steps;

/// <summary><c>promote</c>: points an environment alias at a model version (prod only if approved).</summary>
public sealed class PromoteStep(PlatformServices platform) : IPipelineStep
{
    public string Type => "promote";
    public bool Cacheable => false;

    public Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult("promote/1");

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (name, version, _) = ModelReference.Parse(context.Input("model_version"));
        var environment = context.Input("environment");
        var move = await platform.Models(context.Actor).PromoteAsync(name, version ?? throw new InvalidInputException($"steps.{context.StepId}.with.model_version", "give name/VERSION."), environment, cancellationToken);
        context.Log($"{name}@{environment} → {move.ToVersion} (was {move.FromVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unset"})");
        return new StepOutcome(new Dictionary<string, string> { ["alias"] = $"{name}@{environment}" });
    }
}

/// <summary><c>approval</c>: requests approval of a model version and waits (no worker held) until an Approver other
/// than the run's principal decides with <c>llmops approve RUN</c> or <c>llmops reject RUN</c>.</summary>
public sealed class ApprovalStep(PlatformServices platform) : IPipelineStep
{
    public string Type => "approval";
    public bool Cacheable => false;

    public Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult("approval/1");

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var reference = context.Input("model_version");
        var (name, version, _) = ModelReference.Parse(reference);
        var registry = platform.Models(context.Actor);
        var current = await registry.GetVersionAsync(name, version ?? throw new InvalidInputException($"steps.{context.StepId}.with.model_version", "give name/VERSION."), cancellationToken);
        var outputs = new Dictionary<string, string> { ["model_version"] = current.Reference };
        switch (current.ApprovalState)
        {
            case ApprovalState.Approved:
                context.Log($"{current.Reference} is already approved");
                return new StepOutcome(new Dictionary<string, string>(outputs) { ["decision"] = "approved", ["approver"] = "(earlier)" });
            case ApprovalState.PendingManualApproval:
                context.Log($"{current.Reference} is already pending approval");
                return new StepOutcome(outputs, AwaitApproval: true);
        }
        var evidence = (context.OptionalInput("evidence") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => e.Split('=', 2) is [var kind, var target] ? new Evidence(kind, target) : new Evidence("note", e)).ToList();
        var comment = context.OptionalInput("comment") ?? $"pipeline {context.Pipeline} run {context.RunId} asks for approval";
        await registry.RequestApprovalAsync(name, current.Version, new ApprovalDecision(comment, evidence), cancellationToken);
        context.Log($"approval requested for {current.Reference}; approve with: llmops approve {context.RunId} -m \"…\" (as an Approver other than {context.Actor.Id})");
        return new StepOutcome(outputs, AwaitApproval: true);
    }
}

/// <summary><c>register</c>: uploads a model file and registers it as a new version, with lineage to a dataset and run.</summary>
public sealed class RegisterStep(PlatformServices platform) : IPipelineStep
{
    public string Type => "register";
    public bool Cacheable => true;

    public async Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return "register/1 " + await DataPrepareStep.HashFileAsync(context.Input("file"), cancellationToken);
    }

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Input("file");
        if (!File.Exists(path)) throw new InvalidInputException($"steps.{context.StepId}.with.file", $"{Path.GetFullPath(path)} does not exist.");
        await using var stream = File.OpenRead(path);
        var blob = await platform.Artifacts.PutAsync(stream, cancellationToken);
        var version = await platform.Models(context.Actor).RegisterVersionAsync(new RegisterVersion(context.Input("name"), context.OptionalInput("format") ?? ModelFormats.Gguf,
            [new ArtifactFile(Path.GetFileName(path), blob.Sha256, blob.Size)], Lineage: new ModelLineage(DatasetVersion: context.OptionalInput("dataset"), RunId: context.OptionalInput("run"))),
            cancellationToken);
        context.Log($"registered {version.Reference}");
        return new StepOutcome(new Dictionary<string, string> { ["model_version"] = version.Reference });
    }
}
