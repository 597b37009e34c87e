using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace LlmOps.Configuration;

/// <summary>A YAML mapping read key by key: remembers what was read so unknown keys can be reported, and every error
/// names the field path and the line (<c>pipeline.yaml line 12: steps.train.with: unknown key 'confg'</c>).</summary>
public sealed class YamlSection
{
    readonly YamlMappingNode? node;
    readonly HashSet<string> read = new(StringComparer.Ordinal);

    public YamlSection(YamlNode? node, string path, string? source)
    {
        Path = path;
        Source = source;
        this.node = node switch
        {
            null => null,
            YamlMappingNode mapping => mapping,
            YamlScalarNode { Value: null or "" } => null,
            _ => throw Error(node, $"{path} must be a mapping"),
        };
        Line = node is null ? 0 : node.Start.Line;
    }

    /// <summary>Parses a YAML document whose root is a mapping.</summary>
    public static YamlSection Parse(string yaml, string? source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException exception)
        {
            throw new InvalidInputException(source ?? "yaml", $"line {exception.Start.Line}: {exception.InnerException?.Message ?? exception.Message}");
        }
        var root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        return new YamlSection(root, "", source);
    }

    /// <summary>Dotted path of this section (<c>steps.train</c>); empty at the root.</summary>
    public string Path { get; }

    /// <summary>The file the YAML came from, for messages.</summary>
    public string? Source { get; }

    /// <summary>Line of the section (1-based; 0 when absent).</summary>
    public long Line { get; }

    public bool Has(string key) => Node(key) is not null;

    public IEnumerable<string> Keys => node?.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value!) ?? [];

    public string? String(string key)
    {
        var value = Node(key);
        return value switch
        {
            null => null,
            YamlScalarNode scalar => scalar.Value,
            _ => throw Error(value, $"{Field(key)} must be a single value"),
        };
    }

    public string RequiredString(string key) =>
        String(key) is { Length: > 0 } value ? value : throw Error(node, $"{Field(key)} is required");

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = String(key);
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        throw Error(Node(key), $"{Field(key)} must be an integer between {min} and {max}, found '{text}'");
    }

    public double Double(string key, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        var text = String(key);
        if (text is null) return fallback;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        throw Error(Node(key), $"{Field(key)} must be a number between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, found '{text}'");
    }

    public bool Bool(string key, bool fallback)
    {
        var text = String(key);
        if (text is null) return fallback;
        return text switch
        {
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => throw Error(Node(key), $"{Field(key)} must be true or false, found '{text}'"),
        };
    }

    /// <summary>A duration such as <c>30s</c>, <c>10m</c>, <c>2h</c> or <c>500ms</c>.</summary>
    public TimeSpan? Duration(string key)
    {
        var text = String(key);
        if (text is null) return null;
        return ParseDuration(text) ?? throw Error(Node(key), $"{Field(key)} must be a duration like 30s, 10m or 2h, found '{text}'");
    }

    /// <summary>A list of strings; a single value counts as a list of one.</summary>
    public IReadOnlyList<string> Strings(string key)
    {
        var value = Node(key);
        return value switch
        {
            null => [],
            YamlScalarNode { Value: { } single } => [single],
            YamlSequenceNode sequence => sequence.Children.Select(c => c is YamlScalarNode { Value: { } s } ? s : throw Error(c, $"{Field(key)} must be a list of values")).ToList(),
            _ => throw Error(value, $"{Field(key)} must be a list of values"),
        };
    }

    /// <summary>A nested mapping (empty when absent).</summary>
    public YamlSection Section(string key) => new(Node(key), Field(key), Source);

    /// <summary>The items of a sequence of mappings, or of a mapping keyed by name.</summary>
    public IReadOnlyList<YamlSection> Sections(string key)
    {
        var value = Node(key);
        return value switch
        {
            null => [],
            YamlSequenceNode sequence => sequence.Children.Select((c, i) => new YamlSection(c, $"{Field(key)}[{i}]", Source)).ToList(),
            _ => throw Error(value, $"{Field(key)} must be a list"),
        };
    }

    /// <summary>Scalar entries of a mapping as text (e.g. a step's <c>with:</c> inputs); nested values are kept as their YAML text.</summary>
    public IReadOnlyDictionary<string, string> Scalars()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null) return result;
        foreach (var (key, value) in node.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            read.Add(name);
            result[name] = value switch
            {
                YamlScalarNode scalar => scalar.Value ?? "",
                YamlSequenceNode sequence => string.Join("\n", sequence.Children.Select(c => c is YamlScalarNode { Value: { } s } ? s : throw Error(c, $"{Field(name)} must be a value or a list of values"))),
                _ => throw Error(value, $"{Field(name)} must be a value or a list of values"),
            };
        }
        return result;
    }

    /// <summary>Throws for the first key that was never read: a typo must not be ignored.</summary>
    public void RejectUnknownKeys(IEnumerable<string>? known = null)
    {
        if (node is null) return;
        var hint = known is null ? "" : $" (known: {string.Join(", ", known)})";
        foreach (var key in node.Children.Keys)
        {
            if (key is YamlScalarNode { Value: { } name } && !read.Contains(name))
                throw Error(key, $"{(Path.Length == 0 ? "" : Path + ": ")}unknown key '{name}'{hint}");
        }
    }

    /// <summary>An input error naming the source file and line.</summary>
    public InvalidInputException Error(YamlNode? at, string message)
    {
        var line = at?.Start.Line ?? Line;
        var where = Source is null ? (line > 0 ? $"line {line}" : "yaml") : (line > 0 ? $"{Source} line {line}" : Source);
        return new InvalidInputException(where, message);
    }

    /// <summary>As <see cref="Error(YamlNode?, string)"/> at a key of this section.</summary>
    public InvalidInputException ErrorAt(string key, string message) => Error(Node(key) ?? node, message);

    string Field(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    YamlNode? Node(string key)
    {
        read.Add(key);
        if (node is null) return null;
        return node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;
    }

    /// <summary>Parses <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>; null when malformed.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], "ms") : text.Length > 1 ? (text[..^1], text[^1..]) : ("", "");
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0) return null;
        return unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };
    }
}
