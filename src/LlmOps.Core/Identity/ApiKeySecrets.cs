using System.Security.Cryptography;
using System.Text;

namespace LlmOps.Identity;

/// <summary>Makes, parses and hashes API key secrets of the form <c>llmops_&lt;id&gt;_&lt;secret&gt;</c>.</summary>
public static class ApiKeySecrets
{
    public const string Prefix = "llmops_";

    /// <summary>PBKDF2-SHA256 iterations: slow enough to resist offline guessing, cached after the first check.</summary>
    public const int Iterations = 100_000;

    const string IdAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>A new random key id and full plaintext key.</summary>
    public static (string Id, string Plaintext) Generate()
    {
        var id = RandomNumberGenerator.GetString(IdAlphabet, 12);
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{Prefix}{id}_{secret}");
    }

    /// <summary>Splits a plaintext key into its id and secret, or returns false when it is not of our form.</summary>
    public static bool TryParse(string? plaintext, out string id, out string secret)
    {
        id = secret = "";
        if (plaintext is null || !plaintext.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = plaintext.AsSpan(Prefix.Length);
        var underscore = rest.IndexOf('_');
        if (underscore <= 0 || underscore == rest.Length - 1) return false;
        id = rest[..underscore].ToString();
        secret = rest[(underscore + 1)..].ToString();
        return true;
    }

    /// <summary>Hashes a plaintext key with a new random salt.</summary>
    public static ApiKeyHash Hash(string plaintext)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return new ApiKeyHash(Convert.ToHexString(salt), Derive(plaintext, salt, Iterations), Iterations);
    }

    /// <summary>True when the plaintext matches the stored hash (constant-time comparison).</summary>
    public static bool Verify(string plaintext, ApiKeyHash stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var actual = Convert.FromHexString(Derive(plaintext, Convert.FromHexString(stored.Salt), stored.Iterations));
        return CryptographicOperations.FixedTimeEquals(actual, Convert.FromHexString(stored.Hash));
    }

    static string Derive(string plaintext, byte[] salt, int iterations) =>
        Convert.ToHexString(Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(plaintext), salt, iterations, HashAlgorithmName.SHA256, 32));

    static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
