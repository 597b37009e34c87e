using System.CommandLine;
using System.Globalization;
using LlmOps.Cli.Monitoring;
using LlmOps.Monitoring;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops traces list|show|stats</c> and <c>llmops feedback add|summary</c>: what the gateway recorded and what people said about it.</summary>
internal static class TracesCommands
{
    public static Command Build()
    {
        var traces = new Command("traces", "Trace records of gateway requests and application spans: search, one trace, aggregates.");
        traces.Subcommands.Add(List());
        traces.Subcommands.Add(Show());
        traces.Subcommands.Add(Stats());
        return traces;
    }

    public static Command Feedback()
    {
        var feedback = new Command("feedback", "Feedback on traced answers (scores, labels, comments) and its summary per version.");
        feedback.Subcommands.Add(AddFeedback());
        feedback.Subcommands.Add(FeedbackSummary());
        return feedback;
    }

    /// <summary>The options that narrow a trace query, shared by <c>list</c> and <c>stats</c>.</summary>
    sealed class FilterOptions
    {
        readonly Option<string?> deployment = new("--deployment", "-d") { Description = "Only this deployment (endpoint@environment)." };
        readonly Option<string?> version = new("--version", "-v") { Description = "Only this version (name/3)." };
        readonly Option<string?> key = new("--key") { Description = "Only requests of this API key id." };
        readonly Option<string?> status = new("--status") { Description = "ok, error or cancelled." };
        readonly Option<string?> text = new("--text") { Description = "Appears in the prompt, response or error (case-insensitive)." };
        readonly Option<string?> source = new("--source") { Description = "gateway or otlp." };
        readonly Option<string?> traceId = new("--trace-id") { Description = "Every span of this W3C trace id." };
        readonly Option<string?> since = new("--since") { Description = "From this ISO 8601 time, or this long ago (15m, 24h, 7d)." };
        readonly Option<string?> until = new("--until") { Description = "Before this ISO 8601 time, or this long ago." };

