namespace LlmOps.Registry;

/// <summary>An immutable version of a registered model: its files, lineage and metrics; only its approval state changes.</summary>
public sealed record ModelVersion(
    string ModelName,
    int Version,
    string Format,
    IReadOnlyList<ArtifactFile> Files,
    string? SourceUri,
    ModelLineage Lineage,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> Tags,
    string? ModelCard,
    ApprovalState ApprovalState,
    DateTimeOffset CreatedAt,
    string CreatedBy)
{
    /// <summary>The version as <c>name/version</c>, e.g. <c>tiny-chat/3</c>.</summary>
    public string Reference => $"{ModelName}/{Version}";
}

/// <summary>What a version was made from: base model version, dataset version and the run that trained it.</summary>
public sealed record ModelLineage(string? BaseModel = null, int? BaseVersion = null, string? DatasetVersion = null, string? RunId = null)
{
    public static ModelLineage None { get; } = new();
}

/// <summary>A named file of a version or run, stored in the artifact store under its SHA-256.</summary>
public sealed record ArtifactFile(string Name, string Sha256, long Size);

/// <summary>The formats a model version can take.</summary>
public static class ModelFormats
{
    public const string Gguf = "gguf";
    public const string TorchSharp = "torchsharp";
    public const string Lora = "lora";
    public const string Remote = "remote";

    /// <summary>A model shipped with LlmOps itself, named in sourceUri (e.g. <c>all-MiniLM-L6-v2</c>); no files.</summary>
    public const string Builtin = "builtin";

    public static IReadOnlyList<string> All { get; } = [Gguf, TorchSharp, Lora, Remote, Builtin];
}

/// <summary>Where a version stands in review (as SageMaker's model approval status).</summary>
public enum ApprovalState
{
    None,
    PendingManualApproval,
    Approved,
    Rejected,
}

/// <summary>One step of a version's review: a request, an approval or a rejection, with its comment and evidence.</summary>
public sealed record ApprovalEvent(
    string Id,
    string ModelName,
    int Version,
    ApprovalAction Action,
    string ActorId,
    string Comment,
    IReadOnlyList<Evidence> Evidence,
    DateTimeOffset At);

/// <summary>The kinds of approval step.</summary>
public enum ApprovalAction
{
    Requested,
    Approved,
    Rejected,
}

/// <summary>Material attached to an approval step: an evaluation result, a report, a link.</summary>
/// <param name="Kind">e.g. <c>evaluation</c>, <c>report</c>, <c>link</c>.</param>
/// <param name="Reference">An id or URI the approver can open.</param>
/// <param name="Summary">A line a person reads in a list.</param>
public sealed record Evidence(string Kind, string Reference, string? Summary = null);

/// <summary>The environment aliases a version can be deployed under.</summary>
public static class Environments
{
    public const string Dev = "dev";
    public const string Qa = "qa";
    public const string Prod = "prod";

    public static IReadOnlyList<string> All { get; } = [Dev, Qa, Prod];
}

/// <summary>A recorded move of an alias from one version to another (or its removal).</summary>
public sealed record AliasMove(string ModelName, string Alias, int? FromVersion, int? ToVersion, string ActorId, DateTimeOffset At);
