using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LlmOps.DataPrep.Pii;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Evaluation.Assertions;

/// <summary>Makes the evaluator of one assertion for one test, checking its value; throws <see cref="InvalidInputException"/> naming the field.</summary>
public delegate AssertionEvaluator AssertionFactory(AssertionSpec spec, IReadOnlyDictionary<string, string> vars);

/// <summary>The assertion types a suite may use, by name: the built-in deterministic ones, <c>llm-rubric</c>, and any
/// added by the runtime (<c>similar</c>, <c>perplexity</c>) or by the user (<see cref="AddEvaluator"/>).</summary>
public sealed partial class AssertionTypes
{
    readonly Dictionary<string, AssertionFactory> factories = new(StringComparer.Ordinal);

    /// <summary>Every registered type name, sorted.</summary>
    public IReadOnlyList<string> Names => factories.Keys.Order(StringComparer.Ordinal).ToList();

    public bool Contains(string type) => factories.ContainsKey(type);

    /// <summary>Registers (or replaces) a type.</summary>
    public AssertionTypes Add(string type, AssertionFactory factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(factory);
        if (type.StartsWith("not-", StringComparison.Ordinal)) throw new ArgumentException("register the positive form; not- is derived.", nameof(type));
        factories[type] = factory;
        return this;
    }

    /// <summary>Registers a custom C# evaluator under <paramref name="type"/>. Its first metric is the score: a numeric metric in [0, 1]
    /// (passing at the assertion's threshold, default 0.5) or a boolean; a metric interpreted as failed, or with an error diagnostic, fails.</summary>
    public AssertionTypes AddEvaluator(string type, IEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        return Add(type, (spec, _) => new CustomAssertion(spec, evaluator));
    }

