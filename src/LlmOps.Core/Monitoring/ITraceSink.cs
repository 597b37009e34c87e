namespace LlmOps.Monitoring;

/// <summary>Where every gateway request (and every span an application sends) leaves its trace record.</summary>
public interface ITraceSink
{
    /// <summary>Records one trace; must be cheap (called on the request path) and must not throw or wait when the sink is full.</summary>
    ValueTask RecordAsync(TraceRecord record, CancellationToken cancellationToken = default);
}

/// <summary>Reads trace records back (the canary watch, the monitoring API).</summary>
public interface ITraceQuery
{
    /// <summary>Records matching <paramref name="filter"/>, newest first, with their prompt and response text.</summary>
    Task<IReadOnlyList<TraceRecord>> SearchAsync(TraceFilter filter, CancellationToken cancellationToken = default);

    /// <summary>The records of one id: the answer and its shadow copy, if any; empty when the id is unknown.</summary>
    Task<IReadOnlyList<TraceRecord>> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Waits until every record handed to the sink before this call is stored (or counted as dropped).</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
