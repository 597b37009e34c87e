using System.Numerics;
using System.Runtime.InteropServices;

namespace LlmOps.Monitoring.Drift;

/// <summary>The result of <see cref="EmbeddingDrift.MmdTest"/>.</summary>
/// <param name="Mmd2">The unbiased estimate of MMD² (may be slightly negative when the windows match).</param>
/// <param name="PValue">The permutation p-value: (1 + permutations with MMD² ≥ the observed) / (1 + permutations).</param>
/// <param name="Bandwidth">σ of the kernel exp(−‖x − y‖² / σ²): the median distance between pooled vectors.</param>
/// <param name="Permutations">How many label permutations were drawn.</param>
public readonly record struct MmdResult(double Mmd2, double PValue, double Bandwidth, int Permutations);

/// <summary>Drift between two windows of embeddings: cosine distance of their centroids, and the kernel two-sample test
/// (maximum mean discrepancy with an RBF kernel and a permutation p-value).</summary>
public static class EmbeddingDrift
{
    /// <summary>1 − cos(mean of reference, mean of current): Evidently's <c>distance</c> embedding-drift method with
    /// <c>dist="cosine"</c> (scipy's cosine distance of the two column means). 1 when a centroid is the zero vector.</summary>
    public static double CentroidCosineDistance(IReadOnlyList<ReadOnlyMemory<float>> reference, IReadOnlyList<ReadOnlyMemory<float>> current)
    {
        var dimensions = CheckVectors(reference, current);
        var a = Centroid(reference, dimensions);
        var b = Centroid(current, dimensions);
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < dimensions; i++)
        {
            dot += a[i] * b[i];
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }
        if (normA == 0 || normB == 0) return 1;
        return Math.Max(0, 1 - dot / Math.Sqrt(normA * normB));
    }

    /// <summary>The unbiased MMD² of the two windows under the kernel k(x, y) = exp(−‖x − y‖² / σ²), σ the median pairwise
    /// distance of the pooled vectors (the median heuristic), and its p-value from <paramref name="permutations"/> random
    /// relabellings of the pooled vectors drawn with <paramref name="seed"/>.</summary>
    /// <remarks>The kernel form and the unbiased estimator are Evidently's <c>mmd</c> method (sklearn's rbf with γ = 1/median²);
    /// Evidently takes the median over reference-to-current distances, which depends on which vector is in which window —
    /// the pooled median does not, so the same kernel holds under every permutation and the test stays exact. The kernel
    /// matrix is computed once; a permutation only reassigns indices.</remarks>
    public static MmdResult MmdTest(IReadOnlyList<ReadOnlyMemory<float>> reference, IReadOnlyList<ReadOnlyMemory<float>> current, int permutations, int seed)
    {
        var dimensions = CheckVectors(reference, current);
        ArgumentOutOfRangeException.ThrowIfLessThan(permutations, 1);
        var n = reference.Count;
        var m = current.Count;
        if (n < 2 || m < 2) throw new ArgumentException("MMD needs at least two vectors in each window.");
        var total = n + m;
        // The pooled vectors in one contiguous matrix, row by row: reference first, then current.
        var pooled = new float[total * dimensions];
        for (var i = 0; i < total; i++) (i < n ? reference[i] : current[i - n]).Span.CopyTo(pooled.AsSpan(i * dimensions, dimensions));

        // Squared distances through the norms: ‖x − y‖² = ‖x‖² + ‖y‖² − 2 x·y.
        var norms = new double[total];
        for (var i = 0; i < total; i++) norms[i] = Dot(Row(pooled, i, dimensions), Row(pooled, i, dimensions));
        var squared = new double[total * (total - 1) / 2];
        var d = 0;
        for (var i = 0; i < total; i++)
        {
            var x = Row(pooled, i, dimensions);
            for (var j = i + 1; j < total; j++) squared[d++] = Math.Max(0, norms[i] + norms[j] - 2 * Dot(x, Row(pooled, j, dimensions)));
        }
        var distances = new double[squared.Length];
        for (var k = 0; k < squared.Length; k++) distances[k] = Math.Sqrt(squared[k]);
        var sigma = Median(distances);
        // Evidently falls back to 1 when every distance is 0 (all vectors equal): any σ gives MMD² = 0 then.
        if (sigma == 0) sigma = 1;
        var gamma = 1 / (sigma * sigma);

        // The kernel matrix in single precision (half the memory traffic of the permutations), zero on the diagonal, which
        // the unbiased estimator leaves out.
        var kernel = new float[total * total];
        var rowSums = new double[total];
        d = 0;
        for (var i = 0; i < total; i++)
        {
            for (var j = i + 1; j < total; j++)
            {
                var value = (float)Math.Exp(-gamma * squared[d++]);
                kernel[i * total + j] = value;
                kernel[j * total + i] = value;
            }
        }
        var offDiagonal = 0.0;
        for (var i = 0; i < total; i++)
        {
            foreach (var value in kernel.AsSpan(i * total, total)) rowSums[i] += value;
            offDiagonal += rowSums[i];
        }

        var statistic = new PermutedMmd(kernel, rowSums, offDiagonal, total, n);
        var labels = new int[total];
        for (var i = 0; i < total; i++) labels[i] = i;
        var observed = statistic.Of(labels);
        // A permutation reproducing the observed split sums in another order; it must still count as "at least as large".
        var tolerance = 1e-9 * (1 + Math.Abs(observed));
        var random = new Random(seed);
        var atLeast = 0;
        for (var p = 0; p < permutations; p++)
        {
            random.Shuffle(labels);
            if (statistic.Of(labels) >= observed - tolerance) atLeast++;
        }
        return new MmdResult(observed, (1.0 + atLeast) / (1.0 + permutations), sigma, permutations);
    }

    /// <summary>Unbiased MMD² for a labelling: the first n of the order are the reference. With a the reference's 0/1
    /// indicator, S_XX = Σ_{i∈X} K_i·a (n rows times a vector: SIMD, sequential memory), S_XY = Σ_{i∈X} rowsum_i − S_XX
    /// and S_YY = total − S_XX − 2 S_XY, so a permutation costs n·(n + m) multiply-adds.</summary>
    sealed class PermutedMmd(float[] kernel, double[] rowSums, double offDiagonal, int total, int n)
    {
        readonly float[] indicator = new float[total];

        public double Of(int[] order)
        {
            Array.Clear(indicator);
            var reference = order.AsSpan(0, n);
            foreach (var i in reference) indicator[i] = 1;
            double sumX = 0, rowsX = 0;
            foreach (var i in reference)
            {
                sumX += DotFloat(kernel.AsSpan(i * total, total), indicator);
                rowsX += rowSums[i];
            }
            var sumXY = rowsX - sumX;
            var sumY = offDiagonal - sumX - 2 * sumXY;
            var m = total - n;
            return sumX / ((double)n * (n - 1)) + sumY / ((double)m * (m - 1)) - 2 * sumXY / ((double)n * m);
        }
    }

    static double DotFloat(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var i = 0;
        var sum = 0f;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var acc = Vector<float>.Zero;
            for (var k = 0; k < va.Length; k++) acc += va[k] * vb[k];
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0.0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var acc = Vector<float>.Zero;
            for (var k = 0; k < va.Length; k++) acc += va[k] * vb[k];
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    static double[] Centroid(IReadOnlyList<ReadOnlyMemory<float>> vectors, int dimensions)
    {
        var centroid = new double[dimensions];
        foreach (var vector in vectors)
        {
            var span = vector.Span;
            for (var i = 0; i < dimensions; i++) centroid[i] += span[i];
        }
        for (var i = 0; i < dimensions; i++) centroid[i] /= vectors.Count;
        return centroid;
    }

    static ReadOnlySpan<float> Row(float[] matrix, int row, int width) => matrix.AsSpan(row * width, width);

    /// <summary>numpy's median — the middle value, or the mean of the two middle values — by selection rather than a full
    /// sort (the pooled distances of two windows of 500 are half a million values). Reorders <paramref name="values"/>.</summary>
    internal static double Median(double[] values)
    {
        var middle = values.Length / 2;
        var upper = Select(values, middle);
        if (values.Length % 2 == 1) return upper;
        // Everything before the middle is now at most the middle value: the lower middle is their largest.
        var lower = double.MinValue;
        for (var i = 0; i < middle; i++) lower = Math.Max(lower, values[i]);
        return (lower + upper) / 2;
    }

    /// <summary>The k-th smallest value (0-based), by Hoare's selection with the middle element as pivot; leaves smaller-or-equal
    /// values before index k and larger-or-equal after.</summary>
    static double Select(double[] values, int k)
    {
        int left = 0, right = values.Length - 1;
        while (left < right)
        {
            var pivot = values[left + (right - left) / 2];
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else return values[k];
        }
        return values[k];
    }

    static int CheckVectors(IReadOnlyList<ReadOnlyMemory<float>> reference, IReadOnlyList<ReadOnlyMemory<float>> current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        if (reference.Count == 0 || current.Count == 0) throw new ArgumentException("each window needs at least one vector.");
        var dimensions = reference[0].Length;
        if (dimensions == 0) throw new ArgumentException("vectors have no dimensions.");
        if (reference.Concat(current).Any(v => v.Length != dimensions))
            throw new ArgumentException($"vectors of different lengths (expected {dimensions} dimensions).");
        return dimensions;
    }
}
