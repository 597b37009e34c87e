using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace LlmOps.DataPrep.Dedup;

/// <summary>The <c>dedupe_exact</c> step: keeps the first record of each SHA-256 of its (normalised) content.</summary>
/// <remarks>Keeps 16 bytes of each hash in memory: 128 bits make a collision negligible at any corpus size.</remarks>
public sealed class ExactDeduplication : IOrderedRecordStep
{
    public const string StepName = "dedupe_exact";

    private readonly HashSet<UInt128> _seen = [];

    public string Name => StepName;

    public object Fingerprint(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return ContentHash(record.ContentText());
    }

    public StepOutcome Admit(DataRecord record, object fingerprint) =>
        _seen.Add((UInt128)fingerprint) ? StepOutcome.Keep(record) : StepOutcome.Drop("exact_duplicate");

    /// <summary>The first 128 bits of SHA-256 over the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static UInt128 ContentHash(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(rented.AsSpan(0, length), hash);
            return new UInt128(
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash[8..]));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
