using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace LlmOps.DataPrep.Recipes;

/// <summary>A YAML mapping of settings that remembers which keys were read, so unknown ones are reported with their line.</summary>
internal sealed class RecipeSection
{
    private readonly YamlMappingNode? _node;
    private readonly string _context;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public RecipeSection(YamlNode? node, string context, long line)
    {
        _context = context;
        _node = node switch
        {
            null => null,
            YamlMappingNode m => m,
            YamlScalarNode s when string.IsNullOrEmpty(s.Value) => null,
            _ => throw new RecipeException($"{context} must be a mapping of settings", Line(node, line)),
        };
    }

    public string String(string key, string fallback) => Scalar(key) is { } s ? s.Value ?? fallback : fallback;

    public bool Bool(string key, bool fallback) => Parse(key, fallback, v => bool.TryParse(v, out var b) ? b : null, "true or false");

    public int Int(string key, int fallback, int min = int.MinValue) =>
        Parse<int>(key, fallback, v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= min ? i : null, $"an integer ≥ {min}");

    public double Double(string key, double fallback, double min = double.MinValue, double max = double.MaxValue) =>
        Parse<double>(key, fallback, v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min && d <= max ? d : null, $"a number in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");

    public TEnum Enum<TEnum>(string key, TEnum fallback, IReadOnlyDictionary<string, TEnum> names)
        where TEnum : struct
    {
        var scalar = Scalar(key);
        if (scalar is null)
            return fallback;
        if (scalar.Value is { } v && names.TryGetValue(v, out var value))
            return value;
        throw new RecipeException($"{_context}: '{key}' must be one of {string.Join(", ", names.Keys)}, found '{scalar.Value}'", Line(scalar, 0));
    }

    public IReadOnlyList<(string Value, long Line)> Strings(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => [],
            YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode s && s.Value is not null
                ? (s.Value, Line(s, 0))
                : throw new RecipeException($"{_context}: '{key}' must be a list of strings", Line(c, 0))).ToArray(),
            YamlScalarNode s when s.Value is not null => [(s.Value, Line(s, 0))],
            _ => throw new RecipeException($"{_context}: '{key}' must be a list of strings", Line(node, 0)),
        };
    }

    public RecipeSection Section(string key) => new(Node(key), $"{_context}.{key}", 0);

    /// <summary>Marks a key read by hand (not through this section's accessors).</summary>
    public void MarkRead(string key) => _read.Add(key);

    public long LineOf(string key) => _node is not null && Find(key) is { } pair ? Line(pair.Key, 0) : 0;

    /// <summary>Throws for the first key that no one read.</summary>
    public void RejectUnknown()
    {
        if (_node is null)
            return;
        foreach (var (key, _) in _node.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? key.ToString();
            if (!_read.Contains(name))
                throw new RecipeException($"unknown setting '{name}' in {_context}", Line(key, 0));
        }
    }

    public static long Line(YamlNode node, long fallback) => node.Start.Line > 0 ? node.Start.Line : fallback;

    private T Parse<T>(string key, T fallback, Func<string, T?> parse, string expected)
        where T : struct
    {
        var scalar = Scalar(key);
        if (scalar is null)
            return fallback;
        return parse(scalar.Value ?? string.Empty)
            ?? throw new RecipeException($"{_context}: '{key}' must be {expected}, found '{scalar.Value}'", Line(scalar, 0));
    }

    private YamlScalarNode? Scalar(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => null,
            YamlScalarNode s => s,
            _ => throw new RecipeException($"{_context}: '{key}' must be a single value", Line(node, 0)),
        };
    }

    private YamlNode? Node(string key)
    {
        _read.Add(key);
        return Find(key)?.Value;
    }

    private KeyValuePair<YamlNode, YamlNode>? Find(string key)
    {
        if (_node is null)
            return null;
        foreach (var pair in _node.Children)
        {
            if (pair.Key is YamlScalarNode s && s.Value == key)
                return pair;
        }
        return null;
    }
}
