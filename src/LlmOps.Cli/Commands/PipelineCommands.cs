using System.CommandLine;
using System.Globalization;
using LlmOps.Pipelines;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops pipeline run|status|logs|cancel|retry|list</c> and the gate decisions <c>llmops approve|reject RUN</c>.</summary>
internal static class PipelineCommands
{
    public static Command Build()
    {
        var pipeline = new Command("pipeline", "Run pipelines (prepare → train → evaluate → deploy → approve → prod) and watch them.");
        pipeline.Subcommands.Add(Run());
        pipeline.Subcommands.Add(Status());
        pipeline.Subcommands.Add(Logs());
        pipeline.Subcommands.Add(Simple("cancel", "Cancel a run: pending and waiting steps end cancelled.", (runs, id, ct) => runs.CancelAsync(id, ct), wait: false));
        pipeline.Subcommands.Add(Simple("retry", "Retry a failed run from its failed step.", (runs, id, ct) => runs.RetryAsync(id, ct), wait: true));
        pipeline.Subcommands.Add(List());
        pipeline.Subcommands.Add(Register());
        pipeline.Subcommands.Add(Definitions());
        pipeline.Subcommands.Add(Remove());
        return pipeline;
    }

    /// <summary><c>llmops approve RUN</c> and <c>llmops reject RUN</c>.</summary>
    public static Command Decision(bool approve)
    {
        var run = new Argument<string>("RUN") { Description = "Pipeline run id waiting for approval." };
        var comment = new Option<string>("--comment", "-m") { Description = "What was checked (required).", Required = true };
        var command = new Command(approve ? "approve" : "reject", approve
            ? "Approve a pipeline's gate (an Approver other than whoever started the run); the run continues to PROD."
            : "Reject a pipeline's gate; the run ends with this reason.") { run, comment };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var runs = await session.PipelinesAsync(ct);
            var id = parse.GetValue(run)!;
            await runs.DecideAsync(id, new PipelineDecision(approve, parse.GetValue(comment)!), ct);
            return await WatchAsync(session, runs, id, output, wait: session.IsLocal, ct);
        }));
        return command;
    }

    static Command Run()
    {
        var file = new Argument<string>("PIPELINE") { Description = "Pipeline YAML file, or the name of a registered pipeline." };
        var parameters = new Option<string[]>("--param", "-p") { Description = "NAME=VALUE overriding a parameter (repeatable)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return after starting (with --server); locally the steps run in this process, so it always waits." };
        var command = new Command("run", "Validate a pipeline (nothing runs if it is invalid) and run it.") { file, parameters, noWait };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var target = parse.GetValue(file)!;
            var values = Arguments.Pairs(parse.GetValue(parameters), "--param");
            var runs = await session.PipelinesAsync(ct);
            PipelineRun run;
            if (File.Exists(target))
            {
                var yaml = await File.ReadAllTextAsync(target, ct);
                PipelineParser.Parse(yaml, Path.GetFileName(target)); // fail fast, with the file's name in the message
                run = await runs.StartAsync(new StartPipeline(yaml, values, Path.GetFileName(target)), ct);
            }
            else if (target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidInputException("PIPELINE", $"{Path.GetFullPath(target)} does not exist.");
            }
            else
            {
                run = await runs.StartRegisteredAsync(target, values, ct);
            }
            output.Info($"Started run [bold]{run.Id}[/] of [green]{Markup.Escape(run.Pipeline)}[/].");
            return await WatchAsync(session, runs, run.Id, output, wait: session.IsLocal || !parse.GetValue(noWait), ct);
        }));
        return command;
    }

    static Command Status()
    {
        var run = new Argument<string>("RUN") { Description = "Pipeline run id." };
        var command = new Command("status", "Show a run and the state of each step.") { run };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var details = await (await session.PipelinesAsync(ct)).GetAsync(parse.GetValue(run)!, ct);
            output.Write(details, Render);
            return ExitCode(details.Run);
        }));
        return command;
    }

    static Command Logs()
    {
        var run = new Argument<string>("RUN") { Description = "Pipeline run id." };
        var step = new Option<string?>("--step") { Description = "Only this step's lines." };
        var command = new Command("logs", "Print a run's step logs.") { run, step };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var runs = await session.PipelinesAsync(ct);
            var all = new List<StepLogLine>();
            long after = 0;
            while (true)
            {
                var page = await runs.LogsAsync(parse.GetValue(run)!, parse.GetValue(step), after, ct);
                if (page.Count == 0) break;
                all.AddRange(page);
                after = page[^1].Sequence;
            }
            if (output.Json) output.Write(all, _ => new Text(""));
            else foreach (var line in all) Console.Out.WriteLine(Format(line));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command List()
    {
        var name = new Option<string?>("--pipeline") { Description = "Only runs of this pipeline." };
        var limit = new Option<int>("--limit") { Description = "At most this many runs.", DefaultValueFactory = _ => 20 };
        var command = new Command("list", "List pipeline runs, newest first.") { name, limit };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var list = await (await session.PipelinesAsync(ct)).ListAsync(parse.GetValue(name), parse.GetValue(limit), ct);
            output.Write(list, runs =>
            {
                var table = Output.Table("run", "pipeline", "status", "trigger", "started", "ended", "error");
                foreach (var r in runs)
                    table.AddRow(r.Id, Markup.Escape(r.Pipeline), StatusMarkup(r.Status.ToString()), r.Trigger, Output.Time(r.CreatedAt), Output.Time(r.EndedAt), Markup.Escape(r.Error ?? ""));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Register()
    {
        var file = new Argument<FileInfo>("PIPELINE") { Description = "Pipeline YAML file." };
        var command = new Command("register", "Store a pipeline by its name so its triggers (cron, dataset, registry event, alert) start it.") { file };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists) throw new InvalidInputException("PIPELINE", $"{path.FullName} does not exist.");
            var registered = await (await session.PipelinesAsync(ct)).RegisterAsync(await File.ReadAllTextAsync(path.FullName, ct), path.Name, ct);
            output.Write(registered, r => new Markup($"Registered pipeline [green]{Markup.Escape(r.Name)}[/]; triggered runs act as {Markup.Escape(r.Actor.Name)}.\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Definitions()
    {
        var command = new Command("definitions", "List registered pipelines and their triggers.");
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var list = await (await session.PipelinesAsync(ct)).ListRegisteredAsync(ct);
            output.Write(list, pipelines =>
            {
                var table = Output.Table("pipeline", "triggers", "steps", "acts as", "updated");
                foreach (var p in pipelines)
                {
                    var definition = PipelineParser.Parse(p.Yaml);
                    table.AddRow(Markup.Escape(p.Name), Markup.Escape(string.Join("; ", definition.Triggers.Select(t => $"{t.Kind}: {t.Value}"))),
                        definition.Steps.Count.ToString(CultureInfo.InvariantCulture), Markup.Escape(p.Actor.Name), Output.Time(p.UpdatedAt));
                }
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Remove()
    {
        var name = new Argument<string>("NAME") { Description = "Registered pipeline name." };
        var command = new Command("remove", "Remove a registered pipeline (its triggers stop).") { name };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            await (await session.PipelinesAsync(ct)).RemoveAsync(parse.GetValue(name)!, ct);
            output.Info($"Removed pipeline {Markup.Escape(parse.GetValue(name)!)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Simple(string verb, string description, Func<IPipelineRuns, string, CancellationToken, Task<PipelineRun>> act, bool wait)
    {
        var run = new Argument<string>("RUN") { Description = "Pipeline run id." };
        var command = new Command(verb, description) { run };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var runs = await session.PipelinesAsync(ct);
            var id = parse.GetValue(run)!;
            await act(runs, id, ct);
            return await WatchAsync(session, runs, id, output, wait && session.IsLocal, ct);
        }));
        return command;
    }

    /// <summary>Follows a run until it finishes or waits for approval, printing step logs as they arrive; then shows the steps.</summary>
    internal static async Task<int> WatchAsync(CliSession session, IPipelineRuns runs, string runId, Output output, bool wait, CancellationToken ct, bool approvalHint = true, bool printResult = true)
    {
        long after = 0;
        PipelineRunDetails details;
        while (true)
        {
            details = await runs.GetAsync(runId, ct);
            foreach (var line in await runs.LogsAsync(runId, null, after, ct))
            {
                if (!output.Json) Console.Out.WriteLine(Format(line));
                after = line.Sequence;
            }
            if (!wait || details.Run.IsFinished || details.Run.Status == PipelineRunStatus.WaitingForApproval) break;
            await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
        }
        if (printResult || !output.Json) output.Write(details, Render);
        if (approvalHint && details.Run.Status == PipelineRunStatus.WaitingForApproval)
        {
            output.Info($"Waiting for approval. As an Approver other than [bold]{Markup.Escape(details.Run.Actor.Name)}[/], run:\n" +
                $"  llmops approve {runId} -m \"what you checked\"{(session.IsLocal ? " --api-key <approver key>" : "")}");
        }
        return ExitCode(details.Run);
    }

    static int ExitCode(PipelineRun run) => run.Status is PipelineRunStatus.Failed or PipelineRunStatus.Cancelled ? ExitCodes.CheckFailed : ExitCodes.Ok;

    static string Format(StepLogLine line) => string.Create(CultureInfo.InvariantCulture, $"{line.At:HH:mm:ss} [{line.StepId}] {line.Line}");

    static Rows Render(PipelineRunDetails details)
    {
        var run = details.Run;
        var table = Output.Table("step", "status", "attempt", "duration", "outputs / error");
        foreach (var step in details.Steps)
        {
            var duration = step.StartedAt is { } start && step.EndedAt is { } end ? $"{(end - start).TotalSeconds:0.0}s" : "";
            var detail = step.Error ?? string.Join(", ", step.Outputs.Select(o => $"{o.Key}={o.Value}"));
            table.AddRow(Markup.Escape(step.StepId), StatusMarkup(step.Status.ToString()), step.Attempt.ToString(CultureInfo.InvariantCulture), duration, Markup.Escape(detail));
        }
        return new Rows(new Markup($"Run [bold]{run.Id}[/] of [green]{Markup.Escape(run.Pipeline)}[/]: {StatusMarkup(run.Status.ToString())}" +
            (run.Error is null ? "" : $" — {Markup.Escape(run.Error)}") + "\n"), table);
    }

    static string StatusMarkup(string status) => status switch
    {
        "Succeeded" or "Cached" => $"[green]{status}[/]",
        "Failed" or "Cancelled" => $"[red]{status}[/]",
        "WaitingForApproval" => $"[yellow]{status}[/]",
        "Skipped" => $"[grey]{status}[/]",
        _ => status,
    };
}
