using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmOps.Monitoring.Alerts;

/// <summary>A parsed rule condition: <c>FIGURE OP NUMBER</c>.</summary>
public sealed partial record AlertExpression(string Figure, string Operator, double Threshold)
{
    /// <summary>The figures a rule may watch, with what each means.</summary>
    public static readonly IReadOnlyDictionary<string, string> Figures = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["requests"] = "requests in the window",
        ["error_rate"] = "share of requests that failed (0-1)",
        ["latency_p50"] = "median end-to-end latency, ms",
        ["latency_p95"] = "95th percentile end-to-end latency, ms",
        ["latency_p99"] = "99th percentile end-to-end latency, ms",
        ["ttft_p50"] = "median time to first token, ms",
        ["ttft_p95"] = "95th percentile time to first token, ms",
        ["ttft_p99"] = "99th percentile time to first token, ms",
        ["tokens_per_second"] = "generated tokens per second of the window",
        ["cost"] = "summed cost of the requests in the window",
        ["feedback_avg"] = "mean feedback score",
        ["feedback_count"] = "feedback posted in the window",
        ["eval_score"] = "mean online evaluation score (0-1)",
        ["eval_pass_rate"] = "share of online assertions that passed (0-1)",
        ["drift_share"] = "share of drift features that drifted against the rule's reference window (0-1)",
        ["drift_detected"] = "1 when the current window drifted from the rule's reference window as a whole, else 0",
    };

    static readonly string[] Operators = [">=", "<=", "==", "!=", ">", "<"];

    /// <summary>Parses <paramref name="text"/>; throws <see cref="InvalidInputException"/> naming <c>expr</c> and what is wrong.</summary>
    public static AlertExpression Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidInputException("expr", "a condition like 'error_rate > 0.05' is required.");
        var match = Shape().Match(text);
        if (!match.Success)
            throw new InvalidInputException("expr", $"'{text}' is not FIGURE OP NUMBER (e.g. 'error_rate > 0.05'); OP is one of {string.Join(' ', Operators)}.");
        var figure = match.Groups["figure"].Value;
        if (!Figures.ContainsKey(figure))
            throw new InvalidInputException("expr", $"unknown figure '{figure}' in '{text}'; known: {string.Join(", ", Figures.Keys)}.");
        if (!double.TryParse(match.Groups["number"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold) || !double.IsFinite(threshold))
            throw new InvalidInputException("expr", $"'{match.Groups["number"].Value}' in '{text}' is not a number.");
        return new AlertExpression(figure, match.Groups["op"].Value, threshold);
    }

    /// <summary>Whether <paramref name="value"/> meets the condition; no value (no data) never does.</summary>
    public bool Holds(double? value) => value is { } v && Operator switch
    {
        ">" => v > Threshold,
        ">=" => v >= Threshold,
        "<" => v < Threshold,
        "<=" => v <= Threshold,
        "==" => v == Threshold,
        _ => v != Threshold,
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Figure} {Operator} {Threshold}");

    [GeneratedRegex(@"^\s*(?<figure>[a-z_0-9]+)\s*(?<op>>=|<=|==|!=|>|<)\s*(?<number>[-+0-9.eE]+)\s*$")]
    private static partial Regex Shape();
}
