using System.Globalization;
using LlmOps.Registry;

namespace LlmOps.Cli.Commands;

/// <summary>Parsing of argument shapes shared by commands.</summary>
internal static class Arguments
{
    /// <summary><c>name/3</c> → (name, 3); aliases are not accepted where a specific version is needed.</summary>
    public static (string Name, int Version) Version(string reference, string field = "VERSION")
    {
        var (name, version, alias) = ModelReference.Parse(reference);
        if (alias is not null || version is null)
            throw new InvalidInputException(field, $"'{reference}' names an alias; give a version as name/NUMBER.");
        return (name, version.Value);
    }

    /// <summary><c>k=v</c> pairs into a dictionary; a pair without '=' is an error naming the option.</summary>
    public static Dictionary<string, string> Pairs(IEnumerable<string>? pairs, string option)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new InvalidInputException(option, $"'{pair}' is not KEY=VALUE.");
            result[pair[..equals]] = pair[(equals + 1)..];
        }
        return result;
    }

    /// <summary><c>k=1.5</c> pairs into numbers.</summary>
    public static Dictionary<string, double> Numbers(IEnumerable<string>? pairs, string option)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, text) in Pairs(pairs, option))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new InvalidInputException(option, $"'{key}={text}': '{text}' is not a number.");
            result[key] = value;
        }
        return result;
    }
}
