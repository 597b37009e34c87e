using System.Text.RegularExpressions;

namespace LlmOps.Artifacts;

/// <summary>Rules for artifact names (<c>model.gguf</c>, <c>checkpoints/step-100/model.bin</c>) and blob addresses.</summary>
public static partial class ArtifactNames
{
    public const int MaxLength = 512;

    /// <summary>Throws <see cref="InvalidInputException"/> unless the name is a relative path of plain segments:
    /// no <c>..</c> or <c>.</c>, no leading slash, no backslash, drive letter or control character.</summary>
    public static void Validate(string? name, string field = "name")
    {
        if (string.IsNullOrEmpty(name))
            throw new InvalidInputException(field, "an artifact name is required.");
        if (name.Length > MaxLength)
            throw new InvalidInputException(field, $"artifact name is longer than {MaxLength} characters.");
        if (name.Contains('\\') || name.Contains(':'))
            throw new InvalidInputException(field, $"artifact name '{name}' may not contain '\\' or ':'.");
        if (name.StartsWith('/'))
            throw new InvalidInputException(field, $"artifact name '{name}' must be relative (no leading '/').");
        foreach (var c in name)
        {
            if (char.IsControl(c))
                throw new InvalidInputException(field, "artifact name contains a control character.");
        }
        foreach (var segment in name.Split('/'))
        {
            if (segment is "" or "." or "..")
                throw new InvalidInputException(field, $"artifact name '{name}' has an empty, '.' or '..' segment.");
        }
    }

    /// <summary>Throws <see cref="InvalidInputException"/> unless the text is 64 lower-case hex digits.</summary>
    public static void ValidateSha256(string? sha256, string field = "sha256")
    {
        if (sha256 is null || !Sha256Pattern().IsMatch(sha256))
            throw new InvalidInputException(field, $"'{sha256}' is not a SHA-256 (64 lower-case hex digits).");
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();
}
