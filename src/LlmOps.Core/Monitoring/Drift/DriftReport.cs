namespace LlmOps.Monitoring.Drift;

/// <summary>The outcome of comparing a current window with a reference window.</summary>
/// <param name="Drifted">True when the share of drifted features reaches <paramref name="DriftShareThreshold"/>
/// (Evidently's dataset drift: <c>share_drifted_columns &gt;= drift_share</c>).</param>
/// <param name="DriftShare">Drifted features over computed features (a feature drifts when any of its methods says so).</param>
/// <param name="DriftShareThreshold">The share at which the whole window counts as drifted.</param>
/// <param name="DriftedFeatures">Names of the drifted features, in report order.</param>
/// <param name="FeatureCount">How many features were computed (skipped ones excluded).</param>
/// <param name="ReferenceCount">Samples in the reference window.</param>
/// <param name="CurrentCount">Samples in the current window.</param>
/// <param name="Results">One result per feature and method.</param>
/// <param name="Skipped">Features not computed, and why (no responses, no embedding generator).</param>
/// <param name="Warnings">Conditions that make a result less trustworthy, for a person: windows so small that sampling
/// noise alone reaches a histogram's thresholds.</param>
public sealed record DriftReport(
    bool Drifted,
    double DriftShare,
    double DriftShareThreshold,
    IReadOnlyList<string> DriftedFeatures,
    int FeatureCount,
    int ReferenceCount,
    int CurrentCount,
    IReadOnlyList<DriftResult> Results,
    IReadOnlyList<DriftSkip> Skipped,
    IReadOnlyList<string> Warnings);

/// <summary>One feature measured by one method. A result drifts when its score passes <paramref name="Threshold"/> and, for a
/// test (<paramref name="Alpha"/> set), its p-value is below <paramref name="Alpha"/> too.</summary>
/// <param name="Feature">One of <see cref="DriftFeatures"/>.</param>
/// <param name="Method">One of <see cref="DriftMethods"/>.</param>
/// <param name="Score">PSI, Jensen–Shannon distance, absolute change of the refusal rate, centroid cosine distance or MMD².</param>
/// <param name="Threshold">The score at which (PSI, JS: ≥; refusal: ≥; distance, MMD: &gt;, as Evidently compares) the feature drifts.</param>
/// <param name="PValue">The test's p-value, for the refusal rate and MMD.</param>
/// <param name="Alpha">The significance level the p-value must be below; null for the distances.</param>
/// <param name="Drifted">Whether this method says the feature drifted.</param>
/// <param name="ReferenceValue">A summary of the reference where one reads naturally: mean length in characters, refusal rate.</param>
/// <param name="CurrentValue">The same summary of the current window.</param>
/// <param name="Detail">One line for a person: what was compared and how it came out.</param>
public sealed record DriftResult(
    string Feature,
    string Method,
    double Score,
    double Threshold,
    double? PValue,
    double? Alpha,
    bool Drifted,
    double? ReferenceValue,
    double? CurrentValue,
    string Detail);

/// <summary>A feature that was not computed.</summary>
public sealed record DriftSkip(string Feature, string Reason);

/// <summary>Names of the features a drift report measures.</summary>
public static class DriftFeatures
{
    public const string PromptLength = "prompt_length";
    public const string ResponseLength = "response_length";
    public const string PromptTokens = "prompt_tokens";
    public const string ResponseTokens = "response_tokens";
    public const string RefusalRate = "refusal_rate";
    public const string EmbeddingCentroid = "embedding_centroid";
    public const string EmbeddingMmd = "embedding_mmd";

    /// <summary>Every feature, in report order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [PromptLength, ResponseLength, PromptTokens, ResponseTokens, RefusalRate, EmbeddingCentroid, EmbeddingMmd];
}

/// <summary>Names of the methods, as Evidently names its stat tests and embedding-drift methods where it has them.</summary>
public static class DriftMethods
{
    public const string Psi = "psi";
    public const string JensenShannon = "jensenshannon";
    public const string ZTest = "z";
    public const string CosineDistance = "distance_cosine";
    public const string Mmd = "mmd";
}
