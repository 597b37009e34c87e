using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.IntegrationTests.Evaluation;

/// <summary>A custom evaluator as a user would ship one: passes short answers (at most three words). The CLI loads it from this
/// test assembly with <c>--evaluators</c>.</summary>
public sealed class WordCountEvaluator : IEvaluator
{
    public IReadOnlyCollection<string> EvaluationMetricNames => ["short-answer"];

    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null,
        IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var words = modelResponse.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return ValueTask.FromResult(new EvaluationResult(new BooleanMetric("short-answer", words <= 3, $"{words} words")));
    }
}
