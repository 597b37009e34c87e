using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace LlmOps.DataPrep.Splitting;

/// <summary>Train/validation/test fractions; they must add up to 1.</summary>
public sealed class SplitOptions
{
    public double Train { get; init; } = 0.9;

    public double Validation { get; init; } = 0.05;

    public double Test { get; init; } = 0.05;

    /// <summary>Mixed into the hash so that two datasets can be split independently.</summary>
    public string Salt { get; init; } = "llmops";
}

/// <summary>Assigns each record to a split by a SHA-256 of its content: stable across runs, machines and thread counts.</summary>
public sealed class HashSplit
{
    public static readonly IReadOnlyList<string> Names = ["train", "validation", "test"];

    private readonly SplitOptions _options;
    private readonly byte[] _saltPrefix;

    public HashSplit(SplitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Train < 0 || options.Validation < 0 || options.Test < 0 || Math.Abs(options.Train + options.Validation + options.Test - 1) > 1e-9)
            throw new ArgumentException("split fractions must be non-negative and add up to 1", nameof(options));
        _options = options;
        _saltPrefix = Encoding.UTF8.GetBytes(options.Salt + "\0");
    }

    /// <summary>0 = train, 1 = validation, 2 = test.</summary>
    public int Assign(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var point = UnitInterval(record.ContentText());
        if (point < _options.Train)
            return 0;
        return point < _options.Train + _options.Validation ? 1 : 2;
    }

    /// <summary>A number in [0, 1) from the first 53 bits of SHA-256(salt + NUL + text).</summary>
    public double UnitInterval(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The bytes hashed are UTF-8(salt) + 0x00 + UTF-8(text), built in a pooled buffer.
        var prefix = _saltPrefix;
        var buffer = ArrayPool<byte>.Shared.Rent(prefix.Length + Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            prefix.CopyTo(buffer, 0);
            var length = prefix.Length + Encoding.UTF8.GetBytes(text, buffer.AsSpan(prefix.Length));
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer.AsSpan(0, length), hash);
            return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
