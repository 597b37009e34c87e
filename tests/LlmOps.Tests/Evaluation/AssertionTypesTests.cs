using System.Text.Json.Nodes;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Tests.Evaluation;

/// <summary>Each built-in assertion passing, failing and negated, as an <see cref="IEvaluator"/>.</summary>
public sealed class AssertionTypesTests
{
    static readonly AssertionTypes Types = AssertionTypes.CreateDefault();
    static readonly Dictionary<string, string> Vars = new() { ["city"] = "Paris" };

    static async Task<(bool Passed, double Score, string Reason)> Run(string type, JsonNode? value, string output, double? threshold = null,
        TimeSpan latency = default, ChatConfiguration? judge = null, AssertionTypes? types = null, TokenPricing? pricing = null)
    {
        var negated = type.StartsWith("not-", StringComparison.Ordinal);
        var spec = new AssertionSpec(negated ? type[4..] : type, negated, value, threshold, 1, null, null, 1);
        var evaluator = (types ?? Types).Create(spec, Vars);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, output)) { Usage = new UsageDetails { InputTokenCount = 1000, OutputTokenCount = 7 } };
        var result = await evaluator.EvaluateAsync([new ChatMessage(ChatRole.User, "q")], response, judge,
            [new EvalCaseContext(Vars, "q", latency, pricing: pricing)]);
        var metric = Assert.IsType<NumericMetric>(Assert.Single(result.Metrics.Values));
        return (metric.Interpretation is { Failed: false }, metric.Value!.Value, metric.Reason ?? "");
    }

    [Theory]
    [InlineData("equals", "Paris", "Paris", true)]
    [InlineData("equals", "{{city}}", "Paris", true)]
    [InlineData("equals", "Paris", "paris", false)]
    [InlineData("not-equals", "Paris", "paris", true)]
    [InlineData("contains", "Par", "in Paris", true)]
    [InlineData("contains", "par", "in Paris", false)]
    [InlineData("icontains", "par", "in Paris", true)]
    [InlineData("not-icontains", "london", "in Paris", true)]
    [InlineData("starts-with", "in", "in Paris", true)]
    [InlineData("starts-with", "Paris", "in Paris", false)]
    [InlineData("regex", "^in [A-Z]\\w+$", "in Paris", true)]
    [InlineData("not-regex", "\\d", "in Paris", true)]
    [InlineData("is-json", null, "{\"a\": 1}", true)]
    [InlineData("is-json", null, "sure: {\"a\": 1}", false)]
    [InlineData("contains-json", null, "sure: {\"a\": 1} ok", true)]
    [InlineData("not-contains-json", null, "no json here", true)]
    [InlineData("levenshtein", "Paris", "Pariss", true)]
    [InlineData("levenshtein", "Paris", "a completely different answer", false)]
    [InlineData("rouge-n", "the capital is Paris", "the capital is Paris", true)]
    [InlineData("f1", "capital Paris", "Paris is the capital", true)]
    [InlineData("bleu", "the cat sat on the mat", "the cat sat on the mat", true)]
    [InlineData("is-refusal", null, "I'm sorry, but I can't help with that.", true)]
    [InlineData("is-refusal", null, "The capital is Paris.", false)]
    [InlineData("not-is-refusal", null, "The capital is Paris.", true)]
    [InlineData("pii-free", null, "The capital is Paris.", true)]
    [InlineData("pii-free", null, "Write to jane.doe@example.com", false)]
    [InlineData("not-pii-free", null, "Write to jane.doe@example.com", true)]
    public async Task Evaluate_Output_Verdict(string type, string? value, string output, bool expected)
    {
        var (passed, _, reason) = await Run(type, value is null ? null : JsonValue.Create(value), output);
        Assert.True(expected == passed, $"{type} on \"{output}\": {reason}");
    }

    [Theory]
    [InlineData("contains-any", "Paris", true)]
    [InlineData("contains-any", "Madrid", false)]
    [InlineData("contains-all", "Paris", false)]
    [InlineData("icontains-all", "paris is lovely, rome too", true)]
    public async Task Evaluate_Lists_FoundFraction(string type, string output, bool expected)
    {
        var (passed, score, reason) = await Run(type, new JsonArray("Paris", "Rome"), output);
        Assert.True(expected == passed, reason);
        if (type == "contains-all" && !passed) Assert.Equal(0.5, score, 12);
    }

    [Fact]
    public async Task Evaluate_JsonSchema_ChecksShape()
    {
        var schema = JsonNode.Parse("""{"type":"object","required":["name","age"],"properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}}}""");
        Assert.True((await Run("json-schema", schema, """Here: {"name": "Ann", "age": 31}""")).Passed);
        var (passed, _, reason) = await Run("json-schema", schema, """{"name": "Ann", "age": -1}""");
        Assert.False(passed);
        Assert.Contains("$.age", reason, StringComparison.Ordinal);
        Assert.False((await Run("is-json", schema, """{"name": "Ann"}""")).Passed);
    }

    [Fact]
    public async Task Evaluate_NotNegation_InvertsScore()
    {
        var (passed, score, _) = await Run("not-contains-all", new JsonArray("Paris", "Rome"), "Paris");
        Assert.True(passed);
        Assert.Equal(0.5, score, 12);
    }

    [Fact]
    public async Task Evaluate_Latency_AgainstThreshold()
    {
        Assert.True((await Run("latency", null, "x", threshold: 100, latency: TimeSpan.FromMilliseconds(40))).Passed);
        Assert.False((await Run("latency", null, "x", threshold: 100, latency: TimeSpan.FromMilliseconds(140))).Passed);
    }

    [Fact]
    public async Task Evaluate_Cost_FromUsageAndProviderPrices()
    {
        // 1,000 input tokens at 0.5 and 7 output tokens at 2.0 per 1,000: 0.5 + 0.014 = 0.514.
        var prices = new TokenPricing(0.5, 2.0);
        var (passed, _, reason) = await Run("cost", null, "x", threshold: 0.52, pricing: prices);
        Assert.True(passed, reason);
        Assert.Contains("0.514", reason, StringComparison.Ordinal);
        Assert.False((await Run("cost", null, "x", threshold: 0.5, pricing: prices)).Passed);
        var (unpriced, _, why) = await Run("cost", null, "x", threshold: 1);
        Assert.False(unpriced);
        Assert.Contains(TokenPricing.InputKey, why, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenPricing_FromProviderConfig_ParsedOrRefusedNamingTheKey()
    {
        var priced = new ProviderSpec("openai:gpt", null, new Dictionary<string, string> { [TokenPricing.InputKey] = "0.15", [TokenPricing.OutputKey] = "0.6" }, 3);
        Assert.Equal(new TokenPricing(0.15, 0.6), TokenPricing.From(priced));
        Assert.Null(TokenPricing.From(priced with { Config = new Dictionary<string, string>() }));
        var bad = priced with { Config = new Dictionary<string, string> { [TokenPricing.InputKey] = "cheap" } };
        Assert.Equal($"providers.openai:gpt.config.{TokenPricing.InputKey}", Assert.Throws<InvalidInputException>(() => TokenPricing.From(bad)).Field);
    }

    [Fact]
    public async Task Evaluate_TokenCount_UsesUsage()
    {
        Assert.True((await Run("token-count", null, "x", threshold: 7)).Passed);
        Assert.False((await Run("token-count", null, "x", threshold: 6)).Passed);
    }

    [Fact]
    public async Task Evaluate_LlmRubric_ParsesJudgeScore()
    {
        var judge = new ScriptedChatClient(prompt => prompt.Contains("Paris", StringComparison.Ordinal)
            ? """{"reason": "names the capital", "score": 0.9, "pass": true}"""
            : """{"reason": "wrong city", "score": 0.1, "pass": false}""");
        var configuration = new ChatConfiguration(judge);
        var good = await Run("llm-rubric", JsonValue.Create("names the capital of France"), "Paris", judge: configuration);
        Assert.True(good.Passed);
        Assert.Equal(0.9, good.Score, 12);
        Assert.False((await Run("llm-rubric", JsonValue.Create("names the capital of France"), "Lyon", judge: configuration)).Passed);
    }

    [Fact]
    public async Task Evaluate_LlmRubricWithoutScore_FailsWithDiagnostic()
    {
        var judge = new ScriptedChatClient(_ => "no idea");
        var (passed, _, reason) = await Run("llm-rubric", JsonValue.Create("anything"), "Paris", judge: new ChatConfiguration(judge));
        Assert.False(passed);
        Assert.Contains("no score", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"score": 0.75}""", 0.75)]
    [InlineData("""Sure. {"reason": "ok", "pass": true}""", 1)]
    [InlineData("Score: 0.4", 0.4)]
    public void ParseVerdict_Forms(string text, double expected) => Assert.Equal(expected, LlmRubricAssertion.ParseVerdict(text).Score, 12);

    [Fact]
    public async Task AddEvaluator_CustomIEvaluator_ScoresByName()
    {
        var types = AssertionTypes.CreateDefault().AddEvaluator("shouting", new ShoutingEvaluator());
        Assert.True((await Run("shouting", null, "HELLO THERE", types: types)).Passed);
        Assert.False((await Run("shouting", null, "hello there", types: types)).Passed);
        Assert.True((await Run("not-shouting", null, "hello there", types: types)).Passed);
    }

    [Fact]
    public void Create_UnknownType_NamesKnownOnes()
    {
        var error = Assert.Throws<InvalidInputException>(() => Types.Create(new AssertionSpec("containz", false, JsonValue.Create("x"), null, 1, null, null, 1), Vars));
        Assert.Equal("type", error.Field);
        Assert.Contains("contains", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_BadRegex_NamesValue()
    {
        var error = Assert.Throws<InvalidInputException>(() => Types.Create(new AssertionSpec("regex", false, JsonValue.Create("(unclosed"), null, 1, null, null, 1), Vars));
        Assert.Equal("value", error.Field);
    }

    /// <summary>A user's evaluator: the share of letters that are upper case.</summary>
    sealed class ShoutingEvaluator : IEvaluator
    {
        public IReadOnlyCollection<string> EvaluationMetricNames => ["shouting"];

        public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null,
            IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
        {
            var letters = modelResponse.Text.Where(char.IsLetter).ToList();
            var share = letters.Count == 0 ? 0 : (double)letters.Count(char.IsUpper) / letters.Count;
            return ValueTask.FromResult(new EvaluationResult(new NumericMetric("shouting", share, "upper-case share")));
        }
    }
}
