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
    /// matrix is computed once; a permutation only reassigns indices: O(n² + m²) additions each.</remarks>
    public static MmdResult MmdTest(IReadOnlyList<ReadOnlyMemory<float>> reference, IReadOnlyList<ReadOnlyMemory<float>> current, int permutations, int seed)
    {
        var dimensions = CheckVectors(reference, current);
        ArgumentOutOfRangeException.ThrowIfLessThan(permutations, 1);
        var n = reference.Count;
        var m = current.Count;
        if (n < 2 || m < 2) throw new ArgumentException("MMD needs at least two vectors in each window.");
        var total = n + m;
        var pooled = new ReadOnlyMemory<float>[total];
        for (var i = 0; i < n; i++) pooled[i] = reference[i];
        for (var j = 0; j < m; j++) pooled[n + j] = current[j];

        // Squared distances through the norms: ‖x − y‖² = ‖x‖² + ‖y‖² − 2 x·y.
        var norms = new double[total];
        for (var i = 0; i < total; i++) norms[i] = Dot(pooled[i].Span, pooled[i].Span);
        var kernel = new double[total * total];
        var distances = new double[total * (total - 1) / 2];
        var d = 0;
        for (var i = 0; i < total; i++)
        {
            var x = pooled[i].Span;
            for (var j = i + 1; j < total; j++)
            {
                var squared = Math.Max(0, norms[i] + norms[j] - 2 * Dot(x, pooled[j].Span));
                kernel[i * total + j] = squared;
                distances[d++] = Math.Sqrt(squared);
            }
        }
        var sigma = Median(distances);
        // Evidently falls back to 1 when every distance is 0 (all vectors equal): any σ gives MMD² = 0 then.
        if (sigma == 0) sigma = 1;
        var gamma = 1 / (sigma * sigma);
        for (var i = 0; i < total; i++)
        {
            for (var j = i + 1; j < total; j++)
            {
                var value = Math.Exp(-gamma * kernel[i * total + j]);
                kernel[i * total + j] = value;
                kernel[j * total + i] = value;
            }
            // The unbiased estimator leaves the diagonal out.
            kernel[i * total + i] = 0;
        }
        var offDiagonal = 0.0;
        foreach (var value in kernel) offDiagonal += value;

        var labels = new int[total];
        for (var i = 0; i < total; i++) labels[i] = i;
        var observed = Mmd2(kernel, total, labels, n, offDiagonal);
        var random = new Random(seed);
        var atLeast = 0;
        for (var p = 0; p < permutations; p++)
        {
            random.Shuffle(labels);
            // A small tolerance so a permutation that reproduces the observed split counts despite rounding.
            if (Mmd2(kernel, total, labels, n, offDiagonal) >= observed - 1e-12) atLeast++;
        }
        return new MmdResult(observed, (1.0 + atLeast) / (1.0 + permutations), sigma, permutations);
    }

    /// <summary>Unbiased MMD² with the first <paramref name="n"/> of <paramref name="order"/> as the reference: the sums over
    /// reference pairs and current pairs are read from the kernel; the cross sum is what is left of the whole.</summary>
    static double Mmd2(double[] kernel, int total, int[] order, int n, double offDiagonal)
    {
        var m = total - n;
        var sumX = BlockSum(kernel, total, order.AsSpan(0, n));
        var sumY = BlockSum(kernel, total, order.AsSpan(n));
        var sumXY = (offDiagonal - sumX - sumY) / 2;
        return sumX / ((double)n * (n - 1)) + sumY / ((double)m * (m - 1)) - 2 * sumXY / ((double)n * m);
    }

    static double BlockSum(double[] kernel, int total, ReadOnlySpan<int> indices)
    {
        var sum = 0.0;
        foreach (var i in indices)
        {
            var row = kernel.AsSpan(i * total, total);
            foreach (var j in indices) sum += row[j];
        }
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

    /// <summary>numpy's median: the middle value, or the mean of the two middle values.</summary>
    static double Median(double[] values)
    {
        Array.Sort(values);
        var middle = values.Length / 2;
        return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
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
