using LlmOps.Identity;
using LlmOps.Monitoring;
using LlmOps.Storage;
using static LlmOps.IntegrationTests.Storage.StoreUnderTest;

namespace LlmOps.IntegrationTests.Storage;

/// <summary>The trace store on both databases: the batched writer, queries, the queue bound, redaction, prices, retention, feedback.</summary>
public abstract class TraceStoreConformanceTests
{
    protected abstract Task<StoreUnderTest> StartAsync();

    static TraceRecord Record(string id, DateTimeOffset at, string deployment = "chat@prod", string version = "tiny/1", string status = TraceStatus.Ok,
        int totalMs = 100, bool shadow = false, string? prompt = null, string? completion = null, string key = "key-1") =>
        new(id, deployment, 1, version, key, "chat.completions", shadow, [], TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(totalMs / 4.0),
            TimeSpan.FromMilliseconds(totalMs), 10, 20, status, status == TraceStatus.Error ? "boom" : null, completion, at)
        { Prompt = prompt };

    sealed class RunningWriter : IAsyncDisposable
    {
        readonly CancellationTokenSource stop = new();
        readonly Task loop;

        public RunningWriter(StoreUnderTest t, TraceStoreOptions? options = null)
        {
            Writer = new TraceWriter(t.Store, options ?? new TraceStoreOptions(), t.Time);
            loop = Writer.RunAsync(stop.Token);
        }

