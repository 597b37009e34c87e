namespace LlmOps.Monitoring;

/// <summary>Where every gateway request leaves its trace record. The monitoring feature stores and queries them;
/// until then <see cref="InMemoryTraceSink"/> keeps the recent ones.</summary>
public interface ITraceSink
{
    /// <summary>Records one trace; must be cheap (called on the request path) and must not throw for a full buffer.</summary>
    ValueTask RecordAsync(TraceRecord record, CancellationToken cancellationToken = default);
}

/// <summary>Keeps the most recent trace records in memory (a bounded ring), newest last.</summary>
public sealed class InMemoryTraceSink(int capacity = 10_000) : ITraceSink
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

    /// <summary>A copy of the records held, oldest first.</summary>
    public IReadOnlyList<TraceRecord> Snapshot()
    {
        lock (gate) return [.. records];
    }
}
