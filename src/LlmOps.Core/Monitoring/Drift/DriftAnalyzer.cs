using System.Globalization;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using Microsoft.Extensions.AI;

namespace LlmOps.Monitoring.Drift;

/// <summary>Compares a current window of requests with a reference window (the QA evaluation's inputs, a chosen week of
/// traffic): length and token-frequency histograms of prompts and responses by PSI and Jensen–Shannon distance, the refusal
/// rate by a two-proportion z-test, and the prompts' embeddings by centroid cosine distance and an MMD permutation test.</summary>
/// <remarks>Embedding features need an embedding generator (all-MiniLM-L6-v2 in the product); without one they are skipped.
/// Response features need <see cref="DriftOptions.MinimumSamples"/> responses in both windows; otherwise they are skipped
/// with the reason, so a reference of evaluation inputs alone still compares prompts.</remarks>
public sealed class DriftAnalyzer
{
    const int EmbeddingBatch = 128;

    readonly DriftOptions options;
    readonly IEmbeddingGenerator<string, Embedding<float>>? embeddings;

    /// <summary>Validates <paramref name="options"/> (defaults when null); throws <see cref="InvalidInputException"/> naming a bad setting.</summary>
    public DriftAnalyzer(DriftOptions? options = null, IEmbeddingGenerator<string, Embedding<float>>? embeddings = null)
    {
        this.options = options ?? new DriftOptions();
        this.options.Validate();
        this.embeddings = embeddings;
    }

