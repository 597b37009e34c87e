using System.Text;
using System.Text.Json;
using LlmOps.DataPrep.Cleaning;
using LlmOps.DataPrep.Decontamination;
using LlmOps.DataPrep.Dedup;
using LlmOps.DataPrep.Filters;
using LlmOps.DataPrep.Ingest;
using LlmOps.DataPrep.Pii;
using LlmOps.DataPrep.Splitting;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LlmOps.DataPrep.Recipes;

/// <summary>One step as written in the recipe: its name, YAML line and parsed settings.</summary>
public sealed record RecipeStepDefinition(string Name, long Line, object Options);

/// <summary>Settings of the <c>decontaminate</c> step as written: eval files (relative to the recipe) and n-gram size.</summary>
public sealed record DecontaminationSettings(IReadOnlyList<string> EvalFiles, DecontaminationOptions Options);

/// <summary>A parsed data preparation recipe: input mapping, ordered steps, split.</summary>
public sealed class Recipe
{
    private static readonly Dictionary<string, RecordShape> Shapes = new(StringComparer.Ordinal)
    {
        ["text"] = RecordShape.Text,
        ["prompt_completion"] = RecordShape.PromptCompletion,
        ["chat"] = RecordShape.Chat,
    };

    private static readonly Dictionary<string, TextUnit> TextUnits = new(StringComparer.Ordinal)
    {
        ["line"] = TextUnit.Line,
        ["paragraph"] = TextUnit.Paragraph,
    };

    private static readonly Dictionary<string, PiiKind> PiiKinds = Enum.GetValues<PiiKind>()
        .ToDictionary(k => PiiRedaction.KindName(k).ToLowerInvariant(), k => k, StringComparer.Ordinal);

    /// <summary>The step names a recipe may use, each parsed into its options type.</summary>
    private static readonly Dictionary<string, Func<RecipeSection, object>> StepParsers = new(StringComparer.Ordinal)
    {
        [TextCleaning.StepName] = s => new TextCleaningOptions
        {
            Nfc = s.Bool("nfc", true),
            StripControl = s.Bool("strip_control", true),
            CollapseWhitespace = s.Bool("collapse_whitespace", true),
        },
        [LengthFilter.StepName] = s => new LengthFilterOptions
        {
            MinChars = s.Int("min_chars", 0, 0),
            MaxChars = s.Int("max_chars", 0, 0),
            MinTokens = s.Int("min_tokens", 0, 0),
            MaxTokens = s.Int("max_tokens", 0, 0),
        },
        [RepetitionFilter.StepName] = s => new RepetitionFilterOptions
        {
            NGram = s.Int("ngram", 3, 1),
            MaxRatio = s.Double("max_ratio", 0.3, 0, 1),
        },
        [SymbolRatioFilter.StepName] = s => new SymbolRatioFilterOptions { MaxRatio = s.Double("max_ratio", 0.5, 0, 1) },
        [ChatTurnFilter.StepName] = _ => new object(),
        [ExactDeduplication.StepName] = _ => new object(),
        [NearDeduplication.StepName] = s =>
        {
            var options = new NearDeduplicationOptions
            {
                Threshold = s.Double("threshold", 0.8, 0, 1),
                ShingleWords = s.Int("shingle_words", 5, 1),
                Permutations = s.Int("permutations", 128, 1),
                Bands = s.Int("bands", 32, 1),
            };
            if (options.Permutations % options.Bands != 0)
                throw new RecipeException($"dedupe_near: permutations ({options.Permutations}) must be a multiple of bands ({options.Bands})", s.LineOf("bands"));
            return options;
        },
        [PiiRedaction.StepName] = s =>
        {
            var kinds = s.Strings("kinds");
            return new PiiRedactionOptions
            {
                Kinds = kinds.Count == 0
                    ? Enum.GetValues<PiiKind>().ToHashSet()
                    : kinds.Select(k => PiiKinds.TryGetValue(k.Value, out var kind)
                        ? kind
                        : throw new RecipeException($"redact_pii: unknown kind '{k.Value}' (expected {string.Join(", ", PiiKinds.Keys)})", k.Line)).ToHashSet(),
            };
        },
        [Decontamination.Decontamination.StepName] = s =>
        {
            var files = s.Strings("eval_files");
            if (files.Count == 0)
                throw new RecipeException("decontaminate: 'eval_files' must list at least one file", s.LineOf("eval_files"));
            return new DecontaminationSettings(files.Select(f => f.Value).ToArray(), new DecontaminationOptions { NGram = s.Int("ngram", 13, 1) });
        },
    };

    private Recipe(InputSettings input, IReadOnlyList<RecipeStepDefinition> steps, SplitOptions split, string canonicalJson)
    {
        Input = input;
        Steps = steps;
        Split = split;
        CanonicalJson = canonicalJson;
    }

    public InputSettings Input { get; }

    public IReadOnlyList<RecipeStepDefinition> Steps { get; }

    public SplitOptions Split { get; }

    /// <summary>The recipe as JSON with sorted keys and no comments: what the manifest records and hashes.</summary>
    public string CanonicalJson { get; }

    /// <summary>The step names a recipe may use.</summary>
    public static IReadOnlyCollection<string> KnownSteps => StepParsers.Keys;

