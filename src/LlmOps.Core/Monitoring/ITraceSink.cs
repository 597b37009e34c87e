namespace LlmOps.Monitoring;

/// <summary>Where every gateway request leaves its trace record. The monitoring feature stores and queries them;
/// until then <see cref="InMemoryTraceSink"/> keeps the recent ones.</summary>
public interface ITraceSink
{
    /// <summary>Records one trace; must be cheap (called on the request path) and must not throw for a full buffer.</summary>
    ValueTask RecordAsync(TraceRecord record, CancellationToken cancellationToken = default);
}

/// <summary>Reads trace records back (a canary watch, the monitoring queries).</summary>
public interface ITraceQuery
{
    /// <summary>Records of one deployment (<c>endpoint@environment</c>) that arrived at or after <paramref name="since"/>, oldest first.</summary>
    IReadOnlyList<TraceRecord> Query(string deployment, DateTimeOffset since);
}

/// <summary>Keeps the most recent trace records in memory (a bounded ring), newest last.</summary>
public sealed class InMemoryTraceSink(int capacity = 10_000) : ITraceSink, ITraceQuery
{
    readonly Lock gate = new();
    readonly Queue<TraceRecord> records = new();

    public ValueTask RecordAsync(TraceRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (gate)
        {
            if (records.Count == capacity) records.Dequeue();
            records.Enqueue(record);
        }
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<TraceRecord> Query(string deployment, DateTimeOffset since)
    {
        lock (gate) return [.. records.Where(r => r.Deployment == deployment && r.At >= since)];
    }

    /// <summary>A copy of the records held, oldest first.</summary>
    public IReadOnlyList<TraceRecord> Snapshot()
    {
        lock (gate) return [.. records];
    }
}
