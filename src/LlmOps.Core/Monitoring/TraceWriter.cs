using System.Threading.Channels;
using LlmOps.DataPrep.Pii;
using LlmOps.Storage;

namespace LlmOps.Monitoring;

/// <summary>Settings of the trace writer and of trace retention.</summary>
public sealed class TraceStoreOptions
{
    /// <summary>Store trace records at all; off, the gateway keeps no traces (a benchmark's baseline, a privacy setting).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Records waiting to be written; above this, new records are dropped and counted (the gateway keeps answering).</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Most records written in one transaction.</summary>
    public int BatchSize { get; set; } = 2_000;

    /// <summary>How long the writer lets records gather before it writes a batch smaller than <see cref="BatchSize"/>
    /// (fewer, larger transactions: less CPU taken from the request path). A flush does not wait for it.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Records older than this are deleted (null: kept).</summary>
    public TimeSpan? MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Only the newest this many records are kept (null: no limit).</summary>
    public long? MaxRecords { get; set; } = 5_000_000;

    /// <summary>How often retention runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    public void Validate()
    {
        if (QueueCapacity < 1) throw new InvalidInputException("traces.queueCapacity", "must be at least 1.");
        if (BatchSize < 1) throw new InvalidInputException("traces.batchSize", "must be at least 1.");
        if (FlushInterval < TimeSpan.Zero || FlushInterval > TimeSpan.FromSeconds(30)) throw new InvalidInputException("traces.flushInterval", "must be between 0 and 30 seconds.");
        if (MaxAge is { } age && age < TimeSpan.FromMinutes(1)) throw new InvalidInputException("traces.maxAge", "must be at least 1 minute.");
        if (MaxRecords is { } max && max < 1) throw new InvalidInputException("traces.maxRecords", "must be at least 1.");
        if (RetentionInterval < TimeSpan.FromSeconds(1)) throw new InvalidInputException("traces.retentionInterval", "must be at least 1 second.");
    }
}

/// <summary>The durable trace sink: records go into a bounded queue on the request path (never waiting) and a single writer
/// stores them in batches, one transaction each, off the request path — redacting PII and pricing them on the way.
/// A full queue drops the new record and counts it; a batch the store keeps refusing is retried with back-off, then dropped and counted.</summary>
public sealed class TraceWriter : ITraceSink, ITraceQuery
{
    static readonly TimeSpan PriceRefresh = TimeSpan.FromSeconds(30);
    const int MaxAttempts = 8;

    readonly IStore store;
    readonly TraceStoreOptions options;
    readonly TimeProvider time;
    readonly Action<Exception>? onWriteError;
    readonly Channel<TraceRecord> queue;
    readonly PiiRedaction redaction = new(new PiiRedactionOptions());
    readonly Lock progressGate = new();
    TaskCompletionSource progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    TaskCompletionSource flushRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    long enqueued, written, droppedFull, droppedFailed, completed;
    Dictionary<string, ModelPrice> prices = new(StringComparer.Ordinal);
    DateTimeOffset pricesLoaded = DateTimeOffset.MinValue;

