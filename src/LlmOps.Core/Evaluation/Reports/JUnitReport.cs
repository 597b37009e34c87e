using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace LlmOps.Evaluation.Reports;

/// <summary>The report as JUnit XML in the shape CI systems read (the Jenkins/Ant schema): one testsuite per provider, one
/// testcase per (test, prompt, repeat) with a failure naming the failed assertions or an error for a failed call, and a
/// "gate" testsuite with one testcase per gate check.</summary>
public static class JUnitReport
{
    public static string Write(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var timestamp = report.StartedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var suites = new XElement("testsuites");
        var id = 0;
        foreach (var run in new[] { report.Candidate, report.Baseline }.OfType<ProviderRun>())
        {
            var suite = Suite(id++, $"{report.Suite} · {run.Name}", timestamp, run.Cases.Count,
                run.Cases.Count(c => c.Error is null && !c.Passed), run.Summary.Errors, run.Cases.Sum(c => c.LatencyMs) / 1000,
                [("provider", run.Name), ("provider.version", run.Version), ("suite.sha256", report.SuiteSha256),
                 ("pass_rate", F(run.Summary.PassRate)), ("mean_score", F(run.Summary.MeanScore)),
                 .. run.Summary.Metrics.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => ($"metric.{p.Key}", F(p.Value)))]);
            var className = Token($"{report.Suite}.{run.Name}");
            foreach (var c in run.Cases)
            {
                var testcase = new XElement("testcase",
                    new XAttribute("name", Token($"{c.TestName} [{c.PromptId}{(c.Repeat > 0 ? $" #{c.Repeat + 1}" : "")}]")),
                    new XAttribute("classname", className),
                    new XAttribute("time", F(c.LatencyMs / 1000)));
                if (c.Error is not null)
                    testcase.Add(new XElement("error", new XAttribute("message", Clean(c.Error)), new XAttribute("type", "provider-error"), Clean(c.Prompt)));
                else if (!c.Passed)
                {
                    var failed = c.Assertions.Where(a => !a.Passed).ToList();
                    var message = failed.Count == 0 ? $"score {F(c.Score)} below the test threshold" : string.Join("; ", failed.Select(a => $"{a.Type}: {a.Reason}"));
                    var body = new StringBuilder().Append("prompt: ").AppendLine(c.Prompt).Append("output: ").AppendLine(c.Output)
                        .Append("score: ").AppendLine(F(c.Score));
                    foreach (var a in c.Assertions) body.Append(a.Passed ? "  PASS " : "  FAIL ").Append(a.Type).Append(": ").AppendLine(a.Reason);
                    testcase.Add(new XElement("failure", new XAttribute("message", Clean(message)), new XAttribute("type", "assertion"), Clean(body.ToString())));
                }
                suite.Add(testcase);
            }
            suite.Add(new XElement("system-out", ""), new XElement("system-err", ""));
            suites.Add(suite);
        }

        var gate = Suite(id, $"{report.Suite} · gate", timestamp, report.Gate.Checks.Count, report.Gate.Checks.Count(c => !c.Passed), 0, 0,
            [("passed", report.Gate.Passed ? "true" : "false")]);
        foreach (var check in report.Gate.Checks)
        {
            var testcase = new XElement("testcase", new XAttribute("name", Token(check.Name)), new XAttribute("classname", Token($"{report.Suite}.gate")), new XAttribute("time", "0"));
            if (!check.Passed) testcase.Add(new XElement("failure", new XAttribute("message", Clean(check.Detail)), new XAttribute("type", "gate"), Clean(check.Detail)));
            gate.Add(testcase);
        }
        gate.Add(new XElement("system-out", ""), new XElement("system-err", ""));
        suites.Add(gate);

        var document = new XDocument(new XDeclaration("1.0", "utf-8", null), suites);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, settings)) document.Save(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    static XElement Suite(int id, string name, string timestamp, int tests, int failures, int errors, double seconds, IEnumerable<(string Name, string Value)> properties) =>
        new("testsuite",
            new XAttribute("name", Token(name)), new XAttribute("timestamp", timestamp), new XAttribute("hostname", "localhost"),
            new XAttribute("tests", tests), new XAttribute("failures", failures), new XAttribute("errors", errors), new XAttribute("time", F(seconds)),
            new XAttribute("package", "llmops.eval"), new XAttribute("id", id),
            new XElement("properties", properties.Select(p => new XElement("property", new XAttribute("name", p.Name), new XAttribute("value", Clean(p.Value))))));

    static string F(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>xs:token: no line breaks or tabs, no leading, trailing or double spaces; never empty.</summary>
    static string Token(string text)
    {
        var collapsed = string.Join(' ', Clean(text).Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        return collapsed.Length == 0 ? "-" : collapsed;
    }

    /// <summary>Drops characters XML 1.0 cannot hold (a model may emit any byte).</summary>
    static string Clean(string? text) => text is null ? "" : new string(text.Where(XmlConvert.IsXmlChar).ToArray());
}
