using System.Text.Json;
using LlmOps.Evaluation;
using LlmOps.IntegrationTests.Storage;
using LlmOps.Registry;
using static LlmOps.IntegrationTests.Storage.StoreUnderTest;

namespace LlmOps.IntegrationTests.Evaluation;

/// <summary>Evaluation runs in the store (migration 3), on SQLite and PostgreSQL: recorded with their cases, audited, listed,
/// and attached as evidence to an approval request.</summary>
public abstract class EvalHistoryConformanceTests
{
    protected abstract Task<StoreUnderTest> StartAsync();

    static CaseResult Case(int test, bool passed, string? output, string? error = null) =>
        new("p1", test, $"test {test}", 0, "prompt", new Dictionary<string, string>(), output, error, passed, passed ? 1 : 0.25, 10 + test, 3, 4, false,
            [new AssertionResult("contains", "accuracy", passed, passed ? 1 : 0.25, 1, passed ? "found" : "not found")],
            new Dictionary<string, double> { ["accuracy"] = passed ? 1 : 0.25 });

    static EvalReport Report(string id, DateTimeOffset at, bool withBaseline = true)
    {
        var candidate = ProviderRun.Create("tiny/2", "tiny/2:abc", [Case(0, true, "yes"), Case(1, false, "no ünïcode ✓"), Case(2, false, null, "IOException: down")]);
        var baseline = withBaseline ? ProviderRun.Create("tiny/1", "tiny/1:def", [Case(0, true, "yes"), Case(1, true, "ok"), Case(2, true, "ok")]) : null;
        return new EvalReport(id, "capitals", new string('c', 64), at, 2.5, candidate, baseline, EvalGate.Evaluate(new GateSpec(), candidate, baseline));
    }

    [SkippableFact]
    public async Task RecordAsync_RunAndCases_ReadBackInOrder()
    {
        await using var t = await StartAsync();
        var history = new EvalHistory(t.Store, Developer, t.Time);
        var report = Report("run-1", t.Time.GetUtcNow());
        var run = await history.RecordAsync(report);

        var loaded = await new EvalHistory(t.Store, Viewer, t.Time).GetAsync("run-1");
        Assert.Equal(run, loaded);
        Assert.False(loaded.GatePassed);
        Assert.Equal((3, 1), (loaded.Cases, loaded.Passed));
        Assert.Equal("tiny/1", loaded.Baseline);
        using var summary = JsonDocument.Parse(loaded.SummaryJson);
        Assert.False(summary.RootElement.GetProperty("gate").GetProperty("passed").GetBoolean());

        var cases = await history.ListCasesAsync("run-1");
        Assert.Equal(6, cases.Count);
        Assert.Equal(["candidate", "candidate", "candidate", "baseline", "baseline", "baseline"], cases.Select(c => c.Role));
        Assert.Equal("no ünïcode ✓", cases[1].Output);
        Assert.Equal("IOException: down", cases[2].Error);
        Assert.Null(cases[2].Output);
        Assert.Equal(0.25, cases[1].Score);
        Assert.Contains("not found", cases[1].AssertionsJson, StringComparison.Ordinal);
        Assert.True((await t.Audit(LlmOps.Identity.Actor.LocalAdmin).VerifyAsync()).IsIntact);
        Assert.Equal(1L, await t.ScalarRawAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'eval.run.record'"));
    }

    [SkippableFact]
    public async Task ListAsync_NewestFirst_WithLimit()
    {
        await using var t = await StartAsync();
        var history = new EvalHistory(t.Store, Developer, t.Time);
        await history.RecordAsync(Report("old", t.Time.GetUtcNow(), withBaseline: false));
        t.Time.Advance(TimeSpan.FromMinutes(1));
        await history.RecordAsync(Report("new", t.Time.GetUtcNow()));
        Assert.Equal(["new", "old"], (await history.ListAsync()).Select(r => r.Id));
        Assert.Equal(["new"], (await history.ListAsync(1)).Select(r => r.Id));
        Assert.Null((await history.GetAsync("old")).Baseline);
        await Assert.ThrowsAsync<NotFoundException>(() => history.GetAsync("missing"));
    }

    [SkippableFact]
    public async Task RecordAsync_Viewer_Denied()
    {
        await using var t = await StartAsync();
        await Assert.ThrowsAsync<PermissionDeniedException>(() => new EvalHistory(t.Store, Viewer, t.Time).RecordAsync(Report("x", t.Time.GetUtcNow())));
    }

    [SkippableFact]
    public async Task ToEvidence_AttachedToApprovalRequest_ListedWithTheEvent()
    {
        await using var t = await StartAsync();
        var file = await t.FileAsync("model.gguf", "weights");
        var version = await t.Registry(Developer).RegisterVersionAsync(new RegisterVersion("tiny", ModelFormats.Gguf, [file]));
        var run = await new EvalHistory(t.Store, Developer, t.Time).RecordAsync(Report("run-7", t.Time.GetUtcNow()));
        var evidence = EvalHistory.ToEvidence(run);

        await t.Registry(Developer).RequestApprovalAsync("tiny", version.Version, new ApprovalDecision("eval attached", [evidence]));
        var request = Assert.Single(await t.Registry(Viewer).ListApprovalEventsAsync("tiny", version.Version));
        var attached = Assert.Single(request.Evidence);
        Assert.Equal(("evaluation", "eval-run:run-7"), (attached.Kind, attached.Reference));
        Assert.Contains("1/3 passed", attached.Summary, StringComparison.Ordinal);
        Assert.Contains("gate failed", attached.Summary, StringComparison.Ordinal);
    }
}

public sealed class SqliteEvalHistoryConformanceTests : EvalHistoryConformanceTests
{
    protected override Task<StoreUnderTest> StartAsync() => StoreUnderTest.SqliteAsync();
}

public sealed class PostgresEvalHistoryConformanceTests : EvalHistoryConformanceTests
{
    protected override Task<StoreUnderTest> StartAsync() => StoreUnderTest.PostgresAsync();
}
