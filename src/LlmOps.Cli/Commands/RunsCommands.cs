using System.CommandLine;
using System.Globalization;
using LlmOps.Runs;
using LlmOps.Storage;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops runs list|show|compare</c>.</summary>
internal static class RunsCommands
{
    public static Command Build()
    {
        var runs = new Command("runs", "Tracked runs: parameters, metrics, artifacts.");
        runs.Subcommands.Add(List());
        runs.Subcommands.Add(Show());
        runs.Subcommands.Add(Compare());
        return runs;
    }

    static Command List()
    {
        var experiment = new Option<string?>("--experiment") { Description = "Only runs of this experiment." };
        var status = new Option<RunStatus?>("--status") { Description = "Running, Finished, Failed or Killed." };
        var limit = new Option<int>("--limit") { Description = "At most this many runs, newest first.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List runs, newest first.") { experiment, status, limit };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var list = await session.Runs.ListRunsAsync(new RunQuery(parse.GetValue(experiment), parse.GetValue(status), null, parse.GetValue(limit)), ct);
            output.Write(list, runs =>
            {
                var table = Output.Table("id", "experiment", "name", "status", "started", "ended");
                foreach (var r in runs)
                    table.AddRow(r.Id, Markup.Escape(r.Experiment), Markup.Escape(r.Name ?? "-"), r.Status.ToString(), Output.Time(r.StartedAt), Output.Time(r.EndedAt));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Show()
    {
        var id = new Argument<string>("RUN") { Description = "Run id." };
        var command = new Command("show", "Show a run: parameters, latest metrics, artifacts.") { id };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var details = await session.Runs.GetRunAsync(parse.GetValue(id)!, ct);
            output.Write(details, d =>
            {
                var run = d.Run;
                var metrics = Output.Table("metric", "value", "step");
                foreach (var (name, point) in d.LatestMetrics.OrderBy(p => p.Key, StringComparer.Ordinal))
                    metrics.AddRow(Markup.Escape(name), point.Value.ToString("G6", CultureInfo.InvariantCulture), point.Step.ToString(CultureInfo.InvariantCulture));
                var artifacts = Output.Table("artifact", "sha256", "bytes");
                foreach (var a in d.Artifacts) artifacts.AddRow(Markup.Escape(a.Name), a.Sha256, a.Size.ToString("N0", CultureInfo.InvariantCulture));
                return new Rows(Output.Fields([
                    ("run", run.Id), ("experiment", run.Experiment), ("name", run.Name), ("status", run.Status.ToString()), ("parent", run.ParentRunId),
                    ("started", Output.Time(run.StartedAt)), ("ended", Output.Time(run.EndedAt)), ("by", run.CreatedBy),
                    ("params", Output.Pairs(run.Params)), ("tags", Output.Pairs(run.Tags))]), metrics, artifacts);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Compare()
    {
        var ids = new Argument<string[]>("RUNS") { Description = "Two or more run ids.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("compare", "Compare runs side by side: differing parameters and the best value of each metric.") { ids };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var comparison = await session.Runs.CompareAsync(parse.GetValue(ids)!, ct);
            output.Write(comparison, c =>
            {
                var table = Output.Table(["", .. c.Runs.Select(r => r.Name is null ? r.Id[..8] : $"{r.Name} ({r.Id[..8]})")]);
                foreach (var p in c.Params)
                {
                    var label = p.Differs ? $"[yellow]{Markup.Escape(p.Name)}[/]" : Markup.Escape(p.Name);
                    table.AddRow([label, .. p.Values.Select(v => Markup.Escape(v ?? "-"))]);
                }
                foreach (var m in c.Metrics)
                {
                    var cells = m.Values.Select((v, i) => v is not { } value ? "-"
                        : i == m.BestIndex ? $"[green]{value.ToString("G6", CultureInfo.InvariantCulture)}[/]" : value.ToString("G6", CultureInfo.InvariantCulture));
                    table.AddRow([$"[bold]{Markup.Escape(m.Name)}[/] ({(m.Goal == MetricGoal.Minimize ? "min" : "max")})", .. cells]);
                }
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }
}
