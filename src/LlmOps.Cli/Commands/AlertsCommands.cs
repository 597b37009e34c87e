using System.CommandLine;
using LlmOps.Configuration;
using LlmOps.Monitoring.Alerts;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops alerts set|list|history|remove|evaluate</c>: rules on monitoring figures, Prometheus-style.</summary>
internal static class AlertsCommands
{
    public static Command Build()
    {
        var alerts = new Command("alerts", "Alert rules (FIGURE OP NUMBER over a window, held for a while): ok → pending → firing; firing starts alert pipelines and webhooks.");
        alerts.Subcommands.Add(Set());
        alerts.Subcommands.Add(List());
        alerts.Subcommands.Add(History());
        alerts.Subcommands.Add(Remove());
        alerts.Subcommands.Add(Evaluate());
        return alerts;
    }

    static Command Set()
    {
        var name = new Argument<string>("NAME") { Description = "Rule name (a pipeline trigger 'alert: NAME' starts on it)." };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Rule YAML with the API body's keys: expr, deployment, window, for, description, reference: {since, until}; options below override it." };
        var expr = new Option<string?>("--expr") { Description = $"FIGURE OP NUMBER, e.g. \"error_rate > 0.05\"; figures: {string.Join(", ", AlertExpression.Figures.Keys)}." };
        var deployment = new Option<string?>("--deployment", "-d") { Description = "Only this deployment's traffic (endpoint@environment)." };
        var window = new Option<string?>("--window") { Description = "The figure is computed over the last this long (default 5m)." };
        var holdFor = new Option<string?>("--for") { Description = "The condition must hold this long before the alert fires (default 0: at once)." };
        var description = new Option<string?>("--description") { Description = "What it means and what to do, for whoever gets it." };
        var referenceSince = new Option<string?>("--reference-since") { Description = "Drift figures: start of the reference window (ISO 8601, or this long ago)." };
        var referenceUntil = new Option<string?>("--reference-until") { Description = "Drift figures: end of the reference window." };
        var command = new Command("set", "Create or replace an alert rule.") { name, file, expr, deployment, window, holdFor, description, referenceSince, referenceUntil };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var input = parse.GetValue(file) is { } path ? await ReadAsync(path, ct) : new AlertRuleInput();
            var since = parse.GetValue(referenceSince) ?? input.Reference?.Since;
            var until = parse.GetValue(referenceUntil) ?? input.Reference?.Until;
            input = input with
            {
                Expr = parse.GetValue(expr) ?? input.Expr,
                Deployment = parse.GetValue(deployment) ?? input.Deployment,
                Window = parse.GetValue(window) ?? input.Window,
                For = parse.GetValue(holdFor) ?? input.For,
                Description = parse.GetValue(description) ?? input.Description,
                Reference = since is null && until is null ? null : new AlertReferenceInput(since, until),
            };
            var stored = await session.Monitoring.SetAlertAsync(parse.GetValue(name)!, input, ct);
            output.Write(stored, s => new Markup($"Alert [green]{Markup.Escape(s.Rule.Name)}[/]: {Markup.Escape(Describe(s.Rule))}.\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A rule file: the API body's keys, unknown keys refused with their line.</summary>
    static async Task<AlertRuleInput> ReadAsync(FileInfo path, CancellationToken cancellationToken)
    {
        if (!path.Exists) throw new InvalidInputException("--file", $"{path.FullName} does not exist.");
        var yaml = YamlSection.Parse(await File.ReadAllTextAsync(path.FullName, cancellationToken), path.Name);
        var reference = yaml.Has("reference") ? yaml.Section("reference") : null;
        var input = new AlertRuleInput(yaml.String("expr"), yaml.String("deployment"), yaml.String("window"), yaml.String("for"), yaml.String("description"),
            reference is null ? null : new AlertReferenceInput(reference.String("since"), reference.String("until")),
            yaml.Has("enabled") ? yaml.Bool("enabled", true) : null);
        reference?.RejectUnknownKeys();
        yaml.RejectUnknownKeys();
        return input;
    }

    static Command List()
    {
        var command = new Command("list", "List alert rules with their state (ok, pending, firing) and last value.");
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var alerts = await session.Monitoring.ListAlertsAsync(ct);
            output.Write(alerts, rows =>
            {
                var table = Output.Table("name", "state", "value", "since", "expr", "deployment", "window", "for");
                foreach (var a in rows)
                {
                    table.AddRow(Markup.Escape(a.Rule.Name), StateMarkup(a.Rule.Enabled ? a.Status.State : "disabled"), a.Status.Value is { } v ? TracesCommands.F(v) : "-",
                        Output.Time(a.Status.Since), Markup.Escape(a.Rule.Expr), Markup.Escape(a.Rule.Deployment ?? "all"), Duration(a.Rule.EffectiveWindow), Duration(a.Rule.EffectiveFor));
                }
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command History()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this rule's changes (default: every rule's).", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many changes.", DefaultValueFactory = _ => 50 };
        var command = new Command("history", "State changes of alert rules, newest first.") { name, limit };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var events = await session.Monitoring.AlertHistoryAsync(parse.GetValue(name), parse.GetValue(limit), ct);
            output.Write(events, Render);
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Remove()
    {
        var name = new Argument<string>("NAME") { Description = "Rule name." };
        var command = new Command("remove", "Remove an alert rule.") { name };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            await session.Monitoring.RemoveAlertAsync(parse.GetValue(name)!, ct);
            output.Info($"Removed alert {Markup.Escape(parse.GetValue(name)!)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Evaluate()
    {
        var command = new Command("evaluate", "Evaluate every enabled rule now (as the server does each interval) and print the state changes.");
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var changes = await session.Monitoring.EvaluateAlertsAsync(ct);
            output.Write(changes, rows => rows.Count == 0 ? new Markup("No state changes.\n") : Render(rows));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Table Render(IReadOnlyList<AlertEvent> events)
    {
        var table = Output.Table("when", "name", "from", "to", "value", "message");
        foreach (var e in events)
            table.AddRow(Output.Time(e.At), Markup.Escape(e.Name), StateMarkup(e.From), StateMarkup(e.To), e.Value is { } v ? TracesCommands.F(v) : "-", Markup.Escape(e.Message ?? ""));
        return table;
    }

    static string Describe(AlertRule rule) =>
        $"{rule.Expr} over {Duration(rule.EffectiveWindow)} of {rule.Deployment ?? "all traffic"}, for {Duration(rule.EffectiveFor)}" +
        (rule.Reference is { } r ? $", reference {Output.Time(r.Since)} – {Output.Time(r.Until)}" : "");

    static string Duration(TimeSpan span) => span switch
    {
        { Ticks: 0 } => "0s",
        _ when span.TotalDays >= 1 && span.TotalDays % 1 == 0 => $"{span.TotalDays:0}d",
        _ when span.TotalHours >= 1 && span.TotalHours % 1 == 0 => $"{span.TotalHours:0}h",
        _ when span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 => $"{span.TotalMinutes:0}m",
        _ => $"{span.TotalSeconds:0.###}s",
    };

    static string StateMarkup(string state) => state switch
    {
        AlertStates.Firing => "[red]firing[/]",
        AlertStates.Pending => "[yellow]pending[/]",
        AlertStates.Ok => "[green]ok[/]",
        _ => $"[grey]{Markup.Escape(state)}[/]",
    };
}
