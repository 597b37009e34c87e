using LlmOps.Deployments;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;

namespace LlmOps.Monitoring;

/// <summary>Turns a deployment's online assertions into the evaluation's assertion evaluators (the same checks a suite runs).</summary>
public static class OnlineAssertions
{
    static readonly IReadOnlyDictionary<string, string> NoVars = new Dictionary<string, string>();

    /// <summary>The spec of one online assertion, as a suite would have it.</summary>
    public static AssertionSpec ToSpec(OnlineAssertion assertion)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        var negated = assertion.Type.StartsWith("not-", StringComparison.Ordinal);
        return new AssertionSpec(negated ? assertion.Type[4..] : assertion.Type, negated, assertion.Value, assertion.Threshold, 1, assertion.Metric, null, 0);
    }

    /// <summary>Evaluators for every assertion; throws <see cref="InvalidInputException"/> naming <c>monitoring.onlineEval.assertions[i]</c>.</summary>
    public static IReadOnlyList<AssertionEvaluator> Create(OnlineEvalSettings settings, AssertionTypes types)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(types);
        var evaluators = new List<AssertionEvaluator>();
        for (var i = 0; i < settings.Assertions.Count; i++)
        {
            try
            {
                evaluators.Add(types.Create(ToSpec(settings.Assertions[i]), NoVars));
            }
            catch (Exception exception) when (exception is InvalidInputException or EvalSuiteException)
            {
                throw new InvalidInputException($"monitoring.onlineEval.assertions[{i}]", exception.Message);
            }
        }
        return evaluators;
    }

    /// <summary>Checks a deployment's monitoring settings; throws <see cref="InvalidInputException"/> naming the field.</summary>
    public static void Validate(MonitoringSettings? settings)
    {
        if (settings?.OnlineEval is not { } online) return;
        if (double.IsNaN(online.SampleRate) || online.SampleRate is < 0 or > 1)
            throw new InvalidInputException("monitoring.onlineEval.sampleRate", $"{online.SampleRate} is not a share between 0 and 1.");
        if (online.Assertions is null || online.Assertions.Count == 0)
            throw new InvalidInputException("monitoring.onlineEval.assertions", "give at least one assertion.");
        if (!settings.CaptureContent)
            throw new InvalidInputException("monitoring.captureContent", "online evaluation needs the response text: captureContent must be true.");
        _ = Create(online, AssertionTypes.CreateDefault());
        if (online.Assertions.Any(a => a.Type is "llm-rubric" or "not-llm-rubric") && string.IsNullOrWhiteSpace(online.Judge))
            throw new InvalidInputException("monitoring.onlineEval.judge", "llm-rubric assertions need a judge deployment (endpoint@environment).");
    }
}
