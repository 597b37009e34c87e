namespace LlmOps.Monitoring.Drift;

/// <summary>The distances and tests of drift detection, computed the way Evidently computes them (evidentlyai/evidently,
/// <c>src/evidently/legacy/calculations/stattests/</c>: <c>psi.py</c>, <c>jensenshannon.py</c>, <c>z_stattest.py</c>, <c>utils.py</c>).</summary>
public static class DriftStatistics
{
    /// <summary>Population Stability Index of two histograms given as shares (each summing to 1 over the same bins):
    /// Σ (ref − cur) · ln(ref / cur), natural log. Empty bins are filled first as Evidently's <c>get_binned_data</c> does
    /// (<c>feel_zeroes</c>): a zero share becomes 0.0001, or the window's smallest non-zero share / 10⁶ when that share is
    /// 0.0001 or less; the shares are not renormalised afterwards, also as there.</summary>
    public static double Psi(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        CheckShares(reference, current);
        var r = FillEmptyBins(reference);
        var c = FillEmptyBins(current);
        var psi = 0.0;
        for (var i = 0; i < r.Length; i++) psi += (r[i] - c[i]) * Math.Log(r[i] / c[i]);
        return psi;
    }

    /// <summary>Jensen–Shannon distance (the square root of the divergence) of two histograms, in natural-log units, as
    /// scipy's <c>distance.jensenshannon</c> with its default base that Evidently calls (an older Evidently passed base 2;
    /// its current <c>_jensenshannon</c> passes <c>base=None</c>, i.e. e). Bounded by √ln 2 ≈ 0.833. Empty bins are left
    /// empty (Evidently bins with <c>feel_zeroes=False</c> here): 0 · ln 0 counts as 0. Each side is normalised to sum 1.</summary>
    public static double JensenShannonDistance(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        CheckShares(reference, current);
        var sumR = reference.Sum();
        var sumC = current.Sum();
        if (sumR <= 0 || sumC <= 0) throw new ArgumentException("a histogram with no mass has no distribution.");
        var divergence = 0.0;
        for (var i = 0; i < reference.Count; i++)
        {
            var p = reference[i] / sumR;
            var q = current[i] / sumC;
            var m = (p + q) / 2;
            if (p > 0) divergence += p * Math.Log(p / m) / 2;
            if (q > 0) divergence += q * Math.Log(q / m) / 2;
        }
        // Rounding can leave a tiny negative divergence for identical histograms.
        return Math.Sqrt(Math.Max(0, divergence));
    }

    /// <summary>The two-sided p-value of the pooled two-proportion z-test (Evidently's <c>z</c> stat test):
    /// z = (p₁ − p₂) / √(P(1 − P)(1/n₁ + 1/n₂)) with P the pooled share; 1 when both windows are all successes or all
    /// failures (no variance to test against).</summary>
    public static double TwoProportionPValue(int referenceSuccesses, int referenceTrials, int currentSuccesses, int currentTrials)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(referenceSuccesses);
        ArgumentOutOfRangeException.ThrowIfNegative(currentSuccesses);
        ArgumentOutOfRangeException.ThrowIfLessThan(referenceTrials, Math.Max(1, referenceSuccesses));
        ArgumentOutOfRangeException.ThrowIfLessThan(currentTrials, Math.Max(1, currentSuccesses));
        var p1 = (double)referenceSuccesses / referenceTrials;
        var p2 = (double)currentSuccesses / currentTrials;
        var pooled = (double)(referenceSuccesses + currentSuccesses) / (referenceTrials + currentTrials);
        var variance = pooled * (1 - pooled) * (1.0 / referenceTrials + 1.0 / currentTrials);
        if (variance <= 0) return 1;
        var z = (p1 - p2) / Math.Sqrt(variance);
        return Math.Min(1, 2 * NormalUpperTail(Math.Abs(z)));
    }

    /// <summary>P(Z &gt; z) for a standard normal Z, through the complementary error function.</summary>
    public static double NormalUpperTail(double z) => Erfc(z / Math.Sqrt(2)) / 2;

    /// <summary>The complementary error function, by the Chebyshev fit in Numerical Recipes (<c>erfcc</c>): fractional error
    /// below 1.2 × 10⁻⁷ everywhere, plenty for a p-value compared with 0.05; .NET has no erf of its own.</summary>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var answer = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? answer : 2 - answer;
    }

    static double[] FillEmptyBins(IReadOnlyList<double> shares)
    {
        var smallest = shares.Where(s => s > 0).DefaultIfEmpty(0).Min();
        if (smallest <= 0) throw new ArgumentException("a histogram with no mass has no distribution.");
        var fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
        return [.. shares.Select(s => s == 0 ? fill : s)];
    }

    static void CheckShares(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        if (reference.Count != current.Count) throw new ArgumentException($"histograms over different bins ({reference.Count} and {current.Count}).");
        if (reference.Count == 0) throw new ArgumentException("histograms need at least one bin.");
        if (reference.Concat(current).Any(s => s < 0 || !double.IsFinite(s))) throw new ArgumentException("shares must be finite and not negative.");
    }
}