    /// <summary>A recipe with no steps and default input and split.</summary>
    public static Recipe Empty { get; } = Parse("steps: []");

    public static Recipe Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (RecipeException ex)
        {
            throw new RecipeException($"{path}: {ex.Reason}", ex.Line);
        }
    }

    /// <summary>Parses recipe YAML; unknown steps, settings or bad values throw <see cref="RecipeException"/> with the YAML line.</summary>
    public static Recipe Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new RecipeException($"invalid YAML: {ex.Message}", ex.Start.Line);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new RecipeException("a recipe is a YAML mapping with 'input', 'steps' and 'split'", 1);

        var top = new RecipeSection(root, "recipe", 1);
        var inputSection = top.Section("input");
        var fields = inputSection.Section("fields");
        var delimiter = inputSection.String("csv_delimiter", ",");
        if (delimiter.Length != 1)
            throw new RecipeException("input: 'csv_delimiter' must be one character", inputSection.LineOf("csv_delimiter"));
        var input = new InputSettings
        {
            Shape = inputSection.Enum("shape", RecordShape.Text, Shapes),
            TextUnit = inputSection.Enum("text_unit", TextUnit.Line, TextUnits),
            CsvDelimiter = delimiter[0],
            TextField = fields.String("text", "text"),
            PromptField = fields.String("prompt", "prompt"),
            CompletionField = fields.String("completion", "completion"),
            MessagesField = fields.String("messages", "messages"),
        };
        fields.RejectUnknown();
        inputSection.RejectUnknown();

        var steps = new List<RecipeStepDefinition>();
        var stepsNode = root.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: "steps" }).Value;
        top.MarkRead("steps");
        switch (stepsNode)
        {
            case null:
                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                    steps.Add(ParseStep(item));
                break;
            default:
                throw new RecipeException("'steps' must be a list", RecipeSection.Line(stepsNode, 0));
        }

        var splitSection = top.Section("split");
        var split = new SplitOptions
        {
            Train = splitSection.Double("train", 0.9, 0, 1),
            Validation = splitSection.Double("validation", 0.05, 0, 1),
            Test = splitSection.Double("test", 0.05, 0, 1),
            Salt = splitSection.String("salt", "llmops"),
        };
        if (Math.Abs(split.Train + split.Validation + split.Test - 1) > 1e-9)
            throw new RecipeException("split: train + validation + test must add up to 1", top.LineOf("split"));
        splitSection.RejectUnknown();
        top.RejectUnknown();

        return new Recipe(input, steps, split, Canonicalize(root));
    }

    private static RecipeStepDefinition ParseStep(YamlNode item)
    {
        var line = RecipeSection.Line(item, 0);
        string name;
        YamlNode? settings;
        switch (item)
        {
            case YamlScalarNode scalar:
                name = scalar.Value ?? string.Empty;
                settings = null;
                break;
            case YamlMappingNode mapping when mapping.Children.Count == 1:
                var pair = mapping.Children.First();
                name = (pair.Key as YamlScalarNode)?.Value ?? string.Empty;
                settings = pair.Value;
                line = RecipeSection.Line(pair.Key, line);
                break;
            case YamlMappingNode mapping when mapping.Children.Count > 1 && mapping.Children.First().Key is YamlScalarNode { Value: { } first } && StepParsers.ContainsKey(first):
                // "- dedupe_near:\n  threshold: 0.8" (settings not indented under the step) parses as sibling keys.
                var stray = mapping.Children.Skip(1).First().Key;
                throw new RecipeException($"setting '{(stray as YamlScalarNode)?.Value}' is not under step '{first}': indent it below the step name", RecipeSection.Line(stray, line));
            default:
                throw new RecipeException("a step is a name, or a name with a mapping of settings (- dedupe_near: { threshold: 0.8 })", line);
        }
        if (!StepParsers.TryGetValue(name, out var parser))
            throw new RecipeException($"unknown step '{name}' (known: {string.Join(", ", StepParsers.Keys)})", line);
        var section = new RecipeSection(settings, $"step '{name}'", line);
        var options = parser(section);
        section.RejectUnknown();
        return new RecipeStepDefinition(name, line, options);
    }

    private static string Canonicalize(YamlNode root)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, root);
        return Encoding.UTF8.GetString(buffer.ToArray());

        static void Write(Utf8JsonWriter writer, YamlNode node)
        {
            switch (node)
            {
                case YamlMappingNode m:
                    writer.WriteStartObject();
                    foreach (var pair in m.Children.OrderBy(p => (p.Key as YamlScalarNode)?.Value, StringComparer.Ordinal))
                    {
                        writer.WritePropertyName((pair.Key as YamlScalarNode)?.Value ?? string.Empty);
                        Write(writer, pair.Value);
                    }
                    writer.WriteEndObject();
                    break;
                case YamlSequenceNode s:
                    writer.WriteStartArray();
                    foreach (var child in s.Children)
                        Write(writer, child);
                    writer.WriteEndArray();
                    break;
                case YamlScalarNode v:
                    if (v.Value is null || (v.Style == YamlDotNet.Core.ScalarStyle.Plain && v.Value is "" or "~" or "null"))
                        writer.WriteNullValue();
                    else
                        writer.WriteStringValue(v.Value);
                    break;
                default:
                    writer.WriteNullValue();
                    break;
            }
        }
    }
}
