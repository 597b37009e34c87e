using System.CommandLine;
using LlmOps.Cli.Monitoring;
using LlmOps.Monitoring.Drift;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops drift</c>: a deployment's current traffic against a reference window; exit 1 when it drifted, like a failed gate.</summary>
internal static class DriftCommand
{
    public static Command Build()
    {
        var deployment = new Option<string>("--deployment", "-d") { Description = "The deployment (endpoint@environment).", Required = true };
        var referenceSince = new Option<string?>("--reference-since") { Description = "Start of the reference window (ISO 8601, or this long ago: 7d)." };
        var referenceUntil = new Option<string?>("--reference-until") { Description = "End of the reference window." };
        var referenceEvalRun = new Option<string?>("--reference-eval-run") { Description = "Use an evaluation run's prompts and outputs as the reference (e.g. the QA evaluation) instead of a window." };
        var since = new Option<string?>("--since") { Description = "Start of the current window (default: 1h ago)." };
        var until = new Option<string?>("--until") { Description = "End of the current window (default: now)." };
        var command = new Command("drift", "Compare a deployment's prompts and responses (lengths, tokens, refusals, MiniLM embeddings) in the current window with a reference window; exit 1 when drifted.")
        {
            deployment, referenceSince, referenceUntil, referenceEvalRun, since, until,
        };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var report = await session.Monitoring.DriftAsync(new DriftQuery(parse.GetValue(deployment)!, parse.GetValue(referenceSince), parse.GetValue(referenceUntil),
                parse.GetValue(since), parse.GetValue(until), parse.GetValue(referenceEvalRun)), ct);
            output.Write(report, Render);
            return report.Drifted ? ExitCodes.CheckFailed : ExitCodes.Ok;
        }));
        return command;
    }

    static Rows Render(DriftReport report)
    {
        var table = Output.Table("feature", "method", "score", "threshold", "p-value", "drifted", "detail");
        foreach (var r in report.Results)
        {
            table.AddRow(Markup.Escape(r.Feature), Markup.Escape(r.Method), TracesCommands.F(r.Score), TracesCommands.F(r.Threshold),
                r.PValue is { } p ? p.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) : "-", r.Drifted ? "[red]yes[/]" : "[green]no[/]", Markup.Escape(r.Detail));
        }
        var parts = new List<IRenderable> { table };
        parts.AddRange(report.Skipped.Select(s => new Markup($"[grey]skipped {Markup.Escape(s.Feature)}: {Markup.Escape(s.Reason)}[/]")));
        parts.AddRange(report.Warnings.Select(w => new Markup($"[yellow]warning:[/] {Markup.Escape(w)}")));
        parts.Add(new Markup((report.Drifted ? "[red]Drifted[/]" : "[green]No drift[/]") +
            Markup.Escape($": {report.DriftedFeatures.Count} of {report.FeatureCount} features drifted (share {TracesCommands.F(report.DriftShare)}, threshold {TracesCommands.F(report.DriftShareThreshold)}); " +
                $"{report.ReferenceCount} reference and {report.CurrentCount} current samples.") + "\n"));
        return new Rows(parts);
    }
}
