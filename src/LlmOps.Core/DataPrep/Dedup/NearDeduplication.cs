using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace LlmOps.DataPrep.Dedup;

/// <summary>Settings of the <c>dedupe_near</c> step.</summary>
public sealed class NearDeduplicationOptions
{
    /// <summary>Records whose estimated Jaccard similarity to a kept record reaches this are dropped.</summary>
    public double Threshold { get; init; } = 0.8;

    /// <summary>Words per shingle.</summary>
    public int ShingleWords { get; init; } = 5;

    public int Permutations { get; init; } = 128;

    /// <summary>LSH bands; <see cref="Permutations"/> must be a multiple. 32 bands of 4 rows find pairs at 0.8 with probability above 0.999.</summary>
    public int Bands { get; init; } = 32;
}

/// <summary>The <c>dedupe_near</c> step: MinHash over word shingles with LSH banding; candidates are verified against the threshold.</summary>
/// <remarks>Memory grows with the number of kept records: the signature (4 bytes per permutation) and one index entry per band.</remarks>
public sealed class NearDeduplication : IOrderedRecordStep
{
    public const string StepName = "dedupe_near";

    private readonly NearDeduplicationOptions _options;
    private readonly MinHash _minHash;
    private readonly int _rows;
    private readonly List<uint[]> _signatures = [];
    private readonly Dictionary<ulong, int> _bucketHeads = [];
    private readonly List<(int Document, int Next)> _entries = [];

    public NearDeduplication(NearDeduplicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Bands < 1 || options.Permutations % options.Bands != 0)
            throw new ArgumentException($"permutations ({options.Permutations}) must be a multiple of bands ({options.Bands})", nameof(options));
        _options = options;
        _minHash = new MinHash(options.Permutations, options.ShingleWords);
        _rows = options.Permutations / options.Bands;
    }

    public string Name => StepName;

    public object Fingerprint(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _minHash.Compute(record.ContentText());
    }

    public StepOutcome Admit(DataRecord record, object fingerprint)
    {
        var signature = (uint[])fingerprint;
        if (signature.Length == 0)
            return StepOutcome.Keep(record);
        Span<ulong> keys = stackalloc ulong[_options.Bands];
        for (var band = 0; band < keys.Length; band++)
        {
            var rows = MemoryMarshal.AsBytes(signature.AsSpan(band * _rows, _rows));
            keys[band] = XxHash64.HashToUInt64(rows, band);
            if (!_bucketHeads.TryGetValue(keys[band], out var entry))
                continue;
            for (; entry >= 0; entry = _entries[entry].Next)
            {
                var other = _signatures[_entries[entry].Document];
                if (MinHash.EstimateJaccard(signature, other) >= _options.Threshold)
                    return StepOutcome.Drop("near_duplicate");
            }
        }
        var document = _signatures.Count;
        _signatures.Add(signature);
        foreach (var key in keys)
        {
            var head = _bucketHeads.TryGetValue(key, out var h) ? h : -1;
            _entries.Add((document, head));
            _bucketHeads[key] = _entries.Count - 1;
        }
        return StepOutcome.Keep(record);
    }
}
