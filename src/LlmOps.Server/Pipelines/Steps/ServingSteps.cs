using System.Globalization;
using LlmOps.Deployments;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using LlmOps.Evaluation.Safety;
using LlmOps.Inference.Evaluation;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Pipelines;
using LlmOps.Registry;
using LlmOps.Storage;

namespace LlmOps.Server.Pipelines.Steps;

/// <summary><c>evaluate</c>: runs an eval suite (promptfoo's shape, or <c>builtin:safety</c>) against <c>model</c>, optionally
/// against <c>baseline</c> (e.g. <c>name@prod</c>; skipped with a log line when that alias is not set yet), stores the run and
/// outputs <c>gate</c> = passed | failed — a failed gate is an outcome for <c>when:</c>, not a step failure.</summary>
public sealed class EvaluateStep(PlatformServices platform, LlamaModelCache models, ServerOptions options) : IPipelineStep
{
    public string Type => "evaluate";
    public bool Cacheable => true;

    public async Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var suite = context.Input("suite");
        var suiteHash = suite.StartsWith(BuiltinSuites.Prefix, StringComparison.Ordinal) ? suite : await DataPrepareStep.HashFileAsync(suite, cancellationToken);
        // An alias can move between runs: the baseline counts by the version it resolves to now.
        var baseline = context.OptionalInput("baseline") is { } reference ? await ResolveOrNullAsync(context, reference, cancellationToken) : null;
        return $"evaluate/1 {suiteHash} baseline={baseline?.Reference ?? "-"}";
    }

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var suitePath = context.Input("suite");
        var registry = platform.Models(context.Actor);
        using var embeddings = new SentenceEmbeddings();
        var resolver = new EvalTargetResolver(models, registry, platform.Artifacts, Path.Combine(new DataDirectory(options.Storage.DataDir).Root, "eval-models"));
        var types = AssertionTypes.CreateDefault().AddRuntimeAssertions(embeddings, new PerplexityScorer(models), resolver);
        var suite = BuiltinSuites.Load(suitePath, types);
        var baseDirectory = suitePath.StartsWith(BuiltinSuites.Prefix, StringComparison.Ordinal) ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(suitePath))!;

        var candidate = await resolver.ResolveAsync(new ProviderSpec(context.Input("model"), null, new Dictionary<string, string>(), 0), baseDirectory, cancellationToken);
        EvalTarget? baseline = null;
        if (context.OptionalInput("baseline") is { } reference)
        {
            if (await ResolveOrNullAsync(context, reference, cancellationToken) is { } version)
                baseline = await resolver.ResolveAsync(new ProviderSpec(version.Reference, $"{version.Reference} (baseline)", new Dictionary<string, string>(), 0), baseDirectory, cancellationToken);
            else
                context.Log($"baseline {reference} does not exist yet; evaluating against the suite's thresholds only");
        }
        var judge = suite.Judge is null ? null : await resolver.ResolveAsync(suite.Judge, baseDirectory, cancellationToken);
        var runOptions = new EvalRunOptions
        {
            MaxConcurrency = 1,
            Cache = new FileResponseCache(Path.Combine(new DataDirectory(options.Storage.DataDir).Root, "eval-cache")),
            Judge = judge?.Client,
        };
        var report = await new EvalRunner(types, runOptions).EvaluateAsync(suite, candidate, baseline, cancellationToken: cancellationToken);
        var run = await new EvalHistory(platform.Store, context.Actor, platform.Time).RecordAsync(report, cancellationToken);
        var summary = report.Candidate.Summary;
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"{report.Candidate.Name}: {summary.Passed}/{summary.Cases} passed ({summary.PassRate:P0}); gate {(report.Gate.Passed ? "passed" : "failed")}; stored as {run.EvidenceReference}"));
        return new StepOutcome(new Dictionary<string, string>
        {
            ["gate"] = report.Gate.Passed ? "passed" : "failed",
            ["eval_id"] = run.Id,
            ["score"] = summary.PassRate.ToString("R", CultureInfo.InvariantCulture),
            ["evidence"] = $"evaluation={run.EvidenceReference}",
        });
    }

    async Task<ModelVersion?> ResolveOrNullAsync(StepContext context, string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await platform.Models(context.Actor).ResolveAsync(reference, cancellationToken);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }
}

/// <summary><c>deploy</c>: makes a model version serve an endpoint (default: the model's name) in an environment. With
/// <c>weight</c> below 100 it is a canary beside the version serving now, which also becomes its fallback.</summary>
public sealed class DeployStep(PlatformServices platform) : IPipelineStep
{
    public string Type => "deploy";
    public bool Cacheable => false;

