using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmOps.Evaluation.Assertions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LlmOps.Evaluation;

/// <summary>Reads a suite from YAML (promptfoo's keys) with tests inline or from CSV/JSONL files, and checks everything a run
/// would trip over — unknown assertion types, missing variables, bad regexes and schemas — before any model is called.</summary>
public static class EvalSuiteLoader
{
    static readonly HashSet<string> TopKeys = ["name", "description", "providers", "prompts", "tests", "defaultTest", "repeat", "options", "threshold", "gate", "judge", "evaluateOptions"];
    static readonly HashSet<string> TestKeys = ["description", "vars", "assert", "threshold", "metadata"];
    static readonly HashSet<string> AssertKeys = ["type", "value", "threshold", "weight", "metric", "provider"];

    /// <summary>Loads and checks the suite at <paramref name="path"/>; throws <see cref="EvalSuiteException"/> listing every problem.</summary>
    public static EvalSuite Load(string path, AssertionTypes types)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InvalidInputException("--suite", $"'{path}' does not exist.");
        var yaml = File.ReadAllText(path);
        return Parse(yaml, Path.GetFileName(path), Path.GetDirectoryName(Path.GetFullPath(path))!, types);
    }

    /// <summary>Parses and checks suite text; files it names are resolved against <paramref name="baseDirectory"/>.</summary>
    public static EvalSuite Parse(string yaml, string fileName, string baseDirectory, AssertionTypes types)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(types);
        var reader = new Reader(fileName, baseDirectory, types);
        var suite = reader.Read(yaml);
        if (reader.Errors.Count > 0 || suite is null) throw new EvalSuiteException(reader.Errors);
        return suite;
    }

    sealed class Reader(string fileName, string baseDirectory, AssertionTypes types)
    {
        public List<SuiteError> Errors { get; } = [];

        void Error(YamlNode? node, string? test, string field, string message) =>
            Errors.Add(new SuiteError($"{fileName}:{Line(node)}", test, field, message));

        static int Line(YamlNode? node) => node is null ? 1 : (int)node.Start.Line;

        public EvalSuite? Read(string yaml)
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(yaml));
            }
            catch (YamlException exception)
            {
                Errors.Add(new SuiteError($"{fileName}:{exception.Start.Line}", null, "yaml", exception.InnerException?.Message ?? exception.Message));
                return null;
            }
            catch (InvalidOperationException exception)
            {
                // YamlDotNet reports some structural faults (e.g. a duplicate key) without a position.
                Errors.Add(new SuiteError(fileName, null, "yaml", exception.Message));
                return null;
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                Error(null, null, "suite", "expected a mapping with providers, prompts and tests.");
                return null;
            }
            var map = Map(root);
            foreach (var (key, node) in map)
                if (!TopKeys.Contains(key)) Error(node, null, key, $"unknown key; use {string.Join(", ", TopKeys.Order(StringComparer.Ordinal))}.");

            var providers = ReadProviders(map.GetValueOrDefault("providers"), root);
            var prompts = ReadPrompts(map.GetValueOrDefault("prompts"), root);
            var judge = map.TryGetValue("judge", out var judgeNode) ? ReadProvider(judgeNode, "judge") : null;
            var defaults = map.TryGetValue("defaultTest", out var defaultNode) ? ReadTest(defaultNode, -1, "defaultTest", fileName, null) : null;
            var tests = ReadTests(map.GetValueOrDefault("tests"), root, defaults);
            var repeat = 1;
            if (map.TryGetValue("repeat", out var repeatNode)) repeat = Int(repeatNode, null, "repeat", 1, 1000) ?? 1;
            if (map.TryGetValue("evaluateOptions", out var evalOptions) && evalOptions is YamlMappingNode eo && Map(eo).TryGetValue("repeat", out var r2))
                repeat = Int(r2, null, "evaluateOptions.repeat", 1, 1000) ?? 1;
            var sampling = ReadSampling(map.GetValueOrDefault("options"));
            var gate = ReadGate(map.GetValueOrDefault("gate"), map.GetValueOrDefault("threshold"));
            var name = map.TryGetValue("name", out var nameNode) ? Scalar(nameNode, null, "name") ?? "" : Path.GetFileNameWithoutExtension(fileName);
            var description = map.TryGetValue("description", out var descriptionNode) ? Scalar(descriptionNode, null, "description") : null;

            CheckCases(prompts, tests, judge);
            if (Errors.Count > 0) return null;
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml + "\n" + string.Join("\n", tests.Select(t => JsonSerializer.Serialize(t.Vars))))));
            return new EvalSuite(name, description, providers, prompts, tests, repeat, sampling, gate, judge, sha);
        }

        List<ProviderSpec> ReadProviders(YamlNode? node, YamlNode root)
        {
            var list = new List<ProviderSpec>();
            if (node is null) return list; // --provider on the command line may supply them
            if (node is not YamlSequenceNode sequence)
            {
                Error(node, null, "providers", "expected a list.");
                return list;
            }
            foreach (var item in sequence)
                if (ReadProvider(item, $"providers[{list.Count}]") is { } provider) list.Add(provider);
            var duplicate = list.GroupBy(p => p.DisplayName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) Error(root, null, "providers", $"'{duplicate.Key}' is listed twice; give one a label.");
            return list;
        }

        ProviderSpec? ReadProvider(YamlNode node, string field)
        {
            if (node is YamlScalarNode scalar) return new ProviderSpec(scalar.Value ?? "", null, new Dictionary<string, string>(), Line(node));
            if (node is not YamlMappingNode mapping)
            {
                Error(node, null, field, "expected a provider id or a mapping with id, label, config.");
                return null;
            }
            var map = Map(mapping);
            var id = map.TryGetValue("id", out var idNode) ? Scalar(idNode, null, $"{field}.id") : null;
            if (string.IsNullOrEmpty(id))
            {
                Error(node, null, $"{field}.id", "is required.");
                return null;
            }
            var label = map.TryGetValue("label", out var labelNode) ? Scalar(labelNode, null, $"{field}.label") : null;
            var config = new Dictionary<string, string>(StringComparer.Ordinal);
            if (map.TryGetValue("config", out var configNode))
            {
                if (configNode is YamlMappingNode configMap)
                    foreach (var (key, value) in Map(configMap)) config[key] = ToText(value);
                else Error(configNode, null, $"{field}.config", "expected a mapping.");
            }
            return new ProviderSpec(id, label, config, Line(node));
        }

        List<PromptSpec> ReadPrompts(YamlNode? node, YamlNode root)
        {
            var list = new List<PromptSpec>();
            if (node is not YamlSequenceNode sequence)
            {
                Error(node ?? root, null, "prompts", "a list of prompts is required.");
                return list;
            }
            foreach (var item in sequence)
            {
                var field = $"prompts[{list.Count}]";
                string? id = null, text = null;
                if (item is YamlScalarNode scalar) text = scalar.Value;
                else if (item is YamlMappingNode mapping)
                {
                    var map = Map(mapping);
                    id = map.TryGetValue("id", out var idNode) ? Scalar(idNode, null, $"{field}.id") : null;
                    id ??= map.TryGetValue("label", out var labelNode) ? Scalar(labelNode, null, $"{field}.label") : null;
                    text = map.TryGetValue("raw", out var rawNode) ? Scalar(rawNode, null, $"{field}.raw") : null;
                }
                if (string.IsNullOrEmpty(text))
                {
                    Error(item, null, field, "expected a prompt string (or file://PATH, or a mapping with id and raw).");
                    continue;
                }
                if (text.StartsWith("file://", StringComparison.Ordinal))
                {
                    var path = Resolve(text);
                    if (!File.Exists(path))
                    {
                        Error(item, null, field, $"'{text}' does not exist.");
                        continue;
                    }
                    id ??= text;
                    text = File.ReadAllText(path);
                }
                list.Add(new PromptSpec(id ?? $"prompt-{list.Count + 1}", text, Line(item)));
            }
            if (list.Count == 0 && Errors.Count == 0) Error(node, null, "prompts", "at least one prompt is required.");
            return list;
        }

        List<TestSpec> ReadTests(YamlNode? node, YamlNode root, TestSpec? defaults)
        {
            var tests = new List<TestSpec>();
            IEnumerable<YamlNode> items = node switch
            {
                YamlSequenceNode sequence => sequence,
                YamlScalarNode scalar => [scalar],
                _ => [],
            };
            if (node is null or YamlMappingNode) Error(node ?? root, null, "tests", "a list of tests (or file://PATH.csv|jsonl) is required.");
            foreach (var item in items)
            {
                if (item is YamlScalarNode { Value: { } reference } && reference.StartsWith("file://", StringComparison.Ordinal))
                {
                    foreach (var test in ReadTestFile(item, reference)) tests.Add(Merge(test with { Index = tests.Count }, defaults));
                }
                else if (ReadTest(item, tests.Count, null, fileName, null) is { } test) tests.Add(Merge(test, defaults));
            }
            if (tests.Count == 0 && Errors.Count == 0) Error(node, null, "tests", "at least one test is required.");
            return tests;
        }

        static TestSpec Merge(TestSpec test, TestSpec? defaults)
        {
            if (defaults is null) return test;
            var vars = new Dictionary<string, string>(defaults.Vars, StringComparer.Ordinal);
            foreach (var (key, value) in test.Vars) vars[key] = value;
            return test with { Vars = vars, Asserts = [.. defaults.Asserts, .. test.Asserts], Threshold = test.Threshold ?? defaults.Threshold };
        }

        TestSpec? ReadTest(YamlNode node, int index, string? fixedName, string source, string? _)
        {
            var fieldPrefix = fixedName ?? $"tests[{index}]";
            if (node is not YamlMappingNode mapping)
            {
                Error(node, null, fieldPrefix, "expected a mapping with vars and assert.");
                return null;
            }
            var map = Map(mapping);
            var name = map.TryGetValue("description", out var d) ? Scalar(d, null, $"{fieldPrefix}.description") : null;
            name ??= fixedName ?? $"test {index + 1}";
            foreach (var (key, value) in map)
                if (!TestKeys.Contains(key)) Error(value, name, key, $"unknown key; use {string.Join(", ", TestKeys)}.");
            var vars = new Dictionary<string, string>(StringComparer.Ordinal);
            if (map.TryGetValue("vars", out var varsNode))
            {
                if (varsNode is YamlMappingNode varsMap)
                    foreach (var (key, value) in Map(varsMap)) vars[key] = ReadVar(value);
                else Error(varsNode, name, "vars", "expected a mapping of names to values.");
            }
            var asserts = new List<AssertionSpec>();
            if (map.TryGetValue("assert", out var assertNode))
            {
                if (assertNode is YamlSequenceNode assertList)
                {
                    var i = 0;
                    foreach (var item in assertList)
                    {
                        if (ReadAssertion(item, name, $"assert[{i}]") is { } assertion) asserts.Add(assertion);
                        i++;
                    }
                }
                else Error(assertNode, name, "assert", "expected a list of assertions.");
            }
            double? threshold = map.TryGetValue("threshold", out var thresholdNode) ? Number(thresholdNode, name, "threshold") : null;
            return new TestSpec(index, name, vars, asserts, threshold, source, Line(node));
        }

        string ReadVar(YamlNode value)
        {
            if (value is YamlScalarNode { Value: { } text } && text.StartsWith("file://", StringComparison.Ordinal))
            {
                var path = Resolve(text);
                if (File.Exists(path)) return File.ReadAllText(path);
                Error(value, null, "vars", $"'{text}' does not exist.");
                return "";
            }
            return ToText(value);
        }

        AssertionSpec? ReadAssertion(YamlNode node, string test, string field)
        {
            if (node is not YamlMappingNode mapping)
            {
                Error(node, test, field, "expected a mapping with type and value.");
                return null;
            }
            var map = Map(mapping);
            foreach (var (key, entry) in map)
                if (!AssertKeys.Contains(key)) Error(entry, test, $"{field}.{key}", $"unknown key; use {string.Join(", ", AssertKeys)}.");
            var type = map.TryGetValue("type", out var typeNode) ? Scalar(typeNode, test, $"{field}.type") : null;
            if (string.IsNullOrEmpty(type))
            {
                Error(node, test, $"{field}.type", "is required.");
                return null;
            }
            var negated = type.StartsWith("not-", StringComparison.Ordinal);
            var value = map.TryGetValue("value", out var valueNode) ? ToJson(valueNode) : null;
            double? threshold = map.TryGetValue("threshold", out var t) ? Number(t, test, $"{field}.threshold") : null;
            var weight = map.TryGetValue("weight", out var w) ? Number(w, test, $"{field}.weight") ?? 1 : 1;
            var metric = map.TryGetValue("metric", out var m) ? Scalar(m, test, $"{field}.metric") : null;
            var provider = map.TryGetValue("provider", out var p) ? Scalar(p, test, $"{field}.provider") : null;
            return new AssertionSpec(negated ? type[4..] : type, negated, value, threshold, weight, metric, provider, Line(node));
        }

        IEnumerable<TestSpec> ReadTestFile(YamlNode node, string reference)
        {
            var path = Resolve(reference);
            if (!File.Exists(path))
            {
                Error(node, null, "tests", $"'{reference}' does not exist.");
                return [];
            }
            var source = Path.GetFileName(path);
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".csv" => ReadCsvTests(path, source),
                ".jsonl" => ReadJsonlTests(path, source),
                _ => Fail(),
            };

            IEnumerable<TestSpec> Fail()
            {
                Error(node, null, "tests", $"'{reference}': tests are read from .csv or .jsonl files.");
                return [];
            }
        }

        List<TestSpec> ReadCsvTests(string path, string source)
        {
            var rows = Csv.Read(File.ReadAllText(path));
            var tests = new List<TestSpec>();
            if (rows.Count == 0) return tests;
            var header = rows[0].Fields;
            foreach (var row in rows.Skip(1))
            {
                var vars = new Dictionary<string, string>(StringComparer.Ordinal);
                var asserts = new List<AssertionSpec>();
                string? name = null;
                for (var c = 0; c < header.Count; c++)
                {
                    var cell = c < row.Fields.Count ? row.Fields[c] : "";
                    if (header[c] == "__description") name = cell;
                    else if (header[c].StartsWith("__expected", StringComparison.Ordinal))
                    {
                        if (cell.Length > 0) asserts.Add(Expected(cell, row.Line));
                    }
                    else vars[header[c]] = cell;
                }
                tests.Add(new TestSpec(tests.Count, name ?? $"{source} row {tests.Count + 1}", vars, asserts, null, source, row.Line));
            }
            return tests;
        }

        /// <summary>promptfoo's <c>__expected</c> cell: <c>TYPE: VALUE</c> for a known type, else the expected output (equals).</summary>
        AssertionSpec Expected(string cell, int line)
        {
            var colon = cell.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var type = cell[..colon].Trim();
                var negated = type.StartsWith("not-", StringComparison.Ordinal);
                var bare = negated ? type[4..] : type;
                if (types.Contains(bare))
                {
                    var rest = cell[(colon + 1)..].TrimStart();
                    return new AssertionSpec(bare, negated, rest.Length == 0 ? null : JsonValue.Create(rest), null, 1, null, null, line);
                }
            }
            return new AssertionSpec("equals", false, JsonValue.Create(cell), null, 1, null, null, line);
        }

        List<TestSpec> ReadJsonlTests(string path, string source)
        {
            var tests = new List<TestSpec>();
            var lineNumber = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var location = $"{source}:{lineNumber}";
                JsonObject? obj;
                try { obj = JsonNode.Parse(line) as JsonObject; }
                catch (JsonException exception)
                {
                    Errors.Add(new SuiteError(location, null, "json", exception.Message));
                    continue;
                }
                if (obj is null)
                {
                    Errors.Add(new SuiteError(location, null, "json", "expected an object per line."));
                    continue;
                }
                var name = obj["description"]?.ToString() ?? $"{source} line {lineNumber}";
                var varsObject = obj["vars"] as JsonObject ?? (obj.ContainsKey("vars") ? null : obj);
                var vars = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (key, value) in varsObject ?? [])
                    vars[key] = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "";
                var asserts = new List<AssertionSpec>();
                if (obj["assert"] is JsonArray list)
                {
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is not JsonObject a || a["type"]?.ToString() is not { Length: > 0 } type)
                        {
                            Errors.Add(new SuiteError(location, name, $"assert[{i}].type", "is required."));
                            continue;
                        }
                        var negated = type.StartsWith("not-", StringComparison.Ordinal);
                        asserts.Add(new AssertionSpec(negated ? type[4..] : type, negated, a["value"]?.DeepClone(), Double(a["threshold"]), Double(a["weight"]) ?? 1,
                            a["metric"]?.ToString(), a["provider"]?.ToString(), lineNumber));
                    }
                }
                tests.Add(new TestSpec(tests.Count, name, vars, asserts, Double(obj["threshold"]), source, lineNumber));
            }
            return tests;
        }

        static double? Double(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

        /// <summary>Checks every (prompt, test) pair: variables present, assertions constructible (types, values, regexes, schemas).</summary>
        void CheckCases(List<PromptSpec> prompts, List<TestSpec> tests, ProviderSpec? judge)
        {
            foreach (var test in tests)
            {
                foreach (var prompt in prompts)
                {
                    var missing = PromptTemplate.Variables(prompt.Template).Where(v => !test.Vars.ContainsKey(v)).ToList();
                    if (missing.Count > 0)
                        Errors.Add(new SuiteError(test.Location, test.Name, "vars", $"prompt '{prompt.Id}' uses {string.Join(", ", missing.Select(m => "{{" + m + "}}"))} but the test has no such variable."));
                }
                for (var i = 0; i < test.Asserts.Count; i++)
                {
                    var assertion = test.Asserts[i];
                    var location = $"{test.Source}:{assertion.Line}";
                    try
                    {
                        _ = types.Create(assertion, test.Vars);
                        if (assertion.Type == "llm-rubric" && judge is null && assertion.Provider is null)
                            Errors.Add(new SuiteError(location, test.Name, $"assert[{i}].provider", "llm-rubric needs a judge: set 'judge' in the suite or 'provider' here."));
                    }
                    catch (InvalidInputException exception)
                    {
                        Errors.Add(new SuiteError(location, test.Name, $"assert[{i}].{exception.Field}", exception.Reason));
                    }
                }
                if (test.Threshold is { } t && (t < 0 || t > 1))
                    Errors.Add(new SuiteError(test.Location, test.Name, "threshold", "must be between 0 and 1."));
            }
        }

        SamplingSpec ReadSampling(YamlNode? node)
        {
            var sampling = new SamplingSpec();
            if (node is null) return sampling;
            if (node is not YamlMappingNode mapping)
            {
                Error(node, null, "options", "expected a mapping (temperature, max_tokens, seed, top_p).");
                return sampling;
            }
            foreach (var (key, value) in Map(mapping))
            {
                switch (key)
                {
                    case "temperature": sampling = sampling with { Temperature = (float)(Number(value, null, "options.temperature") ?? 0) }; break;
                    case "max_tokens": sampling = sampling with { MaxTokens = Int(value, null, "options.max_tokens", 1, 100_000) ?? 32 }; break;
                    case "seed": sampling = sampling with { Seed = (long)(Number(value, null, "options.seed") ?? 42) }; break;
                    case "top_p": sampling = sampling with { TopP = (float)(Number(value, null, "options.top_p") ?? 1) }; break;
                    default: Error(value, null, $"options.{key}", "unknown option; use temperature, max_tokens, seed, top_p."); break;
                }
            }
            return sampling;
        }

        GateSpec ReadGate(YamlNode? node, YamlNode? thresholdNode)
        {
            var gate = new GateSpec();
            if (thresholdNode is not null) gate = gate with { MinPassRate = Fraction(thresholdNode, "threshold") };
            if (node is null) return gate;
            if (node is not YamlMappingNode mapping)
            {
                Error(node, null, "gate", "expected a mapping.");
                return gate;
            }
            foreach (var (key, value) in Map(mapping))
            {
                switch (key)
                {
                    case "min_pass_rate": gate = gate with { MinPassRate = Fraction(value, "gate.min_pass_rate") }; break;
                    case "max_regression": gate = gate with { MaxRegression = Fraction(value, "gate.max_regression") ?? 0.05 }; break;
                    case "confidence": gate = gate with { Confidence = Fraction(value, "gate.confidence") ?? 0.95 }; break;
                    case "bootstrap_samples": gate = gate with { BootstrapSamples = Int(value, null, "gate.bootstrap_samples", 100, 1_000_000) ?? 2000 }; break;
                    case "seed": gate = gate with { Seed = Int(value, null, "gate.seed", 0, int.MaxValue) ?? 12345 }; break;
                    case "metrics":
                        if (value is YamlMappingNode metrics)
                            gate = gate with { MinMetrics = Map(metrics).ToDictionary(p => p.Key, p => Number(p.Value, null, $"gate.metrics.{p.Key}") ?? 0, StringComparer.Ordinal) };
                        else Error(value, null, "gate.metrics", "expected a mapping of metric names to minimum means.");
                        break;
                    default: Error(value, null, $"gate.{key}", "unknown key; use min_pass_rate, max_regression, confidence, bootstrap_samples, seed, metrics."); break;
                }
            }
            if (gate.Confidence is <= 0.5 or >= 1) Error(node, null, "gate.confidence", "must be above 0.5 and below 1.");
            return gate;
        }

        double? Fraction(YamlNode node, string field)
        {
            var value = Number(node, null, field);
            if (value is < 0 or > 1) Error(node, null, field, "must be between 0 and 1.");
            return value;
        }

        string Resolve(string reference) => Path.GetFullPath(Path.Combine(baseDirectory, reference["file://".Length..]));

        static List<(string Key, YamlNode Value)> MapList(YamlMappingNode node) =>
            node.Children.Select(p => (((YamlScalarNode)p.Key).Value ?? "", p.Value)).ToList();

        static Dictionary<string, YamlNode> Map(YamlMappingNode node)
        {
            var map = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (key, value) in MapList(node)) map[key] = value;
            return map;
        }

        string? Scalar(YamlNode node, string? test, string field)
        {
            if (node is YamlScalarNode scalar) return scalar.Value;
            Error(node, test, field, "expected a single value.");
            return null;
        }

        double? Number(YamlNode node, string? test, string field)
        {
            if (node is YamlScalarNode { Value: { } text } && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
                return value;
            Error(node, test, field, "expected a number.");
            return null;
        }

        int? Int(YamlNode node, string? test, string field, int min, int max)
        {
            if (node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
                return value;
            Error(node, test, field, $"expected a whole number from {min} to {max}.");
            return null;
        }

        /// <summary>A variable's text: scalars as written, lists and mappings as JSON.</summary>
        static string ToText(YamlNode node) => node is YamlScalarNode scalar ? scalar.Value ?? "" : ToJson(node)?.ToJsonString() ?? "";

        /// <summary>YAML as JSON: plain scalars that read as numbers, booleans or null become those; quoted scalars stay strings.</summary>
        static JsonNode? ToJson(YamlNode node)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer)) Write(writer, node);
            return JsonNode.Parse(buffer.ToArray());
        }

        static void Write(Utf8JsonWriter writer, YamlNode node)
        {
            switch (node)
            {
                case YamlMappingNode mapping:
                    writer.WriteStartObject();
                    foreach (var (key, value) in MapList(mapping))
                    {
                        writer.WritePropertyName(key);
                        Write(writer, value);
                    }
                    writer.WriteEndObject();
                    break;
                case YamlSequenceNode sequence:
                    writer.WriteStartArray();
                    foreach (var item in sequence) Write(writer, item);
                    writer.WriteEndArray();
                    break;
                case YamlScalarNode scalar:
                    var text = scalar.Value ?? "";
                    if (scalar.Style != ScalarStyle.Plain) writer.WriteStringValue(text);
                    else if (text is "true" or "false") writer.WriteBooleanValue(text == "true");
                    else if (text is "null" or "~" or "") writer.WriteNullValue();
                    else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)) writer.WriteNumberValue(number);
                    else writer.WriteStringValue(text);
                    break;
                default:
                    writer.WriteNullValue();
                    break;
            }
        }
    }
}

/// <summary>RFC 4180 CSV: quoted fields with doubled quotes and line breaks; each row with the line it starts on.</summary>
internal static class Csv
{
    public sealed record Row(IReadOnlyList<string> Fields, int Line);

    public static List<Row> Read(string text)
    {
        var rows = new List<Row>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var rowLine = 1;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"': quoted = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    if (fields.Count > 1 || fields[0].Length > 0) rows.Add(new Row(fields, rowLine));
                    fields = [];
                    line++;
                    rowLine = line;
                    break;
                default: field.Append(ch); break;
            }
        }
        fields.Add(field.ToString());
        if (fields.Count > 1 || fields[0].Length > 0) rows.Add(new Row(fields, rowLine));
        return rows;
    }
}
