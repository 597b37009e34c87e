using System.Globalization;

namespace LlmOps.Benchmarks.Serving;

/// <summary>Reads <c>--name value</c> options of a benchmark mode.</summary>
internal static class BenchArgs
{
    public static T Value<T>(string[] args, string name, T fallback) where T : IParsable<T>
    {
        var at = Array.IndexOf(args, name);
        if (at < 0) return fallback;
        if (at + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
        return T.Parse(args[at + 1], CultureInfo.InvariantCulture);
    }

    public static string Text(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        if (at < 0) return fallback;
        if (at + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
        return args[at + 1];
    }
}