    /// <summary>Measures every feature of <paramref name="current"/> against <paramref name="reference"/>. Throws
    /// <see cref="InvalidInputException"/> when a window has fewer than <see cref="DriftOptions.MinimumSamples"/> samples
    /// or a sample has no prompt.</summary>
    public async Task<DriftReport> AnalyzeAsync(IReadOnlyList<DriftSample> reference, IReadOnlyList<DriftSample> current,
        CancellationToken cancellationToken = default)
    {
        CheckWindow(reference, "reference");
        CheckWindow(current, "current");
        var results = new List<DriftResult>();
        var skipped = new List<DriftSkip>();
        var warnings = new List<string>();

        var referencePrompts = reference.Select(s => s.Prompt).ToList();
        var currentPrompts = current.Select(s => s.Prompt).ToList();
        Lengths(DriftFeatures.PromptLength, referencePrompts, currentPrompts, results, warnings);
        Tokens(DriftFeatures.PromptTokens, "prompts", referencePrompts, currentPrompts, results, skipped, warnings);

        var referenceResponses = reference.Select(s => s.Response).OfType<string>().ToList();
        var currentResponses = current.Select(s => s.Response).OfType<string>().ToList();
        var shortfall = ResponseShortfall(referenceResponses.Count, currentResponses.Count);
        if (shortfall is null)
        {
            Lengths(DriftFeatures.ResponseLength, referenceResponses, currentResponses, results, warnings);
            Tokens(DriftFeatures.ResponseTokens, "responses", referenceResponses, currentResponses, results, skipped, warnings);
            results.Add(RefusalRate(referenceResponses, currentResponses));
        }
        else
        {
            foreach (var feature in new[] { DriftFeatures.ResponseLength, DriftFeatures.ResponseTokens, DriftFeatures.RefusalRate })
                skipped.Add(new DriftSkip(feature, shortfall));
        }

        if (embeddings is null)
        {
            const string reason = "no embedding generator was given.";
            skipped.Add(new DriftSkip(DriftFeatures.EmbeddingCentroid, reason));
            skipped.Add(new DriftSkip(DriftFeatures.EmbeddingMmd, reason));
        }
        else
        {
            await EmbeddingsAsync(embeddings, referencePrompts, currentPrompts, results, cancellationToken);
        }

        var order = DriftFeatures.All.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index, StringComparer.Ordinal);
        results = [.. results.OrderBy(r => order[r.Feature])];
        skipped = [.. skipped.OrderBy(s => order[s.Feature])];
        var features = results.Select(r => r.Feature).Distinct(StringComparer.Ordinal).ToList();
        var drifted = features.Where(f => results.Any(r => r.Feature == f && r.Drifted)).ToList();
        var share = (double)drifted.Count / features.Count;
        return new DriftReport(share >= options.DriftShare, share, options.DriftShare, drifted, features.Count,
            reference.Count, current.Count, results, skipped, warnings);
    }

    void CheckWindow(IReadOnlyList<DriftSample> window, string name)
    {
        ArgumentNullException.ThrowIfNull(window, name);
        if (window.Count < options.MinimumSamples)
            throw new InvalidInputException(name, $"the {name} window has {Samples(window.Count)}; drift needs at least {options.MinimumSamples} in each window (minimumSamples).");
        for (var i = 0; i < window.Count; i++)
        {
            if (window[i] is null) throw new InvalidInputException($"{name}[{i}]", "is null.");
            if (window[i].Prompt is null) throw new InvalidInputException($"{name}[{i}].prompt", "is required.");
        }
    }

    string? ResponseShortfall(int referenceResponses, int currentResponses)
    {
        if (referenceResponses >= options.MinimumSamples && currentResponses >= options.MinimumSamples) return null;
        var (window, count) = referenceResponses < options.MinimumSamples ? ("reference", referenceResponses) : ("current", currentResponses);
        return count == 0
            ? $"the {window} window has no responses."
            : $"the {window} window has {count} {(count == 1 ? "response" : "responses")}; at least {options.MinimumSamples} are needed (minimumSamples).";
    }

    void Lengths(string feature, List<string> reference, List<string> current, List<DriftResult> results, List<string> warnings)
    {
        var referenceLengths = reference.Select(t => (double)LengthHistogram.Characters(t)).ToList();
        var currentLengths = current.Select(t => (double)LengthHistogram.Characters(t)).ToList();
        var histogram = LengthHistogram.FromReference(referenceLengths, options.LengthBins);
        var r = histogram.Shares(referenceLengths);
        var c = histogram.Shares(currentLengths);
        NoiseWarning(feature, "samples", histogram.BinCount, reference.Count, current.Count, warnings);
        var bins = $"{histogram.BinCount} quantile bins of length in characters (mean {Num(referenceLengths.Average())} → {Num(currentLengths.Average())})";
        results.Add(Histogram(feature, DriftMethods.Psi, DriftStatistics.Psi(r, c), options.PsiThreshold, bins, referenceLengths.Average(), currentLengths.Average()));
        results.Add(Histogram(feature, DriftMethods.JensenShannon, DriftStatistics.JensenShannonDistance(r, c), options.JensenShannonThreshold, bins,
            referenceLengths.Average(), currentLengths.Average()));
    }

    void Tokens(string feature, string what, List<string> reference, List<string> current, List<DriftResult> results, List<DriftSkip> skipped,
        List<string> warnings)
    {
        var histogram = TokenHistogram.FromReference(reference, options.TopTokens);
        var r = histogram.Shares(reference, out var referenceTokens);
        var c = histogram.Shares(current, out var currentTokens);
        if (r is null || c is null)
        {
            skipped.Add(new DriftSkip(feature, $"the {(r is null ? "reference" : "current")} window's {what} hold no words."));
            return;
        }
        NoiseWarning(feature, "tokens", histogram.BinCount, referenceTokens, currentTokens, warnings);
        var bins = $"token shares over the reference's {histogram.Tokens.Count} most frequent words + other (other: {Percent(r[^1])} → {Percent(c[^1])})";
        results.Add(Histogram(feature, DriftMethods.Psi, DriftStatistics.Psi(r, c), options.PsiThreshold, bins, null, null));
        results.Add(Histogram(feature, DriftMethods.JensenShannon, DriftStatistics.JensenShannonDistance(r, c), options.JensenShannonThreshold, bins, null, null));
    }

    /// <summary>Warns when two samples of one distribution, of these sizes, would pass a histogram threshold more than one
    /// time in 20. Without drift, PSI · n_eff is about χ² with bins − 1 degrees of freedom (n_eff = 1/(1/n + 1/m)) and the
    /// JS divergence is about PSI/8, so the 95th percentile of noise is q = χ²₀.₉₅(bins − 1)/n_eff for PSI and √(q/8) for
    /// the JS distance (Wilson–Hilferty for the χ² quantile). With 10 bins and equal windows that is fewer than
    /// about 340 samples each for PSI at 0.1 and 425 for JS at 0.1, as the synthetic tests measure.</summary>
    void NoiseWarning(string feature, string unit, int bins, int referenceCount, int currentCount, List<string> warnings)
    {
        var effective = 1 / (1.0 / referenceCount + 1.0 / currentCount);
        var psiNoise = ChiSquareQuantile(0.95, bins - 1) / effective;
        var jsNoise = Math.Sqrt(psiNoise / 8);
        if (psiNoise < options.PsiThreshold && jsNoise < options.JensenShannonThreshold) return;
        warnings.Add($"{feature}: with {bins} bins over {referenceCount} and {currentCount} {unit}, two samples of one distribution reach " +
            $"PSI {Num(psiNoise)} and Jensen-Shannon distance {Num(jsNoise)} one time in 20 (thresholds {Num(options.PsiThreshold)} and " +
            $"{Num(options.JensenShannonThreshold)}): drift flagged here may be noise; compare larger windows{(unit == "samples" ? " or fewer bins (lengthBins)" : "")}.");
    }

    /// <summary>The p-quantile of χ² with k degrees of freedom, by the Wilson–Hilferty cube: within 1% for k ≥ 3.</summary>
    static double ChiSquareQuantile(double p, int k)
    {
        if (k < 1) return 0;
        var a = 2.0 / (9 * k);
        var cube = 1 - a + EvalStatistics.NormalQuantile(p) * Math.Sqrt(a);
        return k * cube * cube * cube;
    }

    static DriftResult Histogram(string feature, string method, double score, double threshold, string bins, double? referenceValue, double? currentValue)
    {
        // Evidently: psi_value >= threshold, jensenshannon_value >= threshold.
        var drifted = score >= threshold;
        var name = method == DriftMethods.Psi ? "PSI" : "Jensen-Shannon distance";
        return new DriftResult(feature, method, score, threshold, null, null, drifted, referenceValue, currentValue,
            $"{name} {Num(score)} {(drifted ? ">=" : "<")} {Num(threshold)} on {bins}.");
    }

    DriftResult RefusalRate(List<string> reference, List<string> current)
    {
        var referenceRefusals = reference.Count(AssertionTypes.IsRefusal);
        var currentRefusals = current.Count(AssertionTypes.IsRefusal);
        var referenceRate = (double)referenceRefusals / reference.Count;
        var currentRate = (double)currentRefusals / current.Count;
        var change = Math.Abs(currentRate - referenceRate);
        var p = DriftStatistics.TwoProportionPValue(referenceRefusals, reference.Count, currentRefusals, current.Count);
        var drifted = p < options.RefusalAlpha && change >= options.RefusalMinimumChange;
        return new DriftResult(DriftFeatures.RefusalRate, DriftMethods.ZTest, change, options.RefusalMinimumChange, p, options.RefusalAlpha,
            drifted, referenceRate, currentRate,
            $"refusal rate {Percent(referenceRate)} → {Percent(currentRate)}: two-proportion z-test {PValue(p)} " +
            $"({(p < options.RefusalAlpha ? "<" : ">=")} {Num(options.RefusalAlpha)}), change {Percent(change)} " +
            $"({(change >= options.RefusalMinimumChange ? ">=" : "<")} {Percent(options.RefusalMinimumChange)}).");
    }

    async Task EmbeddingsAsync(IEmbeddingGenerator<string, Embedding<float>> generator, List<string> reference, List<string> current,
        List<DriftResult> results, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed);
        var referenceSubset = Subset(reference, random);
        var currentSubset = Subset(current, random);
        var referenceVectors = await EmbedAsync(generator, referenceSubset, cancellationToken);
        var currentVectors = await EmbedAsync(generator, currentSubset, cancellationToken);
        var sizes = referenceSubset.Count == reference.Count && currentSubset.Count == current.Count
            ? $"{reference.Count} and {current.Count} prompts"
            : $"{referenceSubset.Count} and {currentSubset.Count} prompts sampled from {reference.Count} and {current.Count}";

        var distance = EmbeddingDrift.CentroidCosineDistance(referenceVectors, currentVectors);
        // Evidently's distance method: res > threshold.
        var distanceDrifted = distance > options.CentroidDistanceThreshold;
        results.Add(new DriftResult(DriftFeatures.EmbeddingCentroid, DriftMethods.CosineDistance, distance, options.CentroidDistanceThreshold,
            null, null, distanceDrifted, null, null,
            $"cosine distance of the embedding centroids {Num(distance)} {(distanceDrifted ? ">" : "<=")} {Num(options.CentroidDistanceThreshold)} ({sizes})."));

        cancellationToken.ThrowIfCancellationRequested();
        var mmd = EmbeddingDrift.MmdTest(referenceVectors, currentVectors, options.MmdPermutations, options.Seed);
        var mmdDrifted = mmd.PValue < options.MmdAlpha && mmd.Mmd2 > options.MmdThreshold;
        results.Add(new DriftResult(DriftFeatures.EmbeddingMmd, DriftMethods.Mmd, mmd.Mmd2, options.MmdThreshold, mmd.PValue, options.MmdAlpha,
            mmdDrifted, null, null,
            $"MMD² {Num(mmd.Mmd2)} ({(mmd.Mmd2 > options.MmdThreshold ? ">" : "<=")} {Num(options.MmdThreshold)}), permutation {PValue(mmd.PValue)} " +
            $"({(mmd.PValue < options.MmdAlpha ? "<" : ">=")} {Num(options.MmdAlpha)}) over {mmd.Permutations} permutations, RBF kernel width {Num(mmd.Bandwidth)} ({sizes})."));
    }

    List<string> Subset(List<string> texts, Random random)
    {
        if (texts.Count <= options.EmbeddingSampleLimit) return texts;
        var indices = Enumerable.Range(0, texts.Count).ToArray();
        random.Shuffle(indices);
        return [.. indices.Take(options.EmbeddingSampleLimit).Order().Select(i => texts[i])];
    }

    static async Task<List<ReadOnlyMemory<float>>> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, List<string> texts,
        CancellationToken cancellationToken)
    {
        var vectors = new List<ReadOnlyMemory<float>>(texts.Count);
        for (var start = 0; start < texts.Count; start += EmbeddingBatch)
        {
            var batch = texts.GetRange(start, Math.Min(EmbeddingBatch, texts.Count - start));
            var generated = await generator.GenerateAsync(batch, cancellationToken: cancellationToken);
            if (generated.Count != batch.Count)
                throw new InvalidOperationException($"the embedding generator returned {generated.Count} embeddings for {batch.Count} inputs.");
            vectors.AddRange(generated.Select(e => e.Vector));
        }
        return vectors;
    }

    static string Samples(int count) => count == 1 ? "1 sample" : $"{count} samples";

    static string Num(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    static string Percent(double value) => (value * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    static string PValue(double value) => value < 0.0001 ? "p < 0.0001" : "p = " + value.ToString("0.####", CultureInfo.InvariantCulture);
}
