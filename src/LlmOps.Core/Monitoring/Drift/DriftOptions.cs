namespace LlmOps.Monitoring.Drift;

/// <summary>Thresholds and sizes of drift detection. Thresholds default to Evidently's defaults where Evidently has the
/// method (evidentlyai/evidently, <c>src/evidently/legacy/calculations/stattests/*.py</c> <c>default_threshold</c> and
/// <c>src/evidently/legacy/metrics/data_drift/embedding_drift_methods.py</c>); the rest are ours and say so.</summary>
public sealed class DriftOptions
{
    /// <summary>PSI at or above which a histogram drifted. Evidently <c>psi_stat_test</c>: 0.1.</summary>
    public double PsiThreshold { get; set; } = 0.1;

    /// <summary>Jensen–Shannon distance (natural log) at or above which a histogram drifted. Evidently
    /// <c>jensenshannon_stat_test</c>: 0.1.</summary>
    public double JensenShannonThreshold { get; set; } = 0.1;

    /// <summary>Bins of the length histograms, cut at the reference's quantiles: 10 (deciles, the usual PSI binning;
    /// Evidently's Sturges rule gives 10–12 for windows of 300–2,000). Fewer when the reference's quantiles tie.</summary>
    public int LengthBins { get; set; } = 10;

    /// <summary>The reference's most frequent tokens that get a bin of their own in the token histograms; the rest share
    /// one "other" bin. Ours: 20 keeps sampling noise well under the 0.1 thresholds for windows of a few hundred prompts
    /// while the common words and the "other" share still move with the vocabulary.</summary>
    public int TopTokens { get; set; } = 20;

    /// <summary>Significance level of the refusal-rate z-test. Evidently's <c>z</c> stat test: 0.05.</summary>
    public double RefusalAlpha { get; set; } = 0.05;

    /// <summary>The smallest absolute change of the refusal rate (0.05 = five percentage points) that counts as drift,
    /// besides significance. Ours: with large windows a z-test finds a 1-point change significant, which is no alert.</summary>
    public double RefusalMinimumChange { get; set; } = 0.05;

    /// <summary>Cosine distance between the embedding centroids above which the embeddings drifted. Evidently's
    /// <c>distance</c> method: 0.2 (its default metric is Euclidean; the threshold is the same for cosine).</summary>
    public double CentroidDistanceThreshold { get; set; } = 0.2;

    /// <summary>MMD² above which the embeddings drifted, besides significance. Evidently's <c>mmd</c> method: 0.015.</summary>
    public double MmdThreshold { get; set; } = 0.015;

    /// <summary>Significance level of the MMD permutation test. Ours (Evidently's <c>mmd</c> compares MMD² with its
    /// threshold only): a test at 0.05 alone false-alarms on 5% of same-distribution windows by construction; together
    /// with <see cref="MmdThreshold"/> it flags differences both real and large enough to matter.</summary>
    public double MmdAlpha { get; set; } = 0.05;

    /// <summary>Random relabellings of the MMD permutation test: 200 resolve p-values to 0.005.</summary>
    public int MmdPermutations { get; set; } = 200;

    /// <summary>At most this many prompts of each window are embedded (a seeded random subset of a larger window): the
    /// kernel matrix grows with the square of the pooled size. Evidently estimates its kernel width from at most 1,000 per
    /// window; 500 keeps one analysis to a few seconds of all-MiniLM-L6-v2 on two cores.</summary>
    public int EmbeddingSampleLimit { get; set; } = 500;

    /// <summary>Seed of the permutations and the embedding subsets: the same windows give the same report.</summary>
    public int Seed { get; set; }

    /// <summary>Fewest samples each window must have; fewer is an input error naming the window. Ours: 50, enough for the
    /// refusal and MMD tests (which hold their error rate at any size) and for a reference of evaluation inputs.</summary>
    /// <remarks>PSI and JS against fixed thresholds do not account for sample size: on two samples of one distribution a
    /// 10-bin PSI is about 9 · (1/n + 1/m) from noise alone. On synthetic same-distribution windows the length features
    /// flagged drift in 98%, ~50%, ~20%, ~2% and 0% of seeds at 100, 200, 300, 500 and 1,000 samples per window; the report
    /// carries a warning whenever the windows are small enough for that (see <see cref="DriftReport.Warnings"/>).</remarks>
    public int MinimumSamples { get; set; } = 50;

    /// <summary>Share of drifted features at which the whole window counts as drifted. Evidently's <c>drift_share</c>: 0.5.</summary>
    public double DriftShare { get; set; } = 0.5;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Positive(PsiThreshold, "psiThreshold");
        Positive(JensenShannonThreshold, "jensenShannonThreshold");
        Positive(CentroidDistanceThreshold, "centroidDistanceThreshold");
        if (!(MmdThreshold >= 0 && double.IsFinite(MmdThreshold))) throw new InvalidInputException("mmdThreshold", "must be zero or more.");
        if (!(RefusalMinimumChange is >= 0 and <= 1)) throw new InvalidInputException("refusalMinimumChange", "must be between 0 and 1.");
        Probability(RefusalAlpha, "refusalAlpha");
        Probability(MmdAlpha, "mmdAlpha");
        if (!(DriftShare is > 0 and <= 1)) throw new InvalidInputException("driftShare", "must be above 0 and at most 1.");
        if (LengthBins is < 2 or > 1000) throw new InvalidInputException("lengthBins", "must be 2 to 1000.");
        if (TopTokens is < 1 or > 10_000) throw new InvalidInputException("topTokens", "must be 1 to 10000.");
        if (MmdPermutations is < 1 or > 100_000) throw new InvalidInputException("mmdPermutations", "must be 1 to 100000.");
        if (EmbeddingSampleLimit is < 2 or > 2_000) throw new InvalidInputException("embeddingSampleLimit", "must be 2 to 2000.");
        if (MinimumSamples < 2) throw new InvalidInputException("minimumSamples", "must be at least 2.");
    }

    static void Positive(double value, string field)
    {
        if (!(value > 0 && double.IsFinite(value))) throw new InvalidInputException(field, "must be a positive number.");
    }

    static void Probability(double value, string field)
    {
        if (!(value is > 0 and < 1)) throw new InvalidInputException(field, "must be strictly between 0 and 1.");
    }
}
