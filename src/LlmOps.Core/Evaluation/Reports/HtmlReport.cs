using System.Globalization;
using System.Net;
using System.Text;

namespace LlmOps.Evaluation.Reports;

/// <summary>One self-contained HTML page: verdict, gate checks, per-metric charts as inline SVG, and every case with the candidate's
/// output beside the baseline's, failing assertions highlighted. No scripts, fonts or images from anywhere else.</summary>
public static class HtmlReport
{
    const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
        h1{font-size:20px}h2{font-size:16px;margin-top:28px}
        table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
        th{background:#f4f4f4}.pass{color:#1a7f37}.fail{color:#b42318;font-weight:600}
        tr.failed td.out{background:#fff1f0}li.fail{background:#fde2e1}pre{white-space:pre-wrap;margin:0;font:12px/1.3 ui-monospace,monospace}
        .verdict{font-size:18px;padding:8px 12px;display:inline-block;border-radius:4px}.verdict.pass{background:#dafbe1}.verdict.fail{background:#ffebe9}
        ul{margin:0;padding-left:16px}.charts{display:flex;flex-wrap:wrap;gap:16px}
        """;

    public static string Write(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E($"Evaluation: {report.Suite}")).Append("</title><style>")
            .Append(Style).Append("</style></head><body>");
        html.Append("<h1>").Append(E(report.Suite)).Append("</h1>");
        html.Append("<p>Candidate <b>").Append(E(report.Candidate.Name)).Append("</b> (").Append(E(report.Candidate.Version)).Append(')');
        if (report.Baseline is not null) html.Append(" vs baseline <b>").Append(E(report.Baseline.Name)).Append("</b> (").Append(E(report.Baseline.Version)).Append(')');
        html.Append(" · ").Append(E(report.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)))
            .Append(" · ").Append(F(report.Seconds)).Append(" s · run ").Append(E(report.Id)).Append("</p>");
        html.Append("<div class=\"verdict ").Append(report.Gate.Passed ? "pass\">Gate passed" : "fail\">Gate failed").Append("</div>");

        html.Append("<h2>Summary</h2><table><tr><th>provider</th><th>cases</th><th>passed</th><th>errors</th><th>pass rate (95% CI)</th><th>mean score</th><th>mean latency</th><th>cache hits</th></tr>");
        foreach (var run in Runs(report))
        {
            var s = run.Summary;
            html.Append("<tr><td>").Append(E(run.Name)).Append("</td><td>").Append(s.Cases).Append("</td><td>").Append(s.Passed).Append("</td><td>").Append(s.Errors)
                .Append("</td><td>").Append(F(s.PassRate)).Append(" (").Append(F(s.PassRateInterval.Lower)).Append("–").Append(F(s.PassRateInterval.Upper)).Append(")</td><td>")
                .Append(F(s.MeanScore)).Append("</td><td>").Append(F(s.MeanLatencyMs)).Append(" ms</td><td>").Append(s.CacheHits).Append("</td></tr>");
        }
        html.Append("</table>");

        html.Append("<h2>Gate</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>");
        foreach (var check in report.Gate.Checks)
        {
            html.Append("<tr><td>").Append(E(check.Name)).Append("</td><td class=\"").Append(check.Passed ? "pass\">pass" : "fail\">FAIL")
                .Append("</td><td>").Append(E(check.Detail)).Append("</td></tr>");
        }
        html.Append("</table>");

        html.Append("<h2>Metrics</h2><div class=\"charts\">");
        var metrics = report.Candidate.Summary.Metrics.Keys.Concat(report.Baseline?.Summary.Metrics.Keys ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        html.Append(Chart("pass rate", report.Candidate.Summary.PassRate, report.Candidate.Summary.PassRateInterval,
            report.Baseline?.Summary.PassRate, report.Baseline?.Summary.PassRateInterval));
        foreach (var metric in metrics)
        {
            html.Append(Chart(metric, report.Candidate.Summary.Metrics.GetValueOrDefault(metric), null,
                report.Baseline?.Summary.Metrics.TryGetValue(metric, out var b) == true ? b : null, null));
        }
        html.Append("</div>");
        if (report.Gate.Comparisons.Count > 0)
        {
            html.Append("<h2>Candidate − baseline</h2><table><tr><th>metric</th><th>pairs</th><th>candidate</th><th>baseline</th><th>Δ mean</th><th>95% CI</th><th></th></tr>");
            foreach (var c in report.Gate.Comparisons)
            {
                html.Append("<tr><td>").Append(E(c.Metric)).Append("</td><td>").Append(c.Pairs).Append("</td><td>").Append(F(c.CandidateMean)).Append("</td><td>")
                    .Append(F(c.BaselineMean)).Append("</td><td>").Append(F(c.MeanDifference)).Append("</td><td>").Append(F(c.Interval.Lower)).Append(" – ").Append(F(c.Interval.Upper))
                    .Append("</td><td class=\"").Append(c.Regressed ? "fail\">regressed" : "pass\">ok").Append("</td></tr>");
            }
            html.Append("</table>");
        }

        if (report.Candidate.Cases.Any(c => c.Repeat > 0))
        {
            html.Append("<h2>Pass rate per test (repeats)</h2><table><tr><th>test</th>");
            foreach (var run in Runs(report)) html.Append("<th>").Append(E(run.Name)).Append(": passed / trials (95% Wilson CI)</th>");
            html.Append("</tr>");
            var rates = Runs(report).Select(r => r.PassRatesByTest().ToDictionary(t => t.TestIndex)).ToList();
            foreach (var test in rates[0].Values)
            {
                html.Append("<tr><td>").Append(E(test.TestName)).Append("</td>");
                foreach (var byTest in rates)
                {
                    if (byTest.TryGetValue(test.TestIndex, out var t))
                        html.Append("<td>").Append(t.Passed).Append(" / ").Append(t.Trials).Append(" (").Append(F(t.Interval.Lower)).Append("–").Append(F(t.Interval.Upper)).Append(")</td>");
                    else html.Append("<td>-</td>");
                }
                html.Append("</tr>");
            }
            html.Append("</table>");
        }

        html.Append("<h2>Cases</h2><table><tr><th>test</th><th>prompt</th><th>").Append(E(report.Candidate.Name)).Append("</th>");
        if (report.Baseline is not null) html.Append("<th>").Append(E(report.Baseline.Name)).Append(" (baseline)</th>");
        html.Append("</tr>");
        var baselineCases = report.Baseline?.Cases.ToDictionary(c => c.Key, StringComparer.Ordinal);
        foreach (var c in report.Candidate.Cases)
        {
            html.Append("<tr class=\"").Append(c.Passed ? "passed" : "failed").Append("\"><td>").Append(E(c.TestName))
                .Append(c.Repeat > 0 ? $" #{c.Repeat + 1}" : "").Append("</td><td><pre>").Append(E(c.Prompt)).Append("</pre></td>");
            Cell(html, c);
            if (baselineCases is not null)
            {
                if (baselineCases.TryGetValue(c.Key, out var b)) Cell(html, b);
                else html.Append("<td>-</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</table></body></html>");
        return html.ToString();
    }

    static IEnumerable<ProviderRun> Runs(EvalReport report) => new[] { report.Candidate, report.Baseline }.OfType<ProviderRun>();

    static void Cell(StringBuilder html, CaseResult c)
    {
        html.Append("<td class=\"out\"><div class=\"").Append(c.Passed ? "pass\">pass" : "fail\">FAIL").Append(" · ").Append(F(c.Score)).Append("</div><pre>")
            .Append(E(c.Error ?? c.Output ?? "")).Append("</pre><ul>");
        foreach (var a in c.Assertions)
            html.Append("<li class=\"").Append(a.Passed ? "pass" : "fail").Append("\">").Append(E(a.Type)).Append(": ").Append(E(a.Reason)).Append("</li>");
        html.Append("</ul></td>");
    }

    /// <summary>Two horizontal bars (candidate, baseline) on a 0–1 axis, with interval whiskers when known.</summary>
    static string Chart(string title, double candidate, Interval? candidateInterval, double? baseline, Interval? baselineInterval)
    {
        const int width = 260, left = 70, barWidth = 170;
        var svg = new StringBuilder();
        svg.Append("<svg role=\"img\" width=\"").Append(width).Append("\" height=\"78\" viewBox=\"0 0 ").Append(width).Append(" 78\"><title>").Append(E(title)).Append("</title>");
        svg.Append("<text x=\"0\" y=\"12\" font-size=\"12\" font-weight=\"600\">").Append(E(title)).Append("</text>");
        void Bar(int y, string label, double value, Interval? interval, string colour)
        {
            var w = Math.Clamp(value, 0, 1) * barWidth;
            svg.Append("<text x=\"0\" y=\"").Append(y + 11).Append("\" font-size=\"11\">").Append(E(label)).Append("</text>");
            svg.Append("<rect x=\"").Append(left).Append("\" y=\"").Append(y).Append("\" width=\"").Append(F(w)).Append("\" height=\"14\" fill=\"").Append(colour).Append("\"/>");
            if (interval is { } i)
            {
                svg.Append("<line x1=\"").Append(F(left + i.Lower * barWidth)).Append("\" x2=\"").Append(F(left + i.Upper * barWidth)).Append("\" y1=\"").Append(y + 7)
                    .Append("\" y2=\"").Append(y + 7).Append("\" stroke=\"#222\" stroke-width=\"1.5\"/>");
            }
            svg.Append("<text x=\"").Append(F(left + w + 4)).Append("\" y=\"").Append(y + 11).Append("\" font-size=\"11\">").Append(F(value)).Append("</text>");
        }
        Bar(22, "candidate", candidate, candidateInterval, "#4c78a8");
        if (baseline is { } b) Bar(44, "baseline", b, baselineInterval, "#9ca3af");
        svg.Append("<line x1=\"").Append(left).Append("\" x2=\"").Append(left + barWidth).Append("\" y1=\"70\" y2=\"70\" stroke=\"#999\"/></svg>");
        return svg.ToString();
    }

    static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    static string E(string text) => WebUtility.HtmlEncode(text);
}
