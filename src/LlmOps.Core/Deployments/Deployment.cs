using LlmOps.Registry;

namespace LlmOps.Deployments;

/// <summary>One numbered revision of an endpoint in an environment: which registry versions serve it and how.</summary>
/// <param name="Environment">dev, qa or prod.</param>
/// <param name="Endpoint">The name clients ask for (the OpenAI <c>model</c> field).</param>
/// <param name="Revision">1, 2, …; every change (including a rollback) is a new revision.</param>
/// <param name="Spec">What serves it.</param>
/// <param name="Action"><c>set</c> or <c>rollback</c>.</param>
/// <param name="RestoredFrom">For a rollback, the revision whose spec it restored.</param>
/// <param name="CreatedAt">When the revision was made.</param>
/// <param name="CreatedBy">The principal who made it.</param>
public sealed record Deployment(
    string Environment,
    string Endpoint,
    int Revision,
    DeploymentSpec Spec,
    string Action,
    int? RestoredFrom,
    DateTimeOffset CreatedAt,
    string CreatedBy)
{
    /// <summary><c>endpoint@environment</c>, the gateway's model name for it.</summary>
    public string Name => $"{Endpoint}@{Environment}";
}

/// <summary>What serves an endpoint: weighted versions (canary), an optional shadow, a fallback chain and a timeout.</summary>
/// <param name="Versions">Versions that answer, each with a traffic weight; a request goes to one of them in proportion.</param>
/// <param name="Shadow">A version that gets a copy of each request; its answer is recorded, never returned.</param>
/// <param name="Fallbacks">Tried in order when the chosen version fails or times out.</param>
/// <param name="TimeoutSeconds">How long one version may take before the next in the chain is tried.</param>
/// <param name="Monitoring">What the trace store keeps of its requests and how they are evaluated online; null: the defaults.</param>
public sealed record DeploymentSpec(
    IReadOnlyList<WeightedVersion> Versions,
    VersionRef? Shadow = null,
    IReadOnlyList<VersionRef>? Fallbacks = null,
    double? TimeoutSeconds = null,
    MonitoringSettings? Monitoring = null)
{
    /// <summary>Every version the spec names, serving, shadow and fallback.</summary>
    public IEnumerable<VersionRef> AllVersions() =>
        Versions.Select(v => new VersionRef(v.Model, v.Version))
            .Concat(Shadow is null ? [] : [Shadow])
            .Concat(Fallbacks ?? []);
}

/// <summary>What the trace store keeps of a deployment's requests, and the online evaluation of a sample of them.</summary>
/// <param name="CaptureContent">Keep the prompt and the response text with each trace (needed for drift on text and online evaluation).</param>
/// <param name="RedactPii">Redact e-mail addresses, phone numbers, card and account numbers, IPs and secrets before storing the text.</param>
/// <param name="OnlineEval">Assertions run on a sample of live traffic; null: none.</param>
public sealed record MonitoringSettings(bool CaptureContent = true, bool RedactPii = true, OnlineEvalSettings? OnlineEval = null)
{
    public static MonitoringSettings Default { get; } = new();
}

/// <summary>Online evaluation: a share of live requests is scored asynchronously by evaluation assertions; scores attach to the traces.</summary>
/// <param name="SampleRate">Share of requests scored, 0–1.</param>
/// <param name="Assertions">Assertions as an evaluation suite writes them (<c>type</c>, <c>value</c>, <c>threshold</c>, <c>metric</c>).</param>
/// <param name="Judge">The deployment (<c>endpoint@environment</c>) that grades <c>llm-rubric</c> assertions.</param>
public sealed record OnlineEvalSettings(double SampleRate, IReadOnlyList<OnlineAssertion> Assertions, string? Judge = null);

/// <summary>One assertion of an online evaluation, in an evaluation suite's words (<c>not-</c> prefixes negate).</summary>
public sealed record OnlineAssertion(string Type, System.Text.Json.Nodes.JsonNode? Value = null, double? Threshold = null, string? Metric = null);

/// <summary>A registry version with a traffic weight.</summary>
public sealed record WeightedVersion(string Model, int Version, int Weight = 100)
{
    public string Reference => $"{Model}/{Version}";
}

/// <summary>A registry version by name and number.</summary>
public sealed record VersionRef(string Model, int Version)
{
    public string Reference => $"{Model}/{Version}";

    /// <summary>Parses <c>name/VERSION</c>.</summary>
    public static VersionRef Parse(string reference, string field = "version")
    {
        var (name, version, alias) = ModelReference.Parse(reference);
        if (alias is not null || version is null) throw new InvalidInputException(field, $"'{reference}': name a version as name/VERSION.");
        return new VersionRef(name, version.Value);
    }
}

/// <summary>The kinds of deployment change.</summary>
public static class DeploymentActions
{
    public const string Set = "set";
    public const string Rollback = "rollback";
}
