using System.Text.RegularExpressions;
using LlmOps.Artifacts;
using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Storage;

namespace LlmOps.Registry;

/// <summary>The registry's rules: immutable versions, approval with four eyes, prod only on approved versions; every change audited.</summary>
public sealed partial class ModelRegistry(IStore store, IArtifactStore artifacts, Actor actor, TimeProvider timeProvider) : IModelRegistry
{
    public const int MaxModelCardLength = 256 * 1024;
    const string Area = "models";

    public async Task<RegisteredModel> CreateModelAsync(CreateModel request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor.Demand(Role.Developer, Area, Access.Write);
        ValidateName(request.Name);
        Validation.Tags(request.Tags);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        if (await session.Models.GetModelAsync(request.Name, cancellationToken) is not null)
            throw new RuleViolationException("model-exists", $"model '{request.Name}' already exists.");
        var model = await CreateModelAsync(session, request, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return model;
    }

    public async Task<RegisteredModel> GetModelAsync(string name, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Models.GetModelAsync(name, cancellationToken) ?? throw new NotFoundException("model", name);
    }

    public async Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Models.ListModelsAsync(cancellationToken);
    }

    public async Task<ModelVersion> RegisterVersionAsync(RegisterVersion request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor.Demand(Role.Developer, Area, Access.Write);
        ValidateName(request.ModelName);
        if (!ModelFormats.All.Contains(request.Format))
            throw new InvalidInputException("format", $"unknown format '{request.Format}'; use one of {string.Join(", ", ModelFormats.All)}.");
        var files = request.Files ?? [];
        if (files.Count == 0 && request.Format is not (ModelFormats.Remote or ModelFormats.Builtin))
            throw new InvalidInputException("files", $"a {request.Format} version needs at least one file.");
        if (request.Format == ModelFormats.Remote && string.IsNullOrWhiteSpace(request.SourceUri))
            throw new InvalidInputException("sourceUri", "a remote version needs the endpoint URL in sourceUri.");
        if (request.Format == ModelFormats.Builtin && string.IsNullOrWhiteSpace(request.SourceUri))
            throw new InvalidInputException("sourceUri", "a builtin version names the shipped model in sourceUri (e.g. all-MiniLM-L6-v2).");
        files = ArtifactFiles.Resolve(artifacts, files);
        Validation.Tags(request.Tags);
        Validation.Metrics(request.Metrics);
        if (request.ModelCard is { Length: > MaxModelCardLength })
            throw new InvalidInputException("modelCard", $"model card is longer than {MaxModelCardLength} characters.");

        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var lineage = request.Lineage ?? ModelLineage.None;
        if (lineage.BaseModel is not null || lineage.BaseVersion is not null)
        {
            if (lineage.BaseModel is null || lineage.BaseVersion is null)
                throw new InvalidInputException("lineage", "baseModel and baseVersion go together.");
            if (await session.Models.GetVersionAsync(lineage.BaseModel, lineage.BaseVersion.Value, cancellationToken) is null)
                throw new NotFoundException("base model version", $"{lineage.BaseModel}/{lineage.BaseVersion}");
        }
        if (lineage.RunId is not null && await session.Runs.GetRunAsync(lineage.RunId, cancellationToken) is null)
            throw new NotFoundException("run", lineage.RunId);
        if (lineage.DatasetVersion is not null)
        {
            // Lineage records the full id; a unique prefix (as `data list` prints) is resolved to it.
            var matches = lineage.DatasetVersion.Length >= 8
                ? await session.Datasets.FindByPrefixAsync(lineage.DatasetVersion.ToLowerInvariant(), 2, cancellationToken)
                : [];
            if (matches.Count != 1) throw new NotFoundException("dataset version", lineage.DatasetVersion);
            lineage = lineage with { DatasetVersion = matches[0].Id };
        }

        if (await session.Models.GetModelAsync(request.ModelName, cancellationToken) is null)
            await CreateModelAsync(session, new CreateModel(request.ModelName), cancellationToken);
        var number = await session.Models.GetLatestVersionNumberAsync(request.ModelName, cancellationToken) + 1;
        var version = new ModelVersion(request.ModelName, number, request.Format, files, request.SourceUri, lineage,
            request.Metrics ?? new Dictionary<string, double>(), request.Tags ?? new Dictionary<string, string>(),
            request.ModelCard, ApprovalState.None, Now(), actor.Id);
        await session.Models.InsertVersionAsync(version, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "model.version.register", "model_version", version.Reference, null, version, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await RequireVersionAsync(session, name, version, cancellationToken);
    }

    public async Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        _ = await session.Models.GetModelAsync(name, cancellationToken) ?? throw new NotFoundException("model", name);
        return await session.Models.ListVersionsAsync(name, cancellationToken);
    }

