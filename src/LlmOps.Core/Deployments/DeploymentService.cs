using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Storage;

namespace LlmOps.Deployments;

/// <summary>The rules of deployments: known versions, sane weights, prod only on Approved versions (the registry's rule),
/// every change a numbered, audited revision.</summary>
public sealed class DeploymentService(IStore store, Actor actor, TimeProvider timeProvider) : IDeployments
{
    /// <summary>The scope area of deployments (management); serving is the <c>gateway</c> area.</summary>
    public const string Area = "deployments";
    public const int MaxVersions = 8;
    public const int MaxFallbacks = 4;

    public async Task<Deployment> SetAsync(string environment, string endpoint, DeploymentSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        actor.Demand(Role.Developer, Area, Access.Write);
        ValidateKey(environment, endpoint);
        ValidateShape(spec);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        await CheckVersionsAsync(session, environment, spec, cancellationToken);
        var current = await session.Deployments.GetLatestAsync(environment, endpoint, cancellationToken);
        var deployment = new Deployment(environment, endpoint, (current?.Revision ?? 0) + 1, Normalise(spec), DeploymentActions.Set, null, Now(), actor.Id);
        await session.Deployments.InsertAsync(deployment, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "deployment.set", "deployment", deployment.Name, current?.Spec, deployment.Spec, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return deployment;
    }

    public async Task<Deployment> GetAsync(string environment, string endpoint, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Deployments.GetLatestAsync(environment, endpoint, cancellationToken) ?? throw new NotFoundException("deployment", $"{endpoint}@{environment}");
    }

    public async Task<IReadOnlyList<Deployment>> ListAsync(string? environment = null, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        if (environment is not null) ValidateEnvironment(environment);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var all = await session.Deployments.ListLatestAsync(cancellationToken);
        return environment is null ? all : all.Where(d => d.Environment == environment).ToList();
    }

    public async Task<IReadOnlyList<Deployment>> HistoryAsync(string environment, string endpoint, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var revisions = await session.Deployments.ListRevisionsAsync(environment, endpoint, cancellationToken);
        return revisions.Count == 0 ? throw new NotFoundException("deployment", $"{endpoint}@{environment}") : revisions;
    }

    public async Task<Deployment> RollbackAsync(string environment, string endpoint, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, Area, Access.Write);
        ValidateKey(environment, endpoint);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var current = await session.Deployments.GetLatestAsync(environment, endpoint, cancellationToken) ?? throw new NotFoundException("deployment", $"{endpoint}@{environment}");
        // A rollback of a rollback keeps walking back: the revision before the one the current spec came from.
        var previousNumber = (current.RestoredFrom ?? current.Revision) - 1;
        if (previousNumber < 1)
            throw new RuleViolationException("no-previous-revision", $"{current.Name} revision {current.Revision} has no earlier revision to roll back to.");
        var previous = await session.Deployments.GetAsync(environment, endpoint, previousNumber, cancellationToken)
            ?? throw new NotFoundException("deployment revision", $"{current.Name}#{previousNumber}");
        // Approval can have been withdrawn since: the restored spec obeys today's rules.
        await CheckVersionsAsync(session, environment, previous.Spec, cancellationToken);
        var deployment = new Deployment(environment, endpoint, current.Revision + 1, previous.Spec, DeploymentActions.Rollback, previous.Revision, Now(), actor.Id);
        await session.Deployments.InsertAsync(deployment, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "deployment.rollback", "deployment", deployment.Name,
            new { revision = current.Revision, spec = current.Spec }, new { revision = deployment.Revision, restoredFrom = previous.Revision, spec = deployment.Spec }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return deployment;
    }

    static async Task CheckVersionsAsync(IStoreSession session, string environment, DeploymentSpec spec, CancellationToken cancellationToken)
    {
        foreach (var reference in spec.AllVersions().Distinct())
        {
            var version = await session.Models.GetVersionAsync(reference.Model, reference.Version, cancellationToken)
                ?? throw new NotFoundException("model version", reference.Reference);
            if (version.Format is not (ModelFormats.Gguf or ModelFormats.Remote or ModelFormats.Builtin or ModelFormats.Lora))
                throw new InvalidInputException("versions", $"{reference.Reference} is {version.Format}; only gguf, lora, remote and builtin versions can be served.");
            if (version.Format == ModelFormats.Lora)
            {
                // An adapter is served over its base: the base must be a GGUF version (its approval is the adapter's own).
                var baseVersion = version.Lineage is { BaseModel: { } baseModel, BaseVersion: { } baseNumber }
                    ? await session.Models.GetVersionAsync(baseModel, baseNumber, cancellationToken)
                    : null;
                if (baseVersion?.Format != ModelFormats.Gguf)
                    throw new InvalidInputException("versions", $"{reference.Reference} is a LoRA adapter; it can be served only with a gguf base version in its lineage.");
            }
            if (environment == Environments.Prod && version.ApprovalState != ApprovalState.Approved)
                throw new RuleViolationException("prod-requires-approval", $"{reference.Reference} is {version.ApprovalState}; prod can only serve Approved versions.");
        }
    }

    static void ValidateShape(DeploymentSpec spec)
    {
        var versions = spec.Versions ?? throw new InvalidInputException("versions", "at least one version is required.");
        if (versions.Count is 0 or > MaxVersions) throw new InvalidInputException("versions", $"give 1 to {MaxVersions} versions.");
        for (var i = 0; i < versions.Count; i++)
        {
            ModelRegistry.ValidateName(versions[i].Model, $"versions[{i}].model");
            if (versions[i].Version < 1) throw new InvalidInputException($"versions[{i}].version", "must be 1 or more.");
            if (versions[i].Weight is < 0 or > 10_000) throw new InvalidInputException($"versions[{i}].weight", "must be 0 to 10000.");
        }
        if (versions.Sum(v => v.Weight) == 0) throw new InvalidInputException("versions", "the weights add up to 0: no version would get traffic.");
        if (versions.Select(v => (v.Model, v.Version)).Distinct().Count() != versions.Count) throw new InvalidInputException("versions", "a version is listed twice.");
        if (spec.Shadow is { } shadow)
        {
            ModelRegistry.ValidateName(shadow.Model, "shadow.model");
            if (shadow.Version < 1) throw new InvalidInputException("shadow.version", "must be 1 or more.");
        }
        var fallbacks = spec.Fallbacks ?? [];
        if (fallbacks.Count > MaxFallbacks) throw new InvalidInputException("fallbacks", $"at most {MaxFallbacks}.");
        for (var i = 0; i < fallbacks.Count; i++)
        {
            ModelRegistry.ValidateName(fallbacks[i].Model, $"fallbacks[{i}].model");
            if (fallbacks[i].Version < 1) throw new InvalidInputException($"fallbacks[{i}].version", "must be 1 or more.");
        }
        if (spec.TimeoutSeconds is { } timeout && (double.IsNaN(timeout) || timeout is <= 0 or > 3600))
            throw new InvalidInputException("timeoutSeconds", "must be above 0 and at most 3600.");
        Monitoring.OnlineAssertions.Validate(spec.Monitoring);
    }

    static DeploymentSpec Normalise(DeploymentSpec spec) => spec with { Fallbacks = spec.Fallbacks ?? [] };

    static void ValidateKey(string environment, string endpoint)
    {
        ValidateEnvironment(environment);
        ModelRegistry.ValidateName(endpoint, "endpoint");
    }

    static void ValidateEnvironment(string environment)
    {
        if (!Environments.All.Contains(environment))
            throw new InvalidInputException("environment", $"unknown environment '{environment}'; use one of {string.Join(", ", Environments.All)}.");
    }

    DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
}
