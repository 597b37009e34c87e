using System.Xml.Linq;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Reports;

namespace LlmOps.Tests.Evaluation;

/// <summary>JUnit XML against the CI schema and the HTML report's offline, escaped shape, on hand-made results.</summary>
public sealed class ReportTests
{
    static CaseResult Case(int test, bool passed, string output, string? error = null) =>
        new("p1", test, $"test <{test}>", 0, "Say \"hi\"\n& more", new Dictionary<string, string>(), output, error, passed, passed ? 1 : 0, 12.5, 3, 4, false,
            [new AssertionResult("contains", "contains", passed, passed ? 1 : 0, 1, passed ? "found" : "output does not contain \"x\"")],
            new Dictionary<string, double> { ["contains"] = passed ? 1 : 0 });

    static EvalReport Report()
    {
        var candidate = ProviderRun.Create("cand", "gguf:abc", [Case(0, true, "hi"), Case(1, false, "bad \u0001 <b>bold</b>"), Case(2, false, "", "IOException: upstream down")]);
        var baseline = ProviderRun.Create("base", "gguf:def", [Case(0, true, "hi"), Case(1, true, "x"), Case(2, true, "x")]);
        return new EvalReport("r1", "suite one", "sha", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), 1.5, candidate, baseline,
            EvalGate.Evaluate(new GateSpec(MinPassRate: 0.9), candidate, baseline));
    }

    [Fact]
    public void JUnit_ValidatesAgainstSchema_WithCounts()
    {
        var xml = JUnitReport.Write(Report());
        Assert.Empty(JUnitSchema.Validate(xml));
        var suites = XDocument.Parse(xml).Root!.Elements("testsuite").ToList();
        Assert.Equal(3, suites.Count); // candidate, baseline, gate
        Assert.Equal(("3", "1", "1"), ((string)suites[0].Attribute("tests")!, (string)suites[0].Attribute("failures")!, (string)suites[0].Attribute("errors")!));
        Assert.Equal("2026-01-02T03:04:05", (string)suites[0].Attribute("timestamp")!);
        Assert.Contains(suites[2].Elements("testcase"), t => t.Element("failure") is not null);
    }

    [Fact]
    public void JUnit_SchemaCatchesWrongShape()
    {
        // The validator is not a rubber stamp: a testcase without a time is refused.
        var xml = JUnitReport.Write(Report()).Replace(" time=\"0.0125\"", "", StringComparison.Ordinal);
        Assert.NotEmpty(JUnitSchema.Validate(xml));
    }

    [Fact]
    public void Html_SelfContained_EscapedAndHighlighted()
    {
        var html = HtmlReport.Write(Report());
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>bold</b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<li class=\"fail\">", html, StringComparison.Ordinal);
        Assert.Contains("IOException: upstream down", html, StringComparison.Ordinal);
        Assert.True(html.Split("<svg").Length - 1 >= 2, "a chart for the pass rate and one per metric");
        // Parses as XML-ish markup: every svg is closed.
        Assert.Equal(html.Split("<svg").Length, html.Split("</svg>").Length);
    }

    [Fact]
    public void Html_WithRepeats_PassRatePerTestWithWilson()
    {
        CaseResult Repeat(int repeat, bool passed) => Case(0, passed, "x") with { Repeat = repeat };
        var candidate = ProviderRun.Create("cand", "v", [Repeat(0, true), Repeat(1, true), Repeat(2, false)]);
        var report = new EvalReport("r", "s", "sha", DateTimeOffset.UnixEpoch, 1, candidate, null, EvalGate.Evaluate(new GateSpec(), candidate, null));
        var html = HtmlReport.Write(report);
        var interval = EvalStatistics.Wilson(2, 3);
        Assert.Contains("Pass rate per test", html, StringComparison.Ordinal);
        Assert.Contains($"2 / 3 ({interval.Lower.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}", html, StringComparison.Ordinal);
    }
}