    /// <summary>The evaluator for <paramref name="spec"/> in a test with <paramref name="vars"/>.</summary>
    public AssertionEvaluator Create(AssertionSpec spec, IReadOnlyDictionary<string, string> vars)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!factories.TryGetValue(spec.Type, out var factory))
            throw new InvalidInputException("type", $"unknown assertion type '{spec.FullType}'; known: {string.Join(", ", Names)} (each also as not-TYPE).");
        if (spec.Weight < 0 || double.IsNaN(spec.Weight)) throw new InvalidInputException("weight", "must be zero or more.");
        return factory(spec, vars);
    }

    /// <summary>The built-in types.</summary>
    public static AssertionTypes CreateDefault()
    {
        var types = new AssertionTypes();
        types.Add("equals", (spec, vars) => spec.Value is JsonObject or JsonArray
            ? Check(spec, output => TryParseJson(output.Trim()) is { } json && JsonNode.DeepEquals(json, spec.Value)
                ? AssertionOutcome.Of(true, "output is the expected JSON")
                : AssertionOutcome.Of(false, $"output is not the JSON {Short(spec.Value.ToJsonString())}"))
            : Text(spec, RequireString(spec, vars), (output, value) => AssertionOutcome.Of(output == value, $"output {(output == value ? "equals" : "does not equal")} \"{Short(value)}\"")));
        types.Add("contains", (spec, vars) => Text(spec, RequireString(spec, vars), (o, v) => Found(o.Contains(v, StringComparison.Ordinal), v)));
        types.Add("icontains", (spec, vars) => Text(spec, RequireString(spec, vars), (o, v) => Found(o.Contains(v, StringComparison.OrdinalIgnoreCase), v)));
        types.Add("starts-with", (spec, vars) => Text(spec, RequireString(spec, vars), (o, v) =>
            AssertionOutcome.Of(o.StartsWith(v, StringComparison.Ordinal), $"output {(o.StartsWith(v, StringComparison.Ordinal) ? "starts" : "does not start")} with \"{Short(v)}\"")));
        AddLists(types, "contains-any", StringComparison.Ordinal, all: false);
        AddLists(types, "icontains-any", StringComparison.OrdinalIgnoreCase, all: false);
        AddLists(types, "contains-all", StringComparison.Ordinal, all: true);
        AddLists(types, "icontains-all", StringComparison.OrdinalIgnoreCase, all: true);
        types.Add("regex", (spec, vars) =>
        {
            var pattern = RequireString(spec, vars);
            Regex regex;
            try { regex = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1)); }
            catch (ArgumentException exception) { throw new InvalidInputException("value", $"bad regex /{pattern}/: {exception.Message}"); }
            return Check(spec, output => AssertionOutcome.Of(regex.IsMatch(output), $"output {(regex.IsMatch(output) ? "matches" : "does not match")} /{pattern}/"));
        });
        types.Add("is-json", (spec, _) => JsonCheck(spec, spec.Value is null ? null : JsonSchemaCheck.Create(spec.Value), anywhere: false));
        types.Add("contains-json", (spec, _) => JsonCheck(spec, spec.Value is null ? null : JsonSchemaCheck.Create(spec.Value), anywhere: true));
        types.Add("json-schema", (spec, _) => JsonCheck(spec, JsonSchemaCheck.Create(spec.Value ?? throw new InvalidInputException("value", "json-schema needs a schema.")), anywhere: true));
        types.Add("levenshtein", (spec, vars) =>
        {
            var expected = RequireString(spec, vars);
            var max = spec.Threshold ?? 5;
            return Check(spec, output =>
            {
                var distance = TextSimilarity.Levenshtein(output, expected);
                var length = Math.Max(1, Math.Max(output.Length, expected.Length));
                return new AssertionOutcome(distance <= max, 1 - (double)distance / length, $"Levenshtein distance {distance} (max {Num(max)})");
            });
        });
        types.Add("rouge-n", (spec, vars) => Scored(spec, RequireString(spec, vars), 0.75, "ROUGE-1 recall", (o, v) => TextSimilarity.RougeN(o, v)));
        types.Add("f1", (spec, vars) => Scored(spec, RequireString(spec, vars), 0.5, "token F1", TextSimilarity.F1));
        types.Add("bleu", (spec, vars) =>
        {
            var references = spec.Value is JsonArray ? RequireList(spec, vars) : [RequireString(spec, vars)];
            var threshold = spec.Threshold ?? 0.5;
            return Check(spec, output =>
            {
                var score = TextSimilarity.Bleu(output, references);
                return new AssertionOutcome(score >= threshold, score, $"BLEU {Num(score)} (threshold {Num(threshold)})");
            });
        });
        types.Add("latency", (spec, _) =>
        {
            var max = spec.Threshold ?? throw new InvalidInputException("threshold", "latency needs a threshold in milliseconds.");
            return new FuncAssertion(spec, (_, _, context) =>
                AssertionOutcome.Of(context.Latency.TotalMilliseconds <= max, $"latency {Num(context.Latency.TotalMilliseconds)} ms (max {Num(max)})"));
        });
        types.Add("token-count", (spec, _) =>
        {
            var max = spec.Threshold ?? throw new InvalidInputException("threshold", "token-count needs a threshold (the most output tokens allowed).");
            return new FuncAssertion(spec, (_, response, _) =>
            {
                var tokens = response.Usage?.OutputTokenCount ?? throw new InvalidOperationException("the provider reported no token usage.");
                return AssertionOutcome.Of(tokens <= max, $"{tokens} output tokens (max {Num(max)})");
            });
        });
        types.Add("cost", (spec, _) =>
        {
            var max = spec.Threshold ?? throw new InvalidInputException("threshold", "cost needs a threshold (the most one call may cost).");
            return new FuncAssertion(spec, (_, response, context) =>
            {
                var pricing = context.Pricing ?? throw new InvalidOperationException(
                    $"the provider has no prices: give it config {TokenPricing.InputKey} and {TokenPricing.OutputKey} (per 1,000 tokens).");
                var usage = response.Usage ?? throw new InvalidOperationException("the provider reported no token usage.");
                var cost = pricing.Of(usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0);
                return AssertionOutcome.Of(cost <= max, $"cost {Num(cost)} ({usage.InputTokenCount} in, {usage.OutputTokenCount} out; max {Num(max)})");
            });
        });
        types.Add("is-refusal", (spec, _) => Check(spec, output =>
        {
            var refusal = IsRefusal(output);
            return AssertionOutcome.Of(refusal, refusal ? "output is a refusal" : "output is not a refusal");
        }));
        types.Add("pii-free", (spec, _) =>
        {
            var redaction = new PiiRedaction(new PiiRedactionOptions());
            return Check(spec, output =>
            {
                var counts = new int[Enum.GetValues<PiiKind>().Length];
                redaction.Redact(output, counts);
                var found = Enum.GetValues<PiiKind>().Where((_, i) => counts[i] > 0).Select(PiiRedaction.KindName).ToList();
                return AssertionOutcome.Of(found.Count == 0, found.Count == 0 ? "no PII found" : $"PII found: {string.Join(", ", found)}");
            });
        });
        types.Add("llm-rubric", (spec, vars) => new LlmRubricAssertion(spec, RequireString(spec, vars)));
        return types;
    }

    static void AddLists(AssertionTypes types, string name, StringComparison comparison, bool all) =>
        types.Add(name, (spec, vars) =>
        {
            var values = RequireList(spec, vars);
            return Check(spec, output =>
            {
                var found = values.Where(v => output.Contains(v, comparison)).ToList();
                var pass = all ? found.Count == values.Count : found.Count > 0;
                return new AssertionOutcome(pass, (double)found.Count / values.Count,
                    all ? $"found {found.Count} of {values.Count}" + (pass ? "" : $"; missing \"{Short(string.Join("\", \"", values.Except(found)))}\"")
                        : pass ? $"found \"{Short(found[0])}\"" : "found none of them");
            });
        });

    static AssertionEvaluator Check(AssertionSpec spec, Func<string, AssertionOutcome> check) => new FuncAssertion(spec, (output, _, _) => check(output));

    static AssertionEvaluator Text(AssertionSpec spec, string value, Func<string, string, AssertionOutcome> check) =>
        new FuncAssertion(spec, (output, _, _) => check(output, value));

    static AssertionEvaluator Scored(AssertionSpec spec, string reference, double defaultThreshold, string label, Func<string, string, double> score)
    {
        var threshold = spec.Threshold ?? defaultThreshold;
        return Check(spec, output =>
        {
            var value = score(output, reference);
            return new AssertionOutcome(value >= threshold, value, $"{label} {Num(value)} (threshold {Num(threshold)})");
        });
    }

    static AssertionEvaluator JsonCheck(AssertionSpec spec, JsonSchemaCheck? schema, bool anywhere) => Check(spec, output =>
    {
        var candidates = anywhere ? JsonCandidates(output) : [output.Trim()];
        string? lastError = null;
        foreach (var candidate in candidates)
        {
            if (TryParseJson(candidate) is not { } json) continue;
            if (schema?.Validate(json) is { } error) { lastError = error; continue; }
            return AssertionOutcome.Of(true, schema is null ? "output is JSON" : "output has JSON matching the schema");
        }
        return AssertionOutcome.Of(false, lastError is null ? (anywhere ? "no JSON found in output" : "output is not valid JSON") : $"JSON does not match the schema: {lastError}");
    });

    /// <summary>Substrings that may be JSON: from each '{' or '[' to each matching-kind closer after it, longest first.</summary>
    static IEnumerable<string> JsonCandidates(string output)
    {
        for (var start = 0; start < output.Length; start++)
        {
            var open = output[start];
            if (open is not ('{' or '[')) continue;
            var close = open == '{' ? '}' : ']';
            for (var end = output.LastIndexOf(close); end > start; end = output.LastIndexOf(close, end - 1))
            {
                yield return output[start..(end + 1)];
                if (end == 0) break;
            }
        }
    }

    internal static JsonNode? TryParseJson(string text)
    {
        if (text.Length == 0) return null;
        try
        {
            return JsonNode.Parse(text) ?? JsonValue.Create((string?)null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static AssertionOutcome Found(bool found, string value) => AssertionOutcome.Of(found, $"output {(found ? "contains" : "does not contain")} \"{Short(value)}\"");

    /// <summary>Shortens text for a reason line.</summary>
    public static string Short(string text) => text.Length <= 80 ? text : text[..77] + "...";

    /// <summary>A number for a reason line: up to three decimals, invariant.</summary>
    public static string Num(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    static IReadOnlyList<string> RequireList(AssertionSpec spec, IReadOnlyDictionary<string, string> vars) => AssertionValues.RequireList(spec, vars);

    static string RequireString(AssertionSpec spec, IReadOnlyDictionary<string, string> vars) => AssertionValues.RequireString(spec, vars);

    /// <summary>True when <paramref name="output"/> declines (one of the phrases below) or says nothing; the <c>is-refusal</c>
    /// assertion and the refusal-rate drift check share it, so both count the same answers.</summary>
    internal static bool IsRefusal(string output) => output.Trim().Length == 0 || RefusalPattern().IsMatch(output);

    // Phrases with which assistants decline; promptfoo's list, plus "I'm sorry, but".
    [GeneratedRegex(@"\b(I('m| am) (sorry|unable|not able)|I (can(no|')t|cannot|won't|will not|must decline)|as an AI|I('m| am) not (comfortable|allowed|permitted)|against my (guidelines|policy)|I do not feel comfortable)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RefusalPattern();
}

/// <summary>A user's <see cref="IEvaluator"/> behind an assertion type.</summary>
internal sealed class CustomAssertion(AssertionSpec spec, IEvaluator evaluator) : AssertionEvaluator(spec)
{
    protected override async ValueTask<AssertionOutcome> ScoreAsync(string output, ChatResponse response, EvalCaseContext context,
        ChatConfiguration? chatConfiguration, CancellationToken cancellationToken)
    {
        var messages = new[] { new ChatMessage(ChatRole.User, context.Prompt) };
        var result = await evaluator.EvaluateAsync(messages, response, chatConfiguration, [context], cancellationToken);
        var metric = result.Metrics.Values.FirstOrDefault() ?? throw new InvalidOperationException("the evaluator returned no metric.");
        var errors = metric.Diagnostics?.Where(d => d.Severity == EvaluationDiagnosticSeverity.Error).Select(d => d.Message).ToList() ?? [];
        if (errors.Count > 0) return new AssertionOutcome(false, 0, string.Join("; ", errors));
        var threshold = Spec.Threshold ?? 0.5;
        var (score, pass) = metric switch
        {
            NumericMetric { Value: { } v } => (v, v >= threshold),
            BooleanMetric { Value: { } b } => (b ? 1.0 : 0.0, b),
            _ => (0.0, false),
        };
        if (metric.Interpretation is { Failed: true }) pass = false;
        return new AssertionOutcome(pass, score, metric.Reason ?? metric.Interpretation?.Reason ?? $"{metric.Name} = {AssertionTypes.Num(score)}");
    }
}
