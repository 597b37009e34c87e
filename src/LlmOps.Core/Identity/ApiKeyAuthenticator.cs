using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LlmOps.Storage;

namespace LlmOps.Identity;

/// <summary>Turns a presented key into an <see cref="Actor"/>. The slow hash is checked once per key and process;
/// revocation is read from the store on every call, so it takes effect at once.</summary>
public sealed class ApiKeyAuthenticator(IStore store)
{
    // SHA-256 of plaintexts already verified against the slow hash, mapped to their key id.
    readonly ConcurrentDictionary<string, string> verified = new(StringComparer.Ordinal);

    /// <summary>The key's principal, or null when the key is unknown, wrong or revoked.</summary>
    public async Task<Actor?> AuthenticateAsync(string? plaintext, CancellationToken cancellationToken = default)
    {
        if (!ApiKeySecrets.TryParse(plaintext, out var id, out _)) return null;
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var found = await session.Keys.GetAsync(id, cancellationToken);
        if (found is not { } row || row.Key.IsRevoked) return null;
        var fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext!)));
        if (verified.TryGetValue(fingerprint, out var known) && known == id) return row.Key.ToActor();
        if (!ApiKeySecrets.Verify(plaintext!, row.Hash)) return null;
        verified[fingerprint] = id;
        return row.Key.ToActor();
    }
}