    public TraceWriter(IStore store, TraceStoreOptions options, TimeProvider time, Action<Exception>? onWriteError = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.store = store;
        this.options = options;
        this.time = time;
        this.onWriteError = onWriteError;
        queue = Channel.CreateBounded<TraceRecord>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of waiting: we count the drop.
        });
    }

    /// <summary>Raised on the writer's loop after each stored batch, with the records as stored (redacted, priced).</summary>
    public event Action<IReadOnlyList<TraceRecord>>? Stored;

    /// <summary>Records waiting in the queue.</summary>
    public int QueueDepth => queue.Reader.Count;

    public int QueueCapacity => options.QueueCapacity;

    /// <summary>Records stored (a repeated id and shadow flag is stored once).</summary>
    public long Written => Interlocked.Read(ref written);

    /// <summary>Records dropped because the queue was full.</summary>
    public long DroppedQueueFull => Interlocked.Read(ref droppedFull);

    /// <summary>Records dropped because the store refused their batch after every retry.</summary>
    public long DroppedWriteFailed => Interlocked.Read(ref droppedFailed);

    public ValueTask RecordAsync(TraceRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!options.Enabled) return ValueTask.CompletedTask;
        if (queue.Writer.TryWrite(record)) Interlocked.Increment(ref enqueued);
        else Interlocked.Increment(ref droppedFull);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes batches until <paramref name="stoppingToken"/> fires, then writes what is still queued.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var batch = new List<TraceRecord>(options.BatchSize);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await LingerAsync(stoppingToken);
                await DrainAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: store what is queued, without waiting on back-off.
        }
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await DrainAsync(batch, last.Token);
        }
        catch (OperationCanceledException)
        {
            // The store did not answer in time; what is left is lost with the process.
        }
    }

    /// <summary>Lets a batch gather for up to the flush interval, unless it is already full or someone waits on a flush.</summary>
    async Task LingerAsync(CancellationToken cancellationToken)
    {
        if (options.FlushInterval <= TimeSpan.Zero || queue.Reader.Count >= options.BatchSize) return;
        Task flush;
        lock (progressGate) flush = flushRequested.Task;
        var linger = Task.Delay(options.FlushInterval, time, cancellationToken);
        await Task.WhenAny(linger, flush);
        cancellationToken.ThrowIfCancellationRequested();
    }

    async Task DrainAsync(List<TraceRecord> batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            batch.Clear();
            while (batch.Count < options.BatchSize && queue.Reader.TryRead(out var record)) batch.Add(record);
            if (batch.Count == 0) return;
            await WriteAsync(batch, cancellationToken);
        }
    }

    async Task WriteAsync(List<TraceRecord> batch, CancellationToken cancellationToken)
    {
        await RefreshPricesAsync(cancellationToken);
        var prepared = batch.Select(Prepare).ToList();
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = await store.OpenAsync(write: true, cancellationToken);
                var inserted = await session.Traces.AppendAsync(prepared, cancellationToken);
                await session.Traces.AddKeyUsageAsync(UsageOf(prepared), time.GetUtcNow(), cancellationToken);
                await session.CommitAsync(cancellationToken);
                Interlocked.Add(ref written, inserted); // a record already stored (an OTLP retry) is not stored twice
                Stored?.Invoke(prepared);
                break;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                onWriteError?.Invoke(exception);
                if (attempt == MaxAttempts)
                {
                    Interlocked.Add(ref droppedFailed, prepared.Count);
                    break;
                }
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
        Interlocked.Add(ref completed, prepared.Count);
        lock (progressGate)
        {
            progress.TrySetResult();
            progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (flushRequested.Task.IsCompleted) flushRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>What each key used in a batch: answers of the gateway (not shadow copies, not application spans).</summary>
    static List<KeyUsage> UsageOf(List<TraceRecord> batch) =>
        [.. batch.Where(r => r.Source == TraceSources.Gateway && !r.Shadow).GroupBy(r => r.KeyId, StringComparer.Ordinal)
            .Select(g => new KeyUsage(g.Key, g.Count(), g.Sum(r => (long)r.PromptTokens), g.Sum(r => (long)r.CompletionTokens), g.Sum(r => r.Cost ?? 0)))];

    TraceRecord Prepare(TraceRecord record)
    {
        if (record.RedactPii)
        {
            record = record with
            {
                Prompt = record.Prompt is null ? null : redaction.Redact(record.Prompt),
                Completion = record.Completion is null ? null : redaction.Redact(record.Completion),
                RedactPii = false,
            };
        }
        if (record.Cost is null && prices.Count > 0 && prices.TryGetValue(ModelOf(record.Version), out var price))
            record = record with { Cost = price.CostOf(record.PromptTokens, record.CompletionTokens, record.TotalTime) };
        return record;
    }

    static string ModelOf(string version)
    {
        var slash = version.LastIndexOf('/');
        return slash > 0 ? version[..slash] : version;
    }

    async Task RefreshPricesAsync(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - pricesLoaded < PriceRefresh) return;
        try
        {
            await using var session = await store.OpenAsync(write: false, cancellationToken);
            prices = (await session.Traces.ListPricesAsync(cancellationToken)).ToDictionary(p => p.Model, StringComparer.Ordinal);
            pricesLoaded = time.GetUtcNow();
        }
        catch (StorageException exception)
        {
            onWriteError?.Invoke(exception); // keep the old table; try again next batch
        }
    }

    /// <summary>Makes the next batch read the price table again (after a price changed in this process).</summary>
    public void InvalidatePrices() => pricesLoaded = DateTimeOffset.MinValue;

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref enqueued);
        while (Interlocked.Read(ref completed) < target)
        {
            Task next;
            lock (progressGate)
            {
                next = progress.Task;
                flushRequested.TrySetResult(); // the writer stops lingering
            }
            if (Interlocked.Read(ref completed) >= target) break;
            await next.WaitAsync(TimeSpan.FromMilliseconds(200), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public async Task<IReadOnlyList<TraceRecord>> SearchAsync(TraceFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Traces.SearchAsync(filter.Validate(), withContent: true, cancellationToken);
    }

    public async Task<IReadOnlyList<TraceRecord>> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Traces.GetAsync(id, cancellationToken);
    }

    /// <summary>Deletes records past the age and count limits, a slice per transaction; returns how many.</summary>
    public async Task<int> ApplyRetentionAsync(CancellationToken cancellationToken = default)
    {
        const int Slice = 10_000;
        var deleted = 0;
        DateTimeOffset? cutoff = options.MaxAge is { } age ? time.GetUtcNow() - age : null;
        if (options.MaxRecords is { } max)
        {
            await using var look = await store.OpenAsync(write: false, cancellationToken);
            if (await look.Traces.NthNewestAsync(max, cancellationToken) is { } nth)
                cutoff = cutoff is { } c && c > nth.AddMilliseconds(1) ? c : nth.AddMilliseconds(1);
        }
        if (cutoff is not { } before) return 0;
        while (true)
        {
            await using var session = await store.OpenAsync(write: true, cancellationToken);
            var slice = await session.Traces.DeleteBeforeAsync(before, Slice, cancellationToken);
            await session.CommitAsync(cancellationToken);
            deleted += slice;
            if (slice < Slice) return deleted;
        }
    }
}
