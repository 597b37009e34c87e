using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LlmOps.Audit;

/// <summary>The hash chain of the audit log: each entry's hash covers its fields and the previous entry's hash.</summary>
public static class AuditChain
{
    /// <summary>The previous-hash of the first entry.</summary>
    public static string Genesis { get; } = new('0', 64);

    /// <summary>SHA-256 over a length-prefixed encoding of the fields, so no two field lists hash alike.</summary>
    public static string ComputeHash(long sequence, DateTimeOffset at, string actorId, string action, string entityType, string entityId, string? before, string? after, string previousHash)
    {
        var builder = new StringBuilder();
        Append(builder, sequence.ToString(CultureInfo.InvariantCulture));
        Append(builder, at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Append(builder, actorId);
        Append(builder, action);
        Append(builder, entityType);
        Append(builder, entityId);
        Append(builder, before);
        Append(builder, after);
        Append(builder, previousHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    /// <summary>Walks entries in sequence order and reports the first one that is missing, reordered or altered.</summary>
    public static async Task<AuditVerification> VerifyAsync(IAsyncEnumerable<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var expectedPrevious = Genesis;
        long expectedSequence = 1, count = 0;
        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            count++;
            if (entry.Sequence != expectedSequence)
                return new(false, count, entry.Sequence, $"entry {expectedSequence} is missing (found {entry.Sequence} next)");
            if (entry.PreviousHash != expectedPrevious)
                return new(false, count, entry.Sequence, $"entry {entry.Sequence} does not link to entry {entry.Sequence - 1}: previous hash differs");
            var hash = ComputeHash(entry.Sequence, entry.At, entry.ActorId, entry.Action, entry.EntityType, entry.EntityId, entry.Before, entry.After, entry.PreviousHash);
            if (hash != entry.Hash)
                return new(false, count, entry.Sequence, $"entry {entry.Sequence} was altered: its content no longer matches its hash");
            expectedPrevious = entry.Hash;
            expectedSequence++;
        }
        return new(true, count, null, null);
    }

    static void Append(StringBuilder builder, string? value)
    {
        if (value is null)
        {
            builder.Append("-1:");
            return;
        }
        builder.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
    }
}
