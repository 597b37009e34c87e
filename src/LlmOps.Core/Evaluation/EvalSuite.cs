using System.Text.Json.Nodes;

namespace LlmOps.Evaluation;

/// <summary>An evaluation suite as read from YAML (promptfoo's shape): providers × prompts × tests, each test with vars and assertions.</summary>
public sealed record EvalSuite(
    string Name,
    string? Description,
    IReadOnlyList<ProviderSpec> Providers,
    IReadOnlyList<PromptSpec> Prompts,
    IReadOnlyList<TestSpec> Tests,
    int Repeat,
    SamplingSpec Sampling,
    GateSpec Gate,
    ProviderSpec? Judge,
    string Sha256);

/// <summary>A model to evaluate: <c>name/3</c> or <c>name@qa</c> (registry), a <c>.gguf</c> path, or <c>openai:MODEL</c> with
/// <c>config.url</c> and <c>config.api_key_env</c>.</summary>
public sealed record ProviderSpec(string Id, string? Label, IReadOnlyDictionary<string, string> Config, int Line)
{
    public string DisplayName => Label ?? Id;
}

/// <summary>A prompt template; <c>{{var}}</c> is replaced by the test's variable.</summary>
public sealed record PromptSpec(string Id, string Template, int Line);

/// <summary>One test: variables, assertions (defaultTest's first) and an optional pass threshold on the weighted score.</summary>
public sealed record TestSpec(int Index, string Name, IReadOnlyDictionary<string, string> Vars, IReadOnlyList<AssertionSpec> Asserts, double? Threshold, string Source, int Line)
{
    /// <summary>Where the test is written, as <c>file:line</c>.</summary>
    public string Location => $"{Source}:{Line}";
}

/// <summary>One assertion as written: <c>type</c> (with <c>not-</c> stripped into <see cref="Negated"/>), <c>value</c>,
/// <c>threshold</c>, <c>weight</c>, <c>metric</c>; <c>provider</c> names the judge of <c>llm-rubric</c>.</summary>
public sealed record AssertionSpec(string Type, bool Negated, JsonNode? Value, double? Threshold, double Weight, string? Metric, string? Provider, int Line)
{
    /// <summary>The type as written, e.g. <c>not-contains</c>.</summary>
    public string FullType => Negated ? "not-" + Type : Type;

    /// <summary>The metric this assertion's score is aggregated under: its <c>metric</c>, else its type.</summary>
    public string MetricName => Metric ?? FullType;
}

/// <summary>Sampling for every call of the suite; part of the response-cache key.</summary>
public sealed record SamplingSpec(float Temperature = 0f, int MaxTokens = 32, long Seed = 42, float TopP = 1f);

/// <summary>The suite's gate: absolute thresholds and "no worse than the baseline by more than <see cref="MaxRegression"/>".</summary>
/// <param name="MinPassRate">Fail below this pass rate (the suite's <c>threshold</c>).</param>
/// <param name="MinMetrics">Fail when a named metric's mean is below its minimum.</param>
/// <param name="MaxRegression">δ: fail when the lower confidence bound of candidate − baseline is below −δ.</param>
/// <param name="Confidence">Of the bootstrap interval and the McNemar test.</param>
/// <param name="BootstrapSamples">Resamples of the paired differences.</param>
/// <param name="Seed">Of the bootstrap, so the same results give the same interval.</param>
public sealed record GateSpec(
    double? MinPassRate = null,
    IReadOnlyDictionary<string, double>? MinMetrics = null,
    double MaxRegression = 0.05,
    double Confidence = 0.95,
    int BootstrapSamples = 2000,
    int Seed = 12345);