    public Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult("deploy/1");

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var version = VersionRef.Parse(context.Input("model_version"), $"steps.{context.StepId}.with.model_version");
        var environment = context.Input("environment");
        var endpoint = context.OptionalInput("endpoint") ?? version.Model;
        var weight = 100;
        if (context.OptionalInput("weight") is { } text && (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out weight) || weight is < 1 or > 100))
            throw new InvalidInputException($"steps.{context.StepId}.with.weight", $"'{text}' is not a weight from 1 to 100.");
        var deployments = new DeploymentService(platform.Store, context.Actor, platform.Time);
        Deployment? current = null;
        try { current = await deployments.GetAsync(environment, endpoint, cancellationToken); }
        catch (NotFoundException) { /* first deployment of this endpoint */ }

        var stable = current?.Spec.Versions.OrderByDescending(v => v.Weight).FirstOrDefault(v => v.Reference != version.Reference);
        DeploymentSpec spec = weight < 100 && stable is not null
            ? new DeploymentSpec([new WeightedVersion(stable.Model, stable.Version, 100 - weight), new WeightedVersion(version.Model, version.Version, weight)],
                Fallbacks: [new VersionRef(stable.Model, stable.Version)], TimeoutSeconds: current!.Spec.TimeoutSeconds, Monitoring: current.Spec.Monitoring)
            : new DeploymentSpec([new WeightedVersion(version.Model, version.Version, 100)], TimeoutSeconds: current?.Spec.TimeoutSeconds, Monitoring: current?.Spec.Monitoring);
        var deployed = await deployments.SetAsync(environment, endpoint, spec, cancellationToken);
        context.Log($"{deployed.Name} revision {deployed.Revision}: {string.Join(", ", spec.Versions.Select(v => $"{v.Reference} ×{v.Weight}"))}");
        return new StepOutcome(new Dictionary<string, string>
        {
            ["revision"] = deployed.Revision.ToString(CultureInfo.InvariantCulture),
            ["endpoint"] = deployed.Name,
        });
    }
}

/// <summary><c>canary.watch</c>: watches the gateway's traces of a canary version on an endpoint for a window. A canary whose
/// error rate (failed answers, including those the fallback chain hid from clients) exceeds <c>max_error_rate</c>, or whose mean
/// online evaluation score (the deployment's <c>monitoring.onlineEval</c>, over at least <c>min_scored</c> scored answers) falls below
/// <c>min_eval_score</c>, is rolled back at once and the step fails; a healthy one gets all traffic. Too few requests to judge is
/// a failure that changes nothing.</summary>
public sealed class CanaryWatchStep(PlatformServices platform, LlmOps.Monitoring.ITraceQuery traces) : IPipelineStep
{
    public string Type => "canary.watch";
    public bool Cacheable => false;

    public Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult("canary.watch/1");

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.Input("endpoint");
        var at = name.LastIndexOf('@');
        if (at <= 0) throw new InvalidInputException($"steps.{context.StepId}.with.endpoint", $"'{name}' is not ENDPOINT@ENVIRONMENT.");
        var (endpoint, environment) = (name[..at], name[(at + 1)..]);
        var canary = VersionRef.Parse(context.Input("model_version"), $"steps.{context.StepId}.with.model_version");
        var window = context.OptionalInput("window") is { } w
            ? Configuration.YamlSection.ParseDuration(w) ?? throw new InvalidInputException($"steps.{context.StepId}.with.window", $"'{w}' is not a duration like 30s or 5m.")
            : TimeSpan.FromMinutes(5);
        var maxErrorRate = Number(context, "max_error_rate", 0.05);
        var minRequests = (int)Number(context, "min_requests", 10);
        double? minEvalScore = context.OptionalInput("min_eval_score") is null ? null : Number(context, "min_eval_score", 0);
        var minScored = (int)Number(context, "min_scored", 5);
        var deployments = new DeploymentService(platform.Store, context.Actor, platform.Time);
        var serving = await deployments.GetAsync(environment, endpoint, cancellationToken);
        if (serving.Spec.Versions.All(v => v.Reference == canary.Reference))
        {
            // The first deployment of an endpoint has nothing to roll back to: there is no canary to judge.
            context.Log($"{canary.Reference} is the only version serving {name}; nothing to compare or roll back to");
            return new StepOutcome(new Dictionary<string, string> { ["decision"] = "sole-version", ["error_rate"] = "", ["requests"] = "0", ["eval_score"] = "" });
        }
        var start = platform.Time.GetUtcNow();
        context.Log(string.Create(CultureInfo.InvariantCulture, $"watching {canary.Reference} on {name} for {window.TotalSeconds:0} s (error rate ≤ {maxErrorRate:P0}, at least {minRequests} requests)"));

