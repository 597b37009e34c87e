using System.Globalization;

namespace LlmOps.Registry;

/// <summary>Parses model references: <c>name/3</c> (a version) or <c>name@prod</c> (an alias).</summary>
public static class ModelReference
{
    public static (string Name, int? Version, string? Alias) Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var at = reference.LastIndexOf('@');
        if (at > 0)
        {
            var alias = reference[(at + 1)..];
            if (!Environments.All.Contains(alias))
                throw new InvalidInputException("reference", $"'{reference}': unknown alias '{alias}'; use one of {string.Join(", ", Environments.All)}.");
            return (reference[..at], null, alias);
        }
        var slash = reference.LastIndexOf('/');
        if (slash > 0 && int.TryParse(reference[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0)
            return (reference[..slash], version, null);
        throw new InvalidInputException("reference", $"'{reference}' is not a model reference; use name/VERSION or name@ENVIRONMENT.");
    }
}