        public FilterOptions()
        {
            status.AcceptOnlyFromAmong(TraceStatus.Ok, TraceStatus.Error, TraceStatus.Cancelled);
            source.AcceptOnlyFromAmong(TraceSources.Gateway, TraceSources.Otlp);
        }

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { deployment, version, key, status, text, source, traceId, since, until }) command.Options.Add(option);
        }

        public TraceQuery Query(ParseResult parse, bool shadow = false, int? limit = null) => new(parse.GetValue(since), parse.GetValue(until), parse.GetValue(deployment),
            parse.GetValue(version), parse.GetValue(key), parse.GetValue(status), parse.GetValue(text), parse.GetValue(source), parse.GetValue(traceId), shadow, limit);
    }

    static Command List()
    {
        var filters = new FilterOptions();
        var shadow = new Option<bool>("--shadow") { Description = "Include shadow copies (answers recorded but never returned)." };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many records.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List trace records, newest first.") { shadow, limit };
        filters.AddTo(command);
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var records = await session.Monitoring.SearchTracesAsync(filters.Query(parse, parse.GetValue(shadow), parse.GetValue(limit)), ct);
            output.Write(records, rows =>
            {
                var table = Output.Table("time", "id", "deployment", "version", "status", "total ms", "ttft ms", "tokens in/out", "cost");
                table.Columns[1].NoWrap(); // ids are copied into 'traces show' and 'feedback add': never split them
                foreach (var r in rows)
                {
                    table.AddRow(Output.Time(r.At), Markup.Escape(r.Id + (r.Shadow ? " (shadow)" : "")), Markup.Escape(r.Deployment), Markup.Escape(r.Version), StatusMarkup(r.Status),
                        Ms(r.TotalTime), Ms(r.TimeToFirstToken), $"{N(r.PromptTokens)}/{N(r.CompletionTokens)}", Cost(r.Cost));
                }
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Show()
    {
        var id = new Argument<string>("ID") { Description = "Trace record id (the response id, chatcmpl-…)." };
        var command = new Command("show", "Show a trace: its answer and shadow copy, prompt and response, scores and feedback.") { id };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var detail = await session.Monitoring.GetTraceAsync(parse.GetValue(id)!, ct);
            output.Write(detail, Render);
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Stats()
    {
        var filters = new FilterOptions();
        var bucket = new Option<string?>("--bucket") { Description = "One row per window of this length (30s, 1m, 1h)." };
        var groupBy = new Option<string?>("--group-by") { Description = "One row per deployment, version or key." };
        groupBy.AcceptOnlyFromAmong([.. TraceGroups.All]);
        var command = new Command("stats", "Requests, error rate, latency and time-to-first-token percentiles, tokens, throughput and cost (shadow copies excluded).") { bucket, groupBy };
        filters.AddTo(command);
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var stats = await session.Monitoring.TraceStatsAsync(filters.Query(parse), parse.GetValue(bucket), parse.GetValue(groupBy), ct);
            output.Write(stats, rows =>
            {
                var table = Output.Table("from", "to", "group", "requests", "errors", "error rate", "latency p50/p95/p99 ms", "ttft p50/p95/p99 ms", "tokens in/out", "tokens/s", "cost");
                foreach (var s in rows)
                {
                    table.AddRow(Output.Time(s.Start), Output.Time(s.End), Markup.Escape(s.Group ?? "-"), N(s.Requests), N(s.Errors), F(s.ErrorRate),
                        Pcts(s.LatencyMs), Pcts(s.TimeToFirstTokenMs), $"{s.PromptTokens.ToString(CultureInfo.InvariantCulture)}/{s.CompletionTokens.ToString(CultureInfo.InvariantCulture)}",
                        F(s.TokensPerSecond), Cost(s.Cost));
                }
                return rows.Count == 0 ? new Markup("No trace records in this window.\n") : table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command AddFeedback()
    {
        var traceId = new Argument<string>("TRACE_ID") { Description = "Trace record id (the response id, chatcmpl-…)." };
        var score = new Option<double?>("--score") { Description = "A number, e.g. 1 for thumbs up and 0 for down, or a 1–5 rating." };
        var label = new Option<string?>("--label") { Description = "A category, e.g. helpful, wrong, unsafe." };
        var comment = new Option<string?>("--comment", "-m") { Description = "Free text." };
        var source = new Option<string?>("--source") { Description = "Who says so: user (default), review, …" };
        var command = new Command("add", "Record feedback on a traced answer (give a score, a label or a comment).") { traceId, score, label, comment, source };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var feedback = await session.Monitoring.AddFeedbackAsync(parse.GetValue(traceId)!,
                new FeedbackInput(parse.GetValue(score), parse.GetValue(label), parse.GetValue(comment), parse.GetValue(source)), ct);
            output.Write(feedback, f => new Markup($"Recorded feedback [bold]{f.Id}[/] on {Markup.Escape(f.TraceId)} ({Markup.Escape(f.Deployment)}, {Markup.Escape(f.Version)}).\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command FeedbackSummary()
    {
        var deployment = new Option<string?>("--deployment", "-d") { Description = "Only this deployment (endpoint@environment)." };
        var since = new Option<string?>("--since") { Description = "From this ISO 8601 time, or this long ago (15m, 24h, 7d)." };
        var until = new Option<string?>("--until") { Description = "Before this ISO 8601 time, or this long ago." };
        var command = new Command("summary", "Feedback per deployment and version: count, mean score, labels.") { deployment, since, until };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var summary = await session.Monitoring.FeedbackSummaryAsync(parse.GetValue(since), parse.GetValue(until), parse.GetValue(deployment), ct);
            output.Write(summary, rows =>
            {
                var table = Output.Table("deployment", "version", "feedback", "scored", "mean score", "labels");
                foreach (var s in rows)
                    table.AddRow(Markup.Escape(s.Deployment), Markup.Escape(s.Version), N(s.Count), N(s.Scored), s.AverageScore is { } a ? F(a) : "-", Markup.Escape(Output.Pairs(s.Labels)));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Rows Render(TraceDetail detail)
    {
        var parts = new List<IRenderable>();
        foreach (var r in detail.Records.OrderBy(r => r.Shadow))
        {
            parts.Add(new Markup(r.Shadow ? "[bold]Shadow copy[/] (never returned)" : "[bold]Answer[/]"));
            parts.Add(Output.Fields([
                ("id", r.Id), ("time", Output.Time(r.At)), ("deployment", $"{r.Deployment} (revision {N(r.Revision)})"), ("version", r.Version),
                ("status", r.Status), ("error", r.Error), ("key", r.KeyId), ("route", r.Route), ("source", r.Source),
                ("trace id", r.TraceId), ("fallback from", r.FallbackFrom.Count == 0 ? null : string.Join(" → ", r.FallbackFrom)),
                ("queue ms", Ms(r.QueueTime)), ("ttft ms", Ms(r.TimeToFirstToken)), ("total ms", Ms(r.TotalTime)),
                ("tokens in/out", $"{N(r.PromptTokens)}/{N(r.CompletionTokens)}"), ("cost", Cost(r.Cost)),
                ("prompt", r.Prompt ?? "(not kept)"), ("response", r.Completion ?? "(not kept)"),
            ]));
            parts.Add(new Text(""));
        }
        if (detail.Scores.Count > 0)
        {
            var scores = Output.Table("online eval", "score", "passed", "reason");
            foreach (var s in detail.Scores) scores.AddRow(Markup.Escape(s.Name), F(s.Score), s.Passed ? "[green]yes[/]" : "[red]no[/]", Markup.Escape(s.Reason ?? ""));
            parts.Add(scores);
        }
        if (detail.Feedback.Count > 0)
        {
            var feedback = Output.Table("feedback", "score", "label", "comment", "source", "by", "when");
            foreach (var f in detail.Feedback)
            {
                feedback.AddRow(f.Id, f.Score is { } s ? F(s) : "-", Markup.Escape(f.Label ?? "-"), Markup.Escape(f.Comment ?? ""), Markup.Escape(f.Source),
                    Markup.Escape(f.CreatedBy), Output.Time(f.At));
            }
            parts.Add(feedback);
        }
        return new Rows(parts);
    }

    internal static string StatusMarkup(string status) => status switch
    {
        TraceStatus.Ok => "[green]ok[/]",
        TraceStatus.Error => "[red]error[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    };

    static string Ms(TimeSpan? span) => span is { } s ? s.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) : "-";

    static string Pcts(Percentiles? p) => p is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{p.P50:0}/{p.P95:0}/{p.P99:0}");

    static string Cost(double? cost) => cost is { } c ? c.ToString("0.######", CultureInfo.InvariantCulture) : "-";

    internal static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    internal static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
