using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Evaluation.Assertions;

/// <summary><c>llm-rubric</c>: a judge model (the suite's <c>judge</c> provider, or the assertion's <c>provider</c>) grades the
/// output against the rubric and answers JSON with a score in [0, 1]; it passes at the threshold (default 0.5).</summary>
public sealed partial class LlmRubricAssertion(AssertionSpec spec, string rubric) : AssertionEvaluator(spec)
{
    /// <summary>The instructions given to the judge; {{rubric}} and {{output}} are filled in.</summary>
    public const string JudgePrompt = """
        You grade an AI assistant's output against a rubric.
        Rubric: {{rubric}}
        Output: {{output}}
        Answer with JSON only: {"reason": "<one sentence>", "score": <a number from 0 to 1>, "pass": <true or false>}
        """;

    public string Rubric { get; } = rubric;

    protected override async ValueTask<AssertionOutcome> ScoreAsync(string output, ChatResponse response, EvalCaseContext context,
        ChatConfiguration? chatConfiguration, CancellationToken cancellationToken)
    {
        var judge = chatConfiguration?.ChatClient ?? throw new InvalidOperationException("llm-rubric needs a judge: set 'judge' in the suite or 'provider' on the assertion.");
        var prompt = PromptTemplate.Render(JudgePrompt, new Dictionary<string, string> { ["rubric"] = Rubric, ["output"] = output });
        var reply = await judge.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 256, Seed = 42 }, cancellationToken);
        var (score, reason) = ParseVerdict(reply.Text ?? "");
        var threshold = Spec.Threshold ?? 0.5;
        return new AssertionOutcome(score >= threshold, score, $"judge: {AssertionTypes.Num(score)} (threshold {AssertionTypes.Num(threshold)}): {AssertionTypes.Short(reason)}");
    }

    /// <summary>Reads the judge's answer: JSON with <c>score</c> (and <c>pass</c>, <c>reason</c>), else the first number in [0, 1];
    /// throws when there is none, so an unparseable verdict fails the assertion with a diagnostic.</summary>
    public static (double Score, string Reason) ParseVerdict(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start >= 0 && end > start)
        {
            try
            {
                if (JsonNode.Parse(text[start..(end + 1)]) is JsonObject verdict)
                {
                    var reason = verdict["reason"]?.ToString() ?? "";
                    if (verdict["score"] is JsonValue s && s.GetValueKind() == JsonValueKind.Number) return (Math.Clamp(s.GetValue<double>(), 0, 1), reason);
                    if (verdict["pass"] is JsonValue p && p.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return (p.GetValue<bool>() ? 1 : 0, reason);
                }
            }
            catch (JsonException)
            {
                // Fall through to the first number.
            }
        }
        var number = FirstNumber().Match(text);
        if (number.Success && double.TryParse(number.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1)
            return (value, text.Trim());
        throw new FormatException($"the judge's answer has no score: \"{AssertionTypes.Short(text.Trim())}\"");
    }

    [GeneratedRegex(@"(?<![\d.])(0(\.\d+)?|1(\.0+)?)(?![\d.])")]
    private static partial Regex FirstNumber();
}