        public TraceWriter Writer { get; }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await loop;
            stop.Dispose();
        }
    }

    [SkippableFact]
    public async Task Writer_StoresBatches_QueriesFilterAndRoundTrip()
    {
        await using var t = await StartAsync();
        await using var running = new RunningWriter(t);
        var writer = running.Writer;
        var now = t.Time.GetUtcNow();
        for (var i = 0; i < 500; i++)
        {
            await writer.RecordAsync(Record($"r{i:D3}", now.AddSeconds(-i), deployment: i % 2 == 0 ? "chat@prod" : "chat@qa",
                status: i % 10 == 0 ? TraceStatus.Error : TraceStatus.Ok, prompt: $"question {i}", completion: i == 7 ? "the Answer is 42" : "ok"));
        }
        await writer.RecordAsync(Record("r007", now.AddSeconds(-7), shadow: true, version: "tiny/2", completion: "shadow says no") with
        {
            FallbackFrom = ["tiny/3"], TraceId = new string('a', 32), SpanId = new string('b', 16),
            Attributes = new Dictionary<string, string> { ["gen_ai.request.temperature"] = "0.2" },
        });
        await writer.RecordAsync(Record("r001", now)); // the same (id, shadow) again: skipped
        await writer.FlushAsync();

        Assert.Equal(501, writer.Written); // the repeated r001 is stored once
        Assert.Equal(0, writer.DroppedQueueFull);
        var prod = await writer.SearchAsync(new TraceFilter(Deployment: "chat@prod", Limit: 1000));
        Assert.Equal(250, prod.Count);
        Assert.Equal("r000", prod[0].Id); // newest first
        Assert.Equal(50, (await writer.SearchAsync(new TraceFilter(Deployment: "chat@prod", Status: TraceStatus.Error, Limit: 1000))).Count);
        Assert.Equal(["r007"], (await writer.SearchAsync(new TraceFilter(Text: "answer IS 42"))).Select(r => r.Id));
        Assert.Equal(10, (await writer.SearchAsync(new TraceFilter(Since: now.AddSeconds(-9), Until: now.AddSeconds(1)))).Count);
        Assert.Equal(3, (await writer.SearchAsync(new TraceFilter(Limit: 3))).Count);

        var both = await writer.GetAsync("r007");
        Assert.Equal(2, both.Count);
        var primary = Assert.Single(both, r => !r.Shadow);
        Assert.Equal("question 7", primary.Prompt);
        Assert.Equal(TimeSpan.FromMilliseconds(25), primary.TimeToFirstToken);
        var shadowCopy = Assert.Single(both, r => r.Shadow);
        Assert.Equal(["tiny/3"], shadowCopy.FallbackFrom);
        Assert.Equal(new string('a', 32), shadowCopy.TraceId);
        Assert.Equal("0.2", shadowCopy.Attributes!["gen_ai.request.temperature"]);
        Assert.Equal(now.AddSeconds(-7).ToUnixTimeMilliseconds(), shadowCopy.At.ToUnixTimeMilliseconds());
        Assert.Empty(await writer.GetAsync("nope"));
        Assert.Single(await writer.SearchAsync(new TraceFilter(TraceId: new string('a', 32), IncludeShadow: true)));
    }

    [SkippableFact]
    public async Task Writer_QueueFullWhileStoreBlocked_NothingLostBelowBoundAndDropsCountedExactly()
    {
        await using var t = await StartAsync();
        await using var running = new RunningWriter(t, new TraceStoreOptions { QueueCapacity = 100, BatchSize = 10 });
        var writer = running.Writer;
        var now = t.Time.GetUtcNow();
        var blocker = await t.Store.OpenAsync(write: true); // holds the writer lock: the trace writer cannot store anything
        for (var i = 0; i < 100; i++) await writer.RecordAsync(Record($"a{i}", now));
        await Task.Delay(200);
        Assert.Equal(0, writer.DroppedQueueFull); // up to the bound nothing is dropped
        for (var i = 0; i < 100; i++) await writer.RecordAsync(Record($"b{i}", now));
        var dropped = writer.DroppedQueueFull;
        Assert.InRange(dropped, 90, 100); // the writer took at most one batch out of the queue before it blocked
        await blocker.DisposeAsync();
        await writer.FlushAsync();

        var stored = await t.ScalarRawAsync<long>("SELECT COUNT(*) FROM traces");
        Assert.Equal(200 - dropped, stored); // every record not counted as dropped is stored
        Assert.Equal(stored, writer.Written);
        Assert.Equal(100, await t.ScalarRawAsync<long>("SELECT COUNT(*) FROM traces WHERE id LIKE 'a%'"));
    }

    [SkippableFact]
    public async Task Writer_RedactsWhenAskedAndPricesFromTheTable()
    {
        await using var t = await StartAsync();
        var monitoring = new MonitoringService(t.Store, new TraceWriter(t.Store, new TraceStoreOptions(), t.Time), Developer, t.Time);
        await monitoring.SetPriceAsync("tiny", new PriceInput(InputPer1K: 0.5, OutputPer1K: 1.5));
        await using var running = new RunningWriter(t);
        var now = t.Time.GetUtcNow();
        await running.Writer.RecordAsync(Record("p1", now, prompt: "mail me at jane.doe@example.com", completion: "call +1 415 555 0100") with { RedactPii = true });
        await running.Writer.RecordAsync(Record("p2", now, version: "other/1", prompt: "jane.doe@example.com"));
        await running.Writer.FlushAsync();

        var redacted = Assert.Single(await running.Writer.GetAsync("p1"));
        Assert.DoesNotContain("jane.doe@example.com", redacted.Prompt, StringComparison.Ordinal);
        Assert.Contains("<EMAIL>", redacted.Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("555 0100", redacted.Completion, StringComparison.Ordinal);
        Assert.Equal(10 / 1000.0 * 0.5 + 20 / 1000.0 * 1.5, redacted.Cost!.Value, 12);
        var plain = Assert.Single(await running.Writer.GetAsync("p2"));
        Assert.Equal("jane.doe@example.com", plain.Prompt); // not asked to redact
        Assert.Null(plain.Cost); // no price for "other"
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => monitoring.SetPriceAsync("tiny", new PriceInput(InputPer1K: -1)));
        Assert.Equal("inputPer1K", error.Field);
    }

    [SkippableFact]
    public async Task Retention_DeletesByAgeAndKeepsTheNewestByCount()
    {
        await using var t = await StartAsync();
        await using var running = new RunningWriter(t, new TraceStoreOptions { MaxAge = TimeSpan.FromDays(1), MaxRecords = 30 });
        var now = t.Time.GetUtcNow();
        for (var i = 0; i < 20; i++) await running.Writer.RecordAsync(Record($"old{i}", now.AddDays(-2).AddMinutes(i)));
        for (var i = 0; i < 40; i++) await running.Writer.RecordAsync(Record($"new{i:D2}", now.AddMinutes(-i)));
        await running.Writer.FlushAsync();

        var deleted = await running.Writer.ApplyRetentionAsync();

        Assert.Equal(30, deleted);
        var left = await running.Writer.SearchAsync(new TraceFilter(Limit: 1000));
        Assert.Equal(30, left.Count);
        Assert.All(left, r => Assert.StartsWith("new", r.Id, StringComparison.Ordinal));
        Assert.Equal("new29", left[^1].Id); // the 30 newest stay
        Assert.Equal(0, await running.Writer.ApplyRetentionAsync());
    }

    [SkippableFact]
    public async Task Feedback_UnknownTraceRefused_SummariesPerVersion_StatsPercentiles()
    {
        await using var t = await StartAsync();
        await using var running = new RunningWriter(t);
        var now = t.Time.GetUtcNow();
        for (var i = 1; i <= 100; i++)
            await running.Writer.RecordAsync(Record($"t{i}", now.AddSeconds(-i), version: i <= 50 ? "tiny/1" : "tiny/2", totalMs: i * 10,
                status: i % 4 == 0 ? TraceStatus.Error : TraceStatus.Ok));
        var monitoring = new MonitoringService(t.Store, running.Writer, Viewer, t.Time);
        await running.Writer.FlushAsync();
        await using (var session = await t.Store.OpenAsync(write: false))
        {
            Assert.Equal(new KeyUsage("key-1", 100, 1000, 2000), await session.Traces.GetKeyUsageAsync("key-1")); // durable usage per key
            Assert.Equal(0, (await session.Traces.GetKeyUsageAsync("nobody")).Requests);
        }

        await Assert.ThrowsAsync<NotFoundException>(() => monitoring.AddFeedbackAsync("no-such-trace", new FeedbackInput(Score: 1)));
        Assert.Equal("score", (await Assert.ThrowsAsync<InvalidInputException>(() => monitoring.AddFeedbackAsync("t1", new FeedbackInput()))).Field);
        await monitoring.AddFeedbackAsync("t1", new FeedbackInput(Score: 1, Label: "helpful"));
        await monitoring.AddFeedbackAsync("t2", new FeedbackInput(Score: 0, Label: "wrong", Comment: "made up"));
        await monitoring.AddFeedbackAsync("t60", new FeedbackInput(Score: 1));
        var summary = await monitoring.FeedbackSummaryAsync(null, null, null);
        var v1 = Assert.Single(summary, s => s.Version == "tiny/1");
        Assert.Equal(2, v1.Count);
        Assert.Equal(0.5, v1.AverageScore);
        Assert.Equal(1, v1.Labels["wrong"]);
        Assert.Equal(1.0, Assert.Single(summary, s => s.Version == "tiny/2").AverageScore);
        var detail = await monitoring.GetAsync("t2");
        Assert.Equal("made up", Assert.Single(detail.Feedback).Comment);

        var stats = await monitoring.StatsAsync(new TraceFilter(), null, TraceGroups.Version);
        var first = Assert.Single(stats, s => s.Group == "tiny/1");
        Assert.Equal(50, first.Requests);
        Assert.Equal(12, first.Errors);
        Assert.Equal(0.24, first.ErrorRate, 6);
        Assert.Equal(255, first.LatencyMs!.P50, 6); // 10..500 ms: type-7 median of 50 values
        Assert.Equal(495.1, first.LatencyMs.P99, 6);
        Assert.Equal(1000, first.CompletionTokens);
        var buckets = await monitoring.StatsAsync(new TraceFilter(Since: now.AddSeconds(-100), Until: now), TimeSpan.FromSeconds(50), null);
        Assert.Equal(2, buckets.Count);
        Assert.Equal(100, buckets.Sum(b => b.Requests));
    }

    /// <summary>The gateway's shape of concurrency: request threads open short read sessions while the trace writer, on its
    /// own thread, opens write sessions. Every session must have a connection of its own (Microsoft.Data.Sqlite's pool
    /// once lent one connection to two owners here: "Safety level may not be changed inside a transaction").</summary>
    [SkippableFact]
    public async Task Sessions_ReadersBesideWriterThread_NeverShareAConnection()
    {
        await using var t = await StartAsync();
        var now = t.Time.GetUtcNow();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var written = 0;
        var writer = BackgroundThread.Run("test trace writer", async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var session = await t.Store.OpenAsync(write: true);
                await session.Traces.AppendAsync([Record($"w{written}", now)]);
                await session.CommitAsync();
                written++;
            }
        });
        var reads = 0;
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var session = await t.Store.OpenAsync(write: false);
                await session.Traces.GetAsync("w0");
                Interlocked.Increment(ref reads);
            }
        })).ToList();

        await Task.WhenAll([writer, .. readers]); // any StorageException fails the test
        Assert.True(written > 10, $"{written} write sessions");
        Assert.True(reads > 100, $"{reads} read sessions");
        await using var check = await t.Store.OpenAsync(write: false);
        Assert.Equal(written, await check.Traces.CountAsync());
    }
}

public sealed class SqliteTraceStoreTests : TraceStoreConformanceTests

{
    protected override Task<StoreUnderTest> StartAsync() => StoreUnderTest.SqliteAsync();
}

public sealed class PostgresTraceStoreTests : TraceStoreConformanceTests
{
    protected override Task<StoreUnderTest> StartAsync() => StoreUnderTest.PostgresAsync();
}
