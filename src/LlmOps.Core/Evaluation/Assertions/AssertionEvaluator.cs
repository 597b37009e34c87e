using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Evaluation.Assertions;

/// <summary>What one check found: pass or fail, a score in [0, 1] and a reason a person can act on.</summary>
public readonly record struct AssertionOutcome(bool Pass, double Score, string Reason)
{
    public static AssertionOutcome Of(bool pass, string reason) => new(pass, pass ? 1 : 0, reason);
}

/// <summary>What an assertion may look at besides the response: the test's variables, the rendered prompt, latency and usage.</summary>
public sealed class EvalCaseContext(IReadOnlyDictionary<string, string> vars, string prompt, TimeSpan latency, IChatClient? target = null, TokenPricing? pricing = null)
    : EvaluationContext(ContextName, prompt)
{
    public const string ContextName = "llmops.case";

    /// <summary>The client under evaluation, for assertions that ask the model itself (perplexity).</summary>
    public IChatClient? Target { get; } = target;

    public IReadOnlyDictionary<string, string> Vars { get; } = vars;
    public string Prompt { get; } = prompt;
    public TimeSpan Latency { get; } = latency;

    /// <summary>The provider's token prices, when the suite gives them.</summary>
    public TokenPricing? Pricing { get; } = pricing;

    public static EvalCaseContext Empty { get; } = new(new Dictionary<string, string>(), "", TimeSpan.Zero);
}

/// <summary>One suite assertion as an <see cref="IEvaluator"/>: one numeric metric (the score, inverted by <c>not-</c>)
/// whose interpretation says pass or fail. Failures inside a check become a failed metric with an error diagnostic, never an exception.</summary>
public abstract class AssertionEvaluator(AssertionSpec spec) : IEvaluator
{
    public AssertionSpec Spec { get; } = spec ?? throw new ArgumentNullException(nameof(spec));

    public IReadOnlyCollection<string> EvaluationMetricNames => [Spec.MetricName];

    public async ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse,
        ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var context = additionalContext?.OfType<EvalCaseContext>().FirstOrDefault() ?? EvalCaseContext.Empty;
        NumericMetric metric;
        try
        {
            var outcome = await ScoreAsync(modelResponse.Text ?? "", modelResponse, context, chatConfiguration, cancellationToken);
            var pass = Spec.Negated ? !outcome.Pass : outcome.Pass;
            var score = Math.Clamp(Spec.Negated ? 1 - outcome.Score : outcome.Score, 0, 1);
            var reason = Spec.Negated ? $"not: {outcome.Reason}" : outcome.Reason;
            metric = new NumericMetric(Spec.MetricName, score, reason)
            {
                Interpretation = new EvaluationMetricInterpretation(pass ? EvaluationRating.Good : EvaluationRating.Unacceptable, failed: !pass, reason),
            };
        }
#pragma warning disable CA1031 // An evaluator reports its own faults as diagnostics (IEvaluator's contract), the run goes on.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            var reason = $"{Spec.FullType} failed: {exception.Message}";
            metric = new NumericMetric(Spec.MetricName, 0, reason)
            {
                Interpretation = new EvaluationMetricInterpretation(EvaluationRating.Unacceptable, failed: true, reason),
            };
            metric.AddDiagnostics(EvaluationDiagnostic.Error(reason));
        }
        return new EvaluationResult(metric);
    }

    /// <summary>Scores the response as if the assertion were not negated.</summary>
    protected abstract ValueTask<AssertionOutcome> ScoreAsync(string output, ChatResponse response, EvalCaseContext context,
        ChatConfiguration? chatConfiguration, CancellationToken cancellationToken);
}

/// <summary>An assertion whose check is a synchronous function of the output and the case.</summary>
internal sealed class FuncAssertion(AssertionSpec spec, Func<string, ChatResponse, EvalCaseContext, AssertionOutcome> check) : AssertionEvaluator(spec)
{
    protected override ValueTask<AssertionOutcome> ScoreAsync(string output, ChatResponse response, EvalCaseContext context,
        ChatConfiguration? chatConfiguration, CancellationToken cancellationToken) => ValueTask.FromResult(check(output, response, context));
}

/// <summary>Reads assertion values: strings and lists with the test's variables rendered.</summary>
public static class AssertionValues
{
    /// <summary>The value as a string with the test's variables rendered; throws naming <c>value</c> when absent.</summary>
    public static string RequireString(AssertionSpec spec, IReadOnlyDictionary<string, string> vars)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Value switch
        {
            JsonValue value => Render(value.ToString(), vars),
            null => throw new InvalidInputException("value", $"{spec.FullType} needs a value."),
            _ => throw new InvalidInputException("value", $"{spec.FullType} needs a string value, not {spec.Value.GetValueKind()}."),
        };
    }

    /// <summary>The value as a list of strings (a YAML list, or one comma-separated string as promptfoo allows).</summary>
    public static IReadOnlyList<string> RequireList(AssertionSpec spec, IReadOnlyDictionary<string, string> vars)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var list = spec.Value switch
        {
            JsonArray array => array.Select(n => n is JsonValue v ? Render(v.ToString(), vars)
                : throw new InvalidInputException("value", $"{spec.FullType} needs a list of strings.")).ToList(),
            JsonValue value => Render(value.ToString(), vars).Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToList(),
            _ => throw new InvalidInputException("value", $"{spec.FullType} needs a list of strings."),
        };
        if (list.Count == 0) throw new InvalidInputException("value", $"{spec.FullType} needs at least one string.");
        return list;
    }

    static string Render(string text, IReadOnlyDictionary<string, string> vars)
    {
        try
        {
            return PromptTemplate.Render(text, vars);
        }
        catch (KeyNotFoundException exception)
        {
            throw new InvalidInputException("value", $"uses {exception.Message}.");
        }
    }
}
