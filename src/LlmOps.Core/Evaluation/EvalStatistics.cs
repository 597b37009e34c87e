namespace LlmOps.Evaluation;

/// <summary>A confidence interval.</summary>
public readonly record struct Interval(double Lower, double Upper);

/// <summary>The statistics of a comparison: Wilson intervals of pass rates, a seeded paired bootstrap of mean differences,
/// and the exact McNemar test of paired pass/fail.</summary>
public static class EvalStatistics
{
    /// <summary>The Wilson score interval of <paramref name="successes"/> out of <paramref name="trials"/>; (0, 1) when there are none.</summary>
    public static Interval Wilson(int successes, int trials, double confidence = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, successes);
        if (trials == 0) return new Interval(0, 1);
        var z = NormalQuantile(1 - (1 - confidence) / 2);
        var n = (double)trials;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denominator;
        var half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new Interval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>The percentile bootstrap interval of the mean of <paramref name="differences"/> (paired candidate − baseline),
    /// from <paramref name="samples"/> resamples drawn with <paramref name="seed"/>: the same inputs give the same interval.</summary>
    public static Interval BootstrapMeanInterval(IReadOnlyList<double> differences, int samples = 2000, double confidence = 0.95, int seed = 12345)
    {
        ArgumentNullException.ThrowIfNull(differences);
        if (differences.Count == 0) return new Interval(0, 0);
        var random = new Random(seed);
        var means = new double[samples];
        var n = differences.Count;
        for (var s = 0; s < samples; s++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++) sum += differences[random.Next(n)];
            means[s] = sum / n;
        }
        Array.Sort(means);
        var alpha = 1 - confidence;
        return new Interval(Quantile(means, alpha / 2), Quantile(means, 1 - alpha / 2));
    }

    /// <summary>The exact (binomial) two-sided McNemar p-value for <paramref name="b"/> and <paramref name="c"/> discordant pairs:
    /// min(1, 2 · P(X ≤ min(b, c))) with X ~ Binomial(b + c, ½); 1 when there are no discordant pairs.</summary>
    public static double McNemarExact(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        var n = b + c;
        if (n == 0) return 1;
        var k = Math.Min(b, c);
        // Sum the binomial probabilities in log space so large n does not underflow 2^-n.
        var logHalfN = n * Math.Log(0.5);
        var logChoose = 0.0;
        var tail = 0.0;
        for (var i = 0; i <= k; i++)
        {
            if (i > 0) logChoose += Math.Log(n - i + 1) - Math.Log(i);
            tail += Math.Exp(logChoose + logHalfN);
        }
        return Math.Min(1, 2 * tail);
    }

    /// <summary>Linear interpolation between order statistics (R's type 7) of sorted values.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) return double.NaN;
        var position = q * (sorted.Count - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).</summary>
    public static double NormalQuantile(double p)
    {
        if (p is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), "must be strictly between 0 and 1.");
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) return -NormalQuantile(1 - p);
        var r = p - 0.5;
        var s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }
}
