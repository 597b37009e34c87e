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
/// <remarks>
/// Memory grows with the number of kept records, so it is kept compact: each kept record stores the low
/// 16 bits of each MinHash value (b-bit MinHash: two unrelated values agree by chance once in 65,536, which
/// moves the similarity estimate by less than 0.0001), one 4-byte chain link per band, and one 8-byte slot
/// per band in an open-addressing table keyed by a 32-bit band hash. That comes to about 0.8 KB per kept
/// record with the defaults.
/// </remarks>
public sealed class NearDeduplication : IOrderedRecordStep
{
    public const string StepName = "dedupe_near";
    private const int ChunkRecords = 4096;

    private readonly NearDeduplicationOptions _options;
    private readonly MinHash _minHash;
    private readonly int _rows;
    private readonly int _bands;
    private readonly int _permutations;
    private readonly List<ushort[]> _signatureChunks = [];
    private readonly List<int[]> _nextChunks = [];
    private readonly BandTable _table = new();
    private int _kept;

    public NearDeduplication(NearDeduplicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Bands < 1 || options.Permutations % options.Bands != 0)
            throw new ArgumentException($"permutations ({options.Permutations}) must be a multiple of bands ({options.Bands})", nameof(options));
        _options = options;
        _minHash = new MinHash(options.Permutations, options.ShingleWords);
        _bands = options.Bands;
        _permutations = options.Permutations;
        _rows = options.Permutations / options.Bands;
    }

    public string Name => StepName;

    /// <summary>Number of records kept so far (each held in the index).</summary>
    public int KeptCount => _kept;

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
        Span<ushort> low = stackalloc ushort[_permutations];
        for (var i = 0; i < low.Length; i++)
            low[i] = (ushort)signature[i];
        Span<uint> keys = stackalloc uint[_bands];
        var needed = (int)Math.Ceiling((_options.Threshold * _permutations) - 1e-9); // agreements for the estimate to reach the threshold
        for (var band = 0; band < keys.Length; band++)
        {
            var rows = MemoryMarshal.AsBytes(signature.AsSpan(band * _rows, _rows));
            keys[band] = (uint)XxHash64.HashToUInt64(rows, band);
            for (var link = _table.Find(keys[band]); link > 0; link = Next(link - 1))
            {
                var other = Signature((link - 1) / _bands);
                if (Agreements(low, other) >= needed)
                    return StepOutcome.Drop("near_duplicate");
            }
        }

        var document = _kept++;
        if (document % ChunkRecords == 0)
        {
            _signatureChunks.Add(new ushort[ChunkRecords * _permutations]);
            _nextChunks.Add(new int[ChunkRecords * _bands]);
        }
        low.CopyTo(Signature(document));
        for (var band = 0; band < keys.Length; band++)
        {
            var entry = (document * _bands) + band;
            _nextChunks[document / ChunkRecords][entry % (ChunkRecords * _bands)] = _table.Find(keys[band]);
            _table.Set(keys[band], entry + 1);
        }
        return StepOutcome.Keep(record);
    }

    private Span<ushort> Signature(int document) =>
        _signatureChunks[document / ChunkRecords].AsSpan(document % ChunkRecords * _permutations, _permutations);

    private int Next(int entry) => _nextChunks[entry / (ChunkRecords * _bands)][entry % (ChunkRecords * _bands)];

    private static int Agreements(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y)
    {
        var equal = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] == y[i])
                equal++;
        }
        return equal;
    }

    /// <summary>Open-addressing map from a 32-bit band hash to the newest entry of its chain (stored + 1; 0 = empty).</summary>
    private sealed class BandTable
    {
        private uint[] _keys = new uint[1024];
        private int[] _heads = new int[1024];
        private int _count;

        public int Find(uint key)
        {
            var mask = _keys.Length - 1;
            for (var slot = (int)(WordHashes.Mix(key) & (uint)mask); ; slot = (slot + 1) & mask)
            {
                if (_heads[slot] == 0)
                    return 0;
                if (_keys[slot] == key)
                    return _heads[slot];
            }
        }

        public void Set(uint key, int head)
        {
            if ((_count + 1) * 4 > _keys.Length * 3)
                Grow();
            var mask = _keys.Length - 1;
            for (var slot = (int)(WordHashes.Mix(key) & (uint)mask); ; slot = (slot + 1) & mask)
            {
                if (_heads[slot] == 0)
                {
                    _keys[slot] = key;
                    _heads[slot] = head;
                    _count++;
                    return;
                }
                if (_keys[slot] == key)
                {
                    _heads[slot] = head;
                    return;
                }
            }
        }

        private void Grow()
        {
            var keys = _keys;
            var heads = _heads;
            _keys = new uint[keys.Length * 2];
            _heads = new int[heads.Length * 2];
            _count = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                if (heads[i] != 0)
                    Set(keys[i], heads[i]);
            }
        }
    }
}
