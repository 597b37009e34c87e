using LlmOps.Audit;
using LlmOps.Identity;
using LlmOps.Storage;

namespace LlmOps.Monitoring;

/// <summary>The monitoring API's rules: trace queries and aggregates, feedback on traces, online scores and the price table.</summary>
public sealed class MonitoringService(IStore store, ITraceQuery traces, Actor actor, TimeProvider timeProvider)
{
    /// <summary>The scope area of monitoring.</summary>
    public const string Area = "monitoring";

    /// <summary>Most records one aggregate reads; a longer window is summarised from its newest this many.</summary>
    public const int MaxStatsRecords = 1_000_000;

    public const int MaxCommentLength = 4_000;

    public Task<IReadOnlyList<TraceRecord>> SearchAsync(TraceFilter filter, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        return traces.SearchAsync(filter, cancellationToken);
    }

    /// <summary>The records of one id, with their scores and feedback.</summary>
    public async Task<TraceDetail> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        var records = await FindAsync(id, cancellationToken);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return new TraceDetail(records,
            await session.Traces.ListScoresAsync(id, null, null, null, cancellationToken),
            await session.Traces.ListFeedbackAsync(id, null, null, null, cancellationToken));
    }

    /// <summary>The records of an id; a record still in the writer's queue is waited for once.</summary>
    async Task<IReadOnlyList<TraceRecord>> FindAsync(string id, CancellationToken cancellationToken)
    {
        var records = await traces.GetAsync(id, cancellationToken);
        if (records.Count > 0) return records;
        await traces.FlushAsync(cancellationToken);
        records = await traces.GetAsync(id, cancellationToken);
        return records.Count > 0 ? records : throw new NotFoundException("trace", id);
    }

    /// <summary>Aggregates per window (<paramref name="bucket"/>) and group over the filter's records.</summary>
    public async Task<IReadOnlyList<TraceStats>> StatsAsync(TraceFilter filter, TimeSpan? bucket, string? groupBy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        actor.Demand(Role.Viewer, Area, Access.Read);
        TraceGroups.Validate(groupBy);
        (filter with { Limit = 1 }).Validate();
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var records = await session.Traces.SearchAsync(filter with { Limit = MaxStatsRecords, IncludeShadow = false }, withContent: false, cancellationToken);
        return TraceStatistics.Compute(records, filter.Since, filter.Until, bucket, groupBy);
    }

    /// <summary>Records feedback on a trace. Unknown trace ids are refused (404).</summary>
    public async Task<TraceFeedback> AddFeedbackAsync(string traceId, FeedbackInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        actor.Demand(Role.Viewer, Area, Access.Write);
        if (input.Score is null && input.Label is null && input.Comment is null)
            throw new InvalidInputException("score", "give a score, a label or a comment.");
        if (input.Score is { } score && !double.IsFinite(score)) throw new InvalidInputException("score", "must be a finite number.");
        if (input.Label is { } label && (label.Length is 0 or > 64 || label.Any(char.IsControl)))
            throw new InvalidInputException("label", "must be 1 to 64 printable characters.");
        if (input.Comment is { Length: > MaxCommentLength }) throw new InvalidInputException("comment", $"at most {MaxCommentLength} characters.");
        var source = input.Source ?? "user";
        if (source.Length is 0 or > 32) throw new InvalidInputException("source", "must be 1 to 32 characters.");
        var trace = (await FindAsync(traceId, cancellationToken)).First(r => !r.Shadow);
        var feedback = new TraceFeedback("fb-" + Guid.CreateVersion7().ToString("N"), trace.Id, trace.Deployment, trace.Version, input.Score, input.Label, input.Comment,
            source, actor.Id, timeProvider.GetUtcNow());
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        await session.Traces.InsertFeedbackAsync(feedback, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return feedback;
    }

    /// <summary>Feedback per deployment and version over a window.</summary>
    public async Task<IReadOnlyList<FeedbackSummary>> FeedbackSummaryAsync(DateTimeOffset? since, DateTimeOffset? until, string? deployment, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        var feedback = await session.Traces.ListFeedbackAsync(null, since, until, deployment, cancellationToken);
        return Summarize(feedback);
    }

    public static IReadOnlyList<FeedbackSummary> Summarize(IEnumerable<TraceFeedback> feedback) =>
        feedback.GroupBy(f => (f.Deployment, f.Version)).OrderBy(g => g.Key.Deployment, StringComparer.Ordinal).ThenBy(g => g.Key.Version, StringComparer.Ordinal)
            .Select(g =>
            {
                var scored = g.Where(f => f.Score is not null).ToList();
                return new FeedbackSummary(g.Key.Deployment, g.Key.Version, g.Count(), scored.Count, scored.Count == 0 ? null : scored.Average(f => f.Score!.Value),
                    g.Where(f => f.Label is not null).GroupBy(f => f.Label!).OrderBy(l => l.Key, StringComparer.Ordinal).ToDictionary(l => l.Key, l => l.Count()));
            }).ToList();

    /// <summary>Online evaluation scores per deployment, version and assertion over a window.</summary>
    public async Task<IReadOnlyList<ScoreSummary>> ScoreSummaryAsync(DateTimeOffset? since, DateTimeOffset? until, string? deployment, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return SummarizeScores(await session.Traces.ListScoresAsync(null, since, until, deployment, cancellationToken));
    }

    public static IReadOnlyList<ScoreSummary> SummarizeScores(IEnumerable<TraceScore> scores) =>
        scores.GroupBy(s => (s.Deployment, s.Version, s.Name))
            .OrderBy(g => g.Key.Deployment, StringComparer.Ordinal).ThenBy(g => g.Key.Version, StringComparer.Ordinal).ThenBy(g => g.Key.Name, StringComparer.Ordinal)
            .Select(g => new ScoreSummary(g.Key.Deployment, g.Key.Version, g.Key.Name, g.Count(), g.Average(s => s.Score), g.Count(s => s.Passed) / (double)g.Count()))
            .ToList();

    public async Task<IReadOnlyList<ModelPrice>> ListPricesAsync(CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Traces.ListPricesAsync(cancellationToken);
    }

    /// <summary>Sets the price of every version of a registry model (audited).</summary>
    public async Task<ModelPrice> SetPriceAsync(string model, PriceInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        actor.Demand(Role.Developer, Area, Access.Write);
        Registry.ModelRegistry.ValidateName(model, "model");
        var price = new ModelPrice(model, input.InputPer1K, input.OutputPer1K, input.PerHour,
            DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds()), actor.Id).Validate();
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var before = (await session.Traces.ListPricesAsync(cancellationToken)).FirstOrDefault(p => p.Model == model);
        await session.Traces.UpsertPriceAsync(price, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "price.set", "model", model, before, price, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return price;
    }

    public async Task RemovePriceAsync(string model, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Developer, Area, Access.Write);
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        var before = (await session.Traces.ListPricesAsync(cancellationToken)).FirstOrDefault(p => p.Model == model) ?? throw new NotFoundException("price", model);
        await session.Traces.DeletePriceAsync(model, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "price.remove", "model", model, before, null, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }
}

/// <summary>A trace with what was said about it.</summary>
public sealed record TraceDetail(IReadOnlyList<TraceRecord> Records, IReadOnlyList<TraceScore> Scores, IReadOnlyList<TraceFeedback> Feedback);

/// <summary>Body of a feedback post.</summary>
public sealed record FeedbackInput(double? Score = null, string? Label = null, string? Comment = null, string? Source = null);

/// <summary>Body of a price change.</summary>
public sealed record PriceInput(double? InputPer1K = null, double? OutputPer1K = null, double? PerHour = null);