    public async Task<ModelVersion> ResolveAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        actor.Demand(Role.Viewer, Area, Access.Read);
        var (name, version, alias) = ModelReference.Parse(reference);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        if (alias is null) return await RequireVersionAsync(session, name, version!.Value, cancellationToken);
        var model = await session.Models.GetModelAsync(name, cancellationToken) ?? throw new NotFoundException("model", name);
        if (!model.Aliases.TryGetValue(alias, out var number))
            throw new NotFoundException("alias", $"{name}@{alias}");
        return await RequireVersionAsync(session, name, number, cancellationToken);
    }

    public async Task<ModelVersion> RequestApprovalAsync(string name, int version, ApprovalDecision request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor.Demand(Role.Developer, Area, Access.Write);
        ValidateDecision(request);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var current = await RequireVersionAsync(session, name, version, cancellationToken);
        if (current.ApprovalState is ApprovalState.PendingManualApproval or ApprovalState.Approved)
            throw new RuleViolationException("illegal-transition", $"{current.Reference} is {current.ApprovalState}; approval can be requested only from None or Rejected.");
        var updated = await TransitionAsync(session, current, ApprovalState.PendingManualApproval, ApprovalAction.Requested, request, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return updated;
    }

    public Task<ModelVersion> ApproveAsync(string name, int version, ApprovalDecision decision, CancellationToken cancellationToken = default) =>
        DecideAsync(name, version, decision, ApprovalState.Approved, ApprovalAction.Approved, cancellationToken);

    public Task<ModelVersion> RejectAsync(string name, int version, ApprovalDecision decision, CancellationToken cancellationToken = default) =>
        DecideAsync(name, version, decision, ApprovalState.Rejected, ApprovalAction.Rejected, cancellationToken);

    public async Task<IReadOnlyList<ApprovalEvent>> ListApprovalEventsAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        _ = await RequireVersionAsync(session, name, version, cancellationToken);
        return await session.Models.ListApprovalEventsAsync(name, version, cancellationToken);
    }

    public async Task<AliasMove> PromoteAsync(string name, int version, string environment, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, Area, Access.Write);
        if (!Environments.All.Contains(environment))
            throw new InvalidInputException("environment", $"unknown environment '{environment}'; use one of {string.Join(", ", Environments.All)}.");
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var target = await RequireVersionAsync(session, name, version, cancellationToken);
        if (environment == Environments.Prod && target.ApprovalState != ApprovalState.Approved)
            throw new RuleViolationException("prod-requires-approval", $"{target.Reference} is {target.ApprovalState}; prod can only point at an Approved version.");
        var model = await session.Models.GetModelAsync(name, cancellationToken) ?? throw new NotFoundException("model", name);
        int? from = model.Aliases.TryGetValue(environment, out var previous) ? previous : null;
        var move = new AliasMove(name, environment, from, version, actor.Id, Now());
        await session.Models.SetAliasAsync(move, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "model.alias.set", "model_alias", $"{name}@{environment}",
            from is null ? null : new { version = from }, new { version }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return move;
    }

    public async Task<IReadOnlyList<AliasMove>> ListAliasMovesAsync(string name, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        _ = await session.Models.GetModelAsync(name, cancellationToken) ?? throw new NotFoundException("model", name);
        return await session.Models.ListAliasMovesAsync(name, cancellationToken);
    }

    async Task<ModelVersion> DecideAsync(string name, int version, ApprovalDecision decision, ApprovalState state, ApprovalAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        actor.Demand(Role.Approver, Area, Access.Write);
        ValidateDecision(decision);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var current = await RequireVersionAsync(session, name, version, cancellationToken);
        if (current.ApprovalState != ApprovalState.PendingManualApproval)
            throw new RuleViolationException("illegal-transition", $"{current.Reference} is {current.ApprovalState}; only a version in PendingManualApproval can be {state}.");
        var events = await session.Models.ListApprovalEventsAsync(name, version, cancellationToken);
        var requester = events.LastOrDefault(e => e.Action == ApprovalAction.Requested)?.ActorId;
        if (requester == actor.Id)
            throw new RuleViolationException("four-eyes", $"{actor.Id} requested approval of {current.Reference} and cannot also decide it; another Approver must.");
        var updated = await TransitionAsync(session, current, state, action, decision, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return updated;
    }

    async Task<ModelVersion> TransitionAsync(IStoreSession session, ModelVersion current, ApprovalState state, ApprovalAction action, ApprovalDecision decision, CancellationToken cancellationToken)
    {
        var approvalEvent = new ApprovalEvent(Guid.CreateVersion7().ToString("N"), current.ModelName, current.Version, action, actor.Id,
            decision.Comment, decision.Evidence ?? [], Now());
        await session.Models.SetApprovalStateAsync(current.ModelName, current.Version, state, cancellationToken);
        await session.Models.InsertApprovalEventAsync(approvalEvent, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, $"model.version.{action.ToString().ToLowerInvariant()}", "model_version", current.Reference,
            new { approvalState = current.ApprovalState }, new { approvalState = state, decision.Comment, evidence = approvalEvent.Evidence }, cancellationToken);
        return current with { ApprovalState = state };
    }

    async Task<RegisteredModel> CreateModelAsync(IStoreSession session, CreateModel request, CancellationToken cancellationToken)
    {
        var now = Now();
        var model = new RegisteredModel(request.Name, request.Description, request.Tags ?? new Dictionary<string, string>(), now, actor.Id, new Dictionary<string, int>());
        await session.Models.InsertModelAsync(model, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "model.create", "model", model.Name, null, model, cancellationToken);
        return model;
    }

    static async Task<ModelVersion> RequireVersionAsync(IStoreSession session, string name, int version, CancellationToken cancellationToken) =>
        await session.Models.GetVersionAsync(name, version, cancellationToken) ?? throw new NotFoundException("model version", $"{name}/{version}");

    static void ValidateDecision(ApprovalDecision decision)
    {
        if (string.IsNullOrWhiteSpace(decision.Comment))
            throw new InvalidInputException("comment", "a comment is required: say what was checked.");
        if (decision.Comment.Length > 10_000)
            throw new InvalidInputException("comment", "comment is longer than 10000 characters.");
        var evidence = decision.Evidence ?? [];
        for (var i = 0; i < evidence.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(evidence[i].Kind) || string.IsNullOrWhiteSpace(evidence[i].Reference))
                throw new InvalidInputException($"evidence[{i}]", "kind and reference are required.");
        }
    }

    /// <summary>Throws unless the name is 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static void ValidateName(string? name, string field = "name")
    {
        if (name is null || !NamePattern().IsMatch(name))
            throw new InvalidInputException(field, $"'{name}' is not a valid name: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    }

    DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();
}
