using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using LlmOps.Monitoring;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlTraceRecords(SqlSession session) : ITraceRecords
{
    const string LightColumns = """
        id, shadow, source, at, deployment, revision, version, key_id, route, status, error, fallback_from, queue_ms, ttft_ms, total_ms,
        prompt_tokens, completion_tokens, cost, trace_id, span_id, parent_span_id, operation, service
        """;
    const string ContentColumns = "prompt, completion, attributes";
    const int ColumnCount = 26;
    static readonly string InsertOne = BuildInsert();

    public async Task<int> AppendAsync(IReadOnlyList<TraceRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return 0;
        return session.Connection is NpgsqlConnection postgres
            ? await AppendByCopyAsync(postgres, records, cancellationToken)
            : await AppendOneByOneAsync(records, cancellationToken);
    }

    static readonly NpgsqlDbType[] CopyTypes =
    [
        NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Double, NpgsqlDbType.Double,
        NpgsqlDbType.Double, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Double, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
    ];

    /// <summary>PostgreSQL: binary COPY into a session temporary table, then one INSERT … SELECT that skips ids already stored
    /// (COPY itself cannot skip conflicts). A statement per batch instead of a round trip per row.</summary>
    async Task<int> AppendByCopyAsync(NpgsqlConnection connection, IReadOnlyList<TraceRecord> records, CancellationToken cancellationToken)
    {
        const string Columns = LightColumns + ", " + ContentColumns;
        await session.ExecuteAsync("CREATE TEMP TABLE IF NOT EXISTS traces_incoming (LIKE traces) ON COMMIT DELETE ROWS", null, cancellationToken);
        await session.Store.Guard(async () =>
        {
            await using var importer = await connection.BeginBinaryImportAsync($"COPY traces_incoming ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var record in records)
            {
                await importer.StartRowAsync(cancellationToken);
                var values = Values(record);
                for (var column = 0; column < values.Length; column++)
                {
                    if (values[column] is { } value) await importer.WriteAsync(value, CopyTypes[column], cancellationToken);
                    else await importer.WriteNullAsync(cancellationToken);
                }
            }
            await importer.CompleteAsync(cancellationToken);
        });
        var inserted = await session.ExecuteAsync($"INSERT INTO traces ({Columns}) SELECT {Columns} FROM traces_incoming ON CONFLICT (id, shadow) DO NOTHING", null, cancellationToken);
        await session.ExecuteAsync("DELETE FROM traces_incoming", null, cancellationToken);
        return inserted;
    }

    /// <summary>SQLite: one prepared single-row statement rebound per record. In process, a statement is cheap; a multi-row one
    /// is not (SQLite looks parameters up by name one by one, quadratic in their number).</summary>
    async Task<int> AppendOneByOneAsync(IReadOnlyList<TraceRecord> records, CancellationToken cancellationToken)
    {
        await using var command = session.CreateCommand(InsertOne);
        command.Prepare();
        var inserted = 0;
        for (var i = 0; i < records.Count; i++)
        {
            if (i == 0) Bind(command, records[i]);
            else Rebind(command, records[i]);
            // Microsoft.Data.Sqlite runs statements synchronously whatever the call; the async wrapper per row only costs.
            inserted += await session.Store.Guard(() => Task.FromResult(command.ExecuteNonQuery()));
        }
        return inserted;
    }

    static string BuildInsert() =>
        $"INSERT INTO traces ({LightColumns}, {ContentColumns}) VALUES ({string.Join(", ", Enumerable.Range(0, ColumnCount).Select(c => $"@p0_{c}"))}) ON CONFLICT (id, shadow) DO NOTHING";

    static void Bind(DbCommand command, TraceRecord r)
    {
        var values = Values(r);
        for (var column = 0; column < values.Length; column++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"@p0_{column}";
            Set(parameter, column, values[column]);
            command.Parameters.Add(parameter);
        }
    }

    static void Rebind(DbCommand command, TraceRecord r)
    {
        var values = Values(r);
        for (var column = 0; column < values.Length; column++) Set(command.Parameters[column], column, values[column]);
    }

    static void Set(DbParameter parameter, int column, object? value)
    {
        parameter.ResetDbType();
        parameter.Value = value ?? DBNull.Value;
        if (value is null) parameter.DbType = column is 12 or 13 or 17 ? System.Data.DbType.Double : System.Data.DbType.String;
    }

    static object?[] Values(TraceRecord r) =>
        [
            r.Id, r.Shadow ? 1 : 0, r.Source, Millis(r.At), r.Deployment, r.Revision, r.Version, r.KeyId, r.Route, r.Status, r.Error,
            r.FallbackFrom.Count == 0 ? null : Write(r.FallbackFrom), r.QueueTime?.TotalMilliseconds, r.TimeToFirstToken?.TotalMilliseconds,
            r.TotalTime.TotalMilliseconds, r.PromptTokens, r.CompletionTokens, r.Cost, r.TraceId, r.SpanId, r.ParentSpanId, r.Operation, r.Service,
            r.Prompt, r.Completion, r.Attributes is { Count: > 0 } a ? Write(a) : null,
        ];

    public async Task<IReadOnlyList<TraceRecord>> SearchAsync(TraceFilter filter, bool withContent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var where = new List<string>();
        if (!filter.IncludeShadow) where.Add("shadow = 0");
        if (filter.Since is not null) where.Add("at >= @Since");
        if (filter.Until is not null) where.Add("at < @Until");
        if (filter.Deployment is not null) where.Add("deployment = @Deployment");
        if (filter.Version is not null) where.Add("version = @Version");
        if (filter.KeyId is not null) where.Add("key_id = @KeyId");
        if (filter.Status is not null) where.Add("status = @Status");
        if (filter.Source is not null) where.Add("source = @Source");
        if (filter.TraceId is not null) where.Add("trace_id = @TraceId");
        if (filter.Text is not null)
            where.Add("(LOWER(COALESCE(prompt, '')) LIKE @Text OR LOWER(COALESCE(completion, '')) LIKE @Text OR LOWER(COALESCE(error, '')) LIKE @Text OR LOWER(COALESCE(operation, '')) LIKE @Text)");
        var sql = $"""
            SELECT {LightColumns}{(withContent ? ", " + ContentColumns : "")} FROM traces
            {(where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where))}
            ORDER BY at DESC, id DESC LIMIT @Limit
            """;
        var rows = await session.QueryAsync<Row>(sql, new
        {
            Since = filter.Since is { } s ? Millis(s) : 0,
            Until = filter.Until is { } u ? Millis(u) : 0,
            filter.Deployment, filter.Version, filter.KeyId, filter.Status, filter.Source, filter.TraceId,
            Text = filter.Text is null ? null : "%" + filter.Text.ToLowerInvariant() + "%",
            filter.Limit,
        }, cancellationToken);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<TraceRecord>> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<Row>($"SELECT {LightColumns}, {ContentColumns} FROM traces WHERE id = @id ORDER BY shadow", new { id }, cancellationToken))
            .Select(r => r.ToRecord()).ToList();

    public async Task<int> DeleteBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default)
    {
        var at = Millis(cutoff);
        // Oldest first, at most max rows per call, so one retention pass never holds the writer lock for long.
        var deleted = await session.ExecuteAsync("""
            DELETE FROM traces WHERE at < @at AND at <= (SELECT COALESCE(MAX(at), -1) FROM (SELECT at FROM traces WHERE at < @at ORDER BY at LIMIT @max) oldest)
            """, new { at, max }, cancellationToken);
        await session.ExecuteAsync("DELETE FROM trace_scores WHERE at < @at", new { at }, cancellationToken);
        return deleted;
    }

    public async Task<DateTimeOffset?> NthNewestAsync(long keep, CancellationToken cancellationToken = default)
    {
        var at = await session.QuerySingleOrDefaultAsync<long?>("SELECT at FROM traces ORDER BY at DESC LIMIT 1 OFFSET @keep", new { keep }, cancellationToken);
        return at is { } millis ? Time(millis) : null;
    }

    public Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        session.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM traces", null, cancellationToken);

    public Task InsertFeedbackAsync(TraceFeedback feedback, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO trace_feedback (id, trace_id, deployment, version, score, label, comment, source, created_by, at)
            VALUES (@Id, @TraceId, @Deployment, @Version, @Score, @Label, @Comment, @Source, @CreatedBy, @At)
            """,
            new
            {
                feedback.Id, feedback.TraceId, feedback.Deployment, feedback.Version, feedback.Score, feedback.Label, feedback.Comment,
                feedback.Source, feedback.CreatedBy, At = Millis(feedback.At),
            }, cancellationToken);

    public async Task<IReadOnlyList<TraceFeedback>> ListFeedbackAsync(string? traceId, DateTimeOffset? since, DateTimeOffset? until, string? deployment, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<FeedbackRow>($"""
            SELECT id, trace_id, deployment, version, score, label, comment, source, created_by, at FROM trace_feedback
            WHERE {Window(traceId, since, until, deployment)} ORDER BY at
            """, WindowParameters(traceId, since, until, deployment), cancellationToken))
            .Select(r => new TraceFeedback(r.Id, r.TraceId, r.Deployment, r.Version, r.Score, r.Label, r.Comment, r.Source, r.CreatedBy, Time(r.At))).ToList();

    public async Task UpsertScoresAsync(IReadOnlyList<TraceScore> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        foreach (var score in scores)
        {
            await session.ExecuteAsync("""
                INSERT INTO trace_scores (trace_id, name, score, passed, reason, deployment, version, at)
                VALUES (@TraceId, @Name, @Score, @Passed, @Reason, @Deployment, @Version, @At)
                ON CONFLICT (trace_id, name) DO UPDATE SET score = excluded.score, passed = excluded.passed, reason = excluded.reason, at = excluded.at
                """,
                new { score.TraceId, score.Name, score.Score, Passed = score.Passed ? 1 : 0, score.Reason, score.Deployment, score.Version, At = Millis(score.At) },
                cancellationToken);
        }
    }

    public async Task<IReadOnlyList<TraceScore>> ListScoresAsync(string? traceId, DateTimeOffset? since, DateTimeOffset? until, string? deployment, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<ScoreRow>($"""
            SELECT trace_id, name, score, passed, reason, deployment, version, at FROM trace_scores
            WHERE {Window(traceId, since, until, deployment)} ORDER BY at, name
            """, WindowParameters(traceId, since, until, deployment), cancellationToken))
            .Select(r => new TraceScore(r.TraceId, r.Name, r.Score, r.Passed != 0, r.Reason, r.Deployment, r.Version, Time(r.At))).ToList();

    static string Window(string? traceId, DateTimeOffset? since, DateTimeOffset? until, string? deployment)
    {
        var where = new List<string> { "1 = 1" };
        if (traceId is not null) where.Add("trace_id = @TraceId");
        if (since is not null) where.Add("at >= @Since");
        if (until is not null) where.Add("at < @Until");
        if (deployment is not null) where.Add("deployment = @Deployment");
        return string.Join(" AND ", where);
    }

    static object WindowParameters(string? traceId, DateTimeOffset? since, DateTimeOffset? until, string? deployment) => new
    {
        TraceId = traceId,
        Since = since is { } s ? Millis(s) : 0,
        Until = until is { } u ? Millis(u) : 0,
        Deployment = deployment,
    };

    public async Task AddKeyUsageAsync(IReadOnlyList<KeyUsage> usage, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        foreach (var u in usage)
        {
            await session.ExecuteAsync("""
                INSERT INTO key_usage (key_id, requests, prompt_tokens, completion_tokens, cost, updated_at)
                VALUES (@KeyId, @Requests, @PromptTokens, @CompletionTokens, @Cost, @At)
                ON CONFLICT (key_id) DO UPDATE SET requests = key_usage.requests + excluded.requests,
                    prompt_tokens = key_usage.prompt_tokens + excluded.prompt_tokens, completion_tokens = key_usage.completion_tokens + excluded.completion_tokens,
                    cost = key_usage.cost + excluded.cost, updated_at = excluded.updated_at
                """, new { u.KeyId, u.Requests, u.PromptTokens, u.CompletionTokens, u.Cost, At = Millis(at) }, cancellationToken);
        }
    }

    public async Task<KeyUsage> GetKeyUsageAsync(string keyId, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<UsageRow>("SELECT key_id, requests, prompt_tokens, completion_tokens, cost FROM key_usage WHERE key_id = @keyId",
            new { keyId }, cancellationToken)) is { } row
            ? new KeyUsage(row.KeyId, row.Requests, row.PromptTokens, row.CompletionTokens, row.Cost)
            : new KeyUsage(keyId, 0, 0, 0);

    sealed class UsageRow
    {
        public string KeyId { get; set; } = "";
        public long Requests { get; set; }
        public long PromptTokens { get; set; }
        public long CompletionTokens { get; set; }
        public double Cost { get; set; }
    }

    public Task UpsertPriceAsync(ModelPrice price, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO model_prices (model, input_per_1k, output_per_1k, per_hour, updated_at, updated_by)
            VALUES (@Model, @InputPer1K, @OutputPer1K, @PerHour, @UpdatedAt, @UpdatedBy)
            ON CONFLICT (model) DO UPDATE SET input_per_1k = excluded.input_per_1k, output_per_1k = excluded.output_per_1k,
                per_hour = excluded.per_hour, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """,
            new { price.Model, price.InputPer1K, price.OutputPer1K, price.PerHour, UpdatedAt = Millis(price.UpdatedAt), price.UpdatedBy }, cancellationToken);

    public async Task<bool> DeletePriceAsync(string model, CancellationToken cancellationToken = default) =>
        await session.ExecuteAsync("DELETE FROM model_prices WHERE model = @model", new { model }, cancellationToken) > 0;

    public async Task<IReadOnlyList<ModelPrice>> ListPricesAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<PriceRow>("SELECT model, input_per_1k, output_per_1k, per_hour, updated_at, updated_by FROM model_prices ORDER BY model", null, cancellationToken))
            .Select(r => new ModelPrice(r.Model, r.InputPer1k, r.OutputPer1k, r.PerHour, Time(r.UpdatedAt), r.UpdatedBy)).ToList();

    sealed class Row
    {
        public string Id { get; set; } = "";
        public long Shadow { get; set; }
        public string Source { get; set; } = "";
        public long At { get; set; }
        public string Deployment { get; set; } = "";
        public long Revision { get; set; }
        public string Version { get; set; } = "";
        public string KeyId { get; set; } = "";
        public string Route { get; set; } = "";
        public string Status { get; set; } = "";
        public string? Error { get; set; }
        public string? FallbackFrom { get; set; }
        public double? QueueMs { get; set; }
        public double? TtftMs { get; set; }
        public double TotalMs { get; set; }
        public long PromptTokens { get; set; }
        public long CompletionTokens { get; set; }
        public double? Cost { get; set; }
        public string? TraceId { get; set; }
        public string? SpanId { get; set; }
        public string? ParentSpanId { get; set; }
        public string? Operation { get; set; }
        public string? Service { get; set; }
        public string? Prompt { get; set; }
        public string? Completion { get; set; }
        public string? Attributes { get; set; }

        public TraceRecord ToRecord() => new(Id, Deployment, (int)Revision, Version, KeyId, Route, Shadow != 0,
            Read<List<string>>(FallbackFrom, []), Ms(QueueMs), Ms(TtftMs), TimeSpan.FromMilliseconds(TotalMs), (int)PromptTokens, (int)CompletionTokens,
            Status, Error, Completion, Time(At))
        {
            Source = Source, TraceId = TraceId, SpanId = SpanId, ParentSpanId = ParentSpanId, Operation = Operation, Service = Service,
            Prompt = Prompt, Cost = Cost, Attributes = Attributes is null ? null : Read<Dictionary<string, string>>(Attributes, []),
        };

        static TimeSpan? Ms(double? ms) => ms is { } m ? TimeSpan.FromMilliseconds(m) : null;
    }

    sealed class FeedbackRow
    {
        public string Id { get; set; } = "";
        public string TraceId { get; set; } = "";
        public string Deployment { get; set; } = "";
        public string Version { get; set; } = "";
        public double? Score { get; set; }
        public string? Label { get; set; }
        public string? Comment { get; set; }
        public string Source { get; set; } = "";
        public string CreatedBy { get; set; } = "";
        public long At { get; set; }
    }

    sealed class ScoreRow
    {
        public string TraceId { get; set; } = "";
        public string Name { get; set; } = "";
        public double Score { get; set; }
        public long Passed { get; set; }
        public string? Reason { get; set; }
        public string Deployment { get; set; } = "";
        public string Version { get; set; } = "";
        public long At { get; set; }
    }

    sealed class PriceRow
    {
        public string Model { get; set; } = "";
        public double? InputPer1k { get; set; }
        public double? OutputPer1k { get; set; }
        public double? PerHour { get; set; }
        public long UpdatedAt { get; set; }
        public string UpdatedBy { get; set; } = "";
    }
}
