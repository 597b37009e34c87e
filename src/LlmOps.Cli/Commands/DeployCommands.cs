using System.CommandLine;
using System.Globalization;
using LlmOps.Deployments;
using LlmOps.Registry;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops deploy set|show|list|rollback</c>: which versions serve an endpoint in an environment.</summary>
internal static class DeployCommands
{
    public static Command Build()
    {
        var deploy = new Command("deploy", "Deployments: endpoint × environment → weighted versions (canary), shadow, fallbacks; revisions and rollback.");
        deploy.Subcommands.Add(Set());
        deploy.Subcommands.Add(Show());
        deploy.Subcommands.Add(List());
        deploy.Subcommands.Add(Rollback());
        return deploy;
    }

    static Option<string> EnvironmentOption(bool required = true)
    {
        var option = new Option<string>("--env", "-e") { Description = "dev, qa or prod (prod serves only Approved versions).", Required = required };
        option.AcceptOnlyFromAmong([.. Environments.All]);
        return option;
    }

    static Command Set()
    {
        var endpoint = new Argument<string>("ENDPOINT") { Description = "The name clients send as the OpenAI 'model'." };
        var environment = EnvironmentOption();
        var versions = new Option<string[]>("--version", "-v") { Description = "name/VERSION[=WEIGHT] (repeatable; weights split traffic, default 100).", Required = true };
        var shadow = new Option<string?>("--shadow") { Description = "name/VERSION that gets a copy of each request; answers recorded, never returned." };
        var fallbacks = new Option<string[]>("--fallback") { Description = "name/VERSION tried in order on error or timeout (repeatable)." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds one version may take before the next in the chain is tried." };
        var command = new Command("set", "Make a new revision of an endpoint's deployment; takes effect for the next request.") { endpoint, environment, versions, shadow, fallbacks, timeout };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var weighted = (parse.GetValue(versions) ?? []).Select(Weighted).ToList();
            var spec = new DeploymentSpec(weighted,
                parse.GetValue(shadow) is { } s ? VersionRef.Parse(s, "--shadow") : null,
                [.. (parse.GetValue(fallbacks) ?? []).Select(f => VersionRef.Parse(f, "--fallback"))],
                parse.GetValue(timeout));
            var deployment = await session.Deployments.SetAsync(parse.GetValue(environment)!, parse.GetValue(endpoint)!, spec, ct);
            output.Write(deployment, d => new Markup($"[green]{Markup.Escape(d.Name)}[/] revision {d.Revision}: {Markup.Escape(Describe(d.Spec))}\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Show()
    {
        var endpoint = new Argument<string>("ENDPOINT");
        var environment = EnvironmentOption();
        var command = new Command("show", "Show an endpoint's current deployment and its revisions.") { endpoint, environment };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var revisions = await session.Deployments.HistoryAsync(parse.GetValue(environment)!, parse.GetValue(endpoint)!, ct);
            var current = revisions[^1];
            output.Write(new { current, revisions }, _ =>
            {
                var table = Output.Table("revision", "action", "spec", "when", "by");
                foreach (var r in revisions)
                {
                    var action = r.RestoredFrom is { } from ? $"rollback to {from}" : r.Action;
                    table.AddRow(r.Revision.ToString(CultureInfo.InvariantCulture), action, Markup.Escape(Describe(r.Spec)), Output.Time(r.CreatedAt), Markup.Escape(r.CreatedBy));
                }
                return new Rows(Output.Fields([("deployment", current.Name), ("revision", current.Revision.ToString(CultureInfo.InvariantCulture)), ("serves", Describe(current.Spec))]), table);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command List()
    {
        var environment = EnvironmentOption(required: false);
        var command = new Command("list", "List every endpoint's current deployment.") { environment };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var all = await session.Deployments.ListAsync(parse.GetValue(environment), ct);
            output.Write(all, list =>
            {
                var table = Output.Table("deployment", "revision", "serves", "updated", "by");
                foreach (var d in list)
                    table.AddRow(Markup.Escape(d.Name), d.Revision.ToString(CultureInfo.InvariantCulture), Markup.Escape(Describe(d.Spec)), Output.Time(d.CreatedAt), Markup.Escape(d.CreatedBy));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Rollback()
    {
        var endpoint = new Argument<string>("ENDPOINT");
        var environment = EnvironmentOption();
        var command = new Command("rollback", "Return an endpoint to its previous revision (recorded as a new revision).") { endpoint, environment };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var deployment = await session.Deployments.RollbackAsync(parse.GetValue(environment)!, parse.GetValue(endpoint)!, ct);
            output.Write(deployment, d => new Markup($"[green]{Markup.Escape(d.Name)}[/] revision {d.Revision} restores revision {d.RestoredFrom}: {Markup.Escape(Describe(d.Spec))}\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static WeightedVersion Weighted(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var reference = VersionRef.Parse(equals < 0 ? text : text[..equals], "--version");
        if (equals < 0) return new WeightedVersion(reference.Model, reference.Version);
        if (!int.TryParse(text[(equals + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var weight))
            throw new InvalidInputException("--version", $"'{text}': the weight after '=' must be a whole number.");
        return new WeightedVersion(reference.Model, reference.Version, weight);
    }

    static string Describe(DeploymentSpec spec)
    {
        var total = spec.Versions.Sum(v => v.Weight);
        var parts = spec.Versions.Select(v => spec.Versions.Count == 1 ? v.Reference : $"{v.Reference} {100.0 * v.Weight / total:0.#}%").ToList();
        if (spec.Shadow is { } shadow) parts.Add($"shadow {shadow.Reference}");
        if (spec.Fallbacks is { Count: > 0 } fallbacks) parts.Add($"fallback {string.Join(" → ", fallbacks.Select(f => f.Reference))}");
        if (spec.TimeoutSeconds is { } timeout) parts.Add($"timeout {timeout.ToString(CultureInfo.InvariantCulture)}s");
        return string.Join(", ", parts);
    }
}