        async Task<(int Requests, int Errors, int Scored, double? Score)> CountAsync()
        {
            await traces.FlushAsync(cancellationToken);
            var records = await traces.SearchAsync(new LlmOps.Monitoring.TraceFilter(Since: start, Deployment: name, Limit: LlmOps.Monitoring.TraceFilter.MaxLimit), cancellationToken);
            var requests = records.Count(r => r.Version == canary.Reference || r.FallbackFrom.Contains(canary.Reference));
            var errors = records.Count(r => r.FallbackFrom.Contains(canary.Reference) || (r.Version == canary.Reference && r.Status == LlmOps.Monitoring.TraceStatus.Error));
            if (minEvalScore is null) return (requests, errors, 0, null);
            await using var session = await platform.Store.OpenAsync(write: false, cancellationToken);
            var scores = (await session.Traces.ListScoresAsync(null, start, null, name, cancellationToken)).Where(s => s.Version == canary.Reference).ToList();
            // One figure per answer: the mean of its assertion scores.
            var perTrace = scores.GroupBy(s => s.TraceId).Select(g => g.Average(s => s.Score)).ToList();
            return (requests, errors, perTrace.Count, perTrace.Count == 0 ? null : perTrace.Average());
        }

        bool ScoreTooLow(int scored, double? score) => minEvalScore is { } min && scored >= minScored && score < min;

        var (requests, errors, scored, evalScore) = (0, 0, 0, (double?)null);
        while (platform.Time.GetUtcNow() - start < window)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(window.TotalMilliseconds / 20, 100, 5000)), platform.Time, cancellationToken);
            (requests, errors, scored, evalScore) = await CountAsync();
            if (requests >= minRequests && (double)errors / requests > maxErrorRate) break; // clearly bad: do not wait out the window
            if (ScoreTooLow(scored, evalScore)) break;
        }
        var rate = requests == 0 ? 0 : (double)errors / requests;
        var summary = string.Create(CultureInfo.InvariantCulture, $"{errors}/{requests} requests to {canary.Reference} failed ({rate:P1})");
        if (minEvalScore is not null)
            summary += string.Create(CultureInfo.InvariantCulture, $", online eval score {(evalScore is { } e ? e.ToString("0.###", CultureInfo.InvariantCulture) : "-")} over {scored} answers");
        if (ScoreTooLow(scored, evalScore))
        {
            var restored = await deployments.RollbackAsync(environment, endpoint, cancellationToken);
            context.Log($"{summary}: rolled {name} back to revision {restored.RestoredFrom} (now revision {restored.Revision})");
            throw new StepFailedException(string.Create(CultureInfo.InvariantCulture, $"canary {canary.Reference} on {name}: {summary}, below {minEvalScore:0.###}; rolled back."));
        }
        if (requests >= minRequests && rate > maxErrorRate)
        {
            var restored = await deployments.RollbackAsync(environment, endpoint, cancellationToken);
            context.Log($"{summary}: rolled {name} back to revision {restored.RestoredFrom} (now revision {restored.Revision})");
            throw new StepFailedException(string.Create(CultureInfo.InvariantCulture, $"canary {canary.Reference} on {name}: {summary}, above {maxErrorRate:P0}; rolled back."));
        }
        if (requests < minRequests)
            throw new StepFailedException($"canary {canary.Reference} on {name}: only {requests} requests in {window.TotalSeconds:0} s, fewer than the {minRequests} needed to judge; the deployment is unchanged.");

        var current = await deployments.GetAsync(environment, endpoint, cancellationToken);
        var promoted = await deployments.SetAsync(environment, endpoint, current.Spec with { Versions = [new WeightedVersion(canary.Model, canary.Version, 100)] }, cancellationToken);
        context.Log($"{summary}: {canary.Reference} now takes all traffic on {name} (revision {promoted.Revision})");
        return new StepOutcome(new Dictionary<string, string>
        {
            ["decision"] = "promoted",
            ["error_rate"] = rate.ToString("R", CultureInfo.InvariantCulture),
            ["requests"] = requests.ToString(CultureInfo.InvariantCulture),
            ["eval_score"] = evalScore?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        });
    }

    static double Number(StepContext context, string input, double fallback)
    {
        var text = context.OptionalInput(input);
        if (text is null) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value : throw new InvalidInputException($"steps.{context.StepId}.with.{input}", $"'{text}' is not a non-negative number.");
    }
}
