using System.Diagnostics;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Reports;

namespace LlmOps.IntegrationTests.Evaluation;

/// <summary>The HTML report in a real browser with the network cut off: headless Chromium (Debian's package, as CI installs it)
/// lays it out and screenshots it. Skipped when Chromium is not installed.</summary>
public sealed class HtmlReportRenderTests : IDisposable
{
    readonly TempFolder temp = new("llmops-eval-html");

    string work => temp.Root;


    static string? Chromium() => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    static EvalReport Report()
    {
        CaseResult Case(int test, bool passed, string output) =>
            new("p1", test, $"test {test}", 0, $"Question {test}?", new Dictionary<string, string>(), output, null, passed, passed ? 1 : 0.2, 10, 3, 4, false,
                [new AssertionResult("icontains", "accuracy", passed, passed ? 1 : 0.2, 1, passed ? "found" : "output does not contain \"paris\"")],
                new Dictionary<string, double> { ["accuracy"] = passed ? 1 : 0.2 });
        var candidate = ProviderRun.Create("tiny/2", "tiny/2:abc", Enumerable.Range(0, 6).Select(i => Case(i, i % 3 != 0, $"answer <{i}>")).ToList());
        var baseline = ProviderRun.Create("tiny/1", "tiny/1:def", Enumerable.Range(0, 6).Select(i => Case(i, true, "Paris")).ToList());
        return new EvalReport("r1", "capitals", "sha", DateTimeOffset.UnixEpoch, 1, candidate, baseline, EvalGate.Evaluate(new GateSpec(), candidate, baseline));
    }

    [SkippableFact]
    public async Task HtmlReport_HeadlessChromiumOffline_RendersWithChartsAndHighlights()
    {
        var chromium = Chromium();
        Skip.If(chromium is null, "Chromium is not installed (apt-get install chromium).");
        var page = Path.Combine(work, "report.html");
        var html = HtmlReport.Write(Report());
        await File.WriteAllTextAsync(page, html);

        var dom = await RunAsync(chromium!, "--dump-dom", new Uri(page).AbsoluteUri);
        Assert.Contains("Gate failed", dom, StringComparison.Ordinal);
        // Two charts (pass rate, accuracy), and the browser's DOM keeps every one the page had.
        Assert.Equal(2, html.Split("<svg").Length - 1);
        Assert.Equal(2, dom.Split("<svg").Length - 1);
        Assert.Contains("answer &lt;3&gt;", dom, StringComparison.Ordinal);

        var png = Path.Combine(work, "report.png");
        await RunAsync(chromium!, $"--screenshot={png}", "--window-size=1100,1400", new Uri(page).AbsoluteUri);
        Assert.True(new FileInfo(png).Length > 10_000, "a laid-out page, not a blank one");
    }

    static async Task<string> RunAsync(string chromium, params string[] args)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // No network at all: any external reference would fail to load (the page must not need one).
        foreach (var arg in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND", "--no-first-run" }.Concat(args))
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }

    public void Dispose() => temp.Dispose();
}
