using System.CommandLine;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops audit verify|list</c> (Admin).</summary>
internal static class AuditCommands
{
    public static Command Build()
    {
        var audit = new Command("audit", "The hash-chained audit log of every change.");
        var verify = new Command("verify", "Check every link of the chain; exit 1 and name the first broken entry if any was altered or removed.");
        verify.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var result = await session.Audit.VerifyAsync(ct);
            output.Write(result, r => r.IsIntact
                ? new Markup($"[green]audit log intact[/]: {r.EntriesChecked} entries checked.\n")
                : new Markup($"[red]audit log broken at entry {r.FirstBrokenSequence}[/]: {Markup.Escape(r.Problem ?? "")}\n"));
            return result.IsIntact ? ExitCodes.Ok : ExitCodes.CheckFailed;
        }));
        audit.Subcommands.Add(verify);

        var after = new Option<long>("--after") { Description = "Only entries after this sequence number." };
        var limit = new Option<int>("--limit") { Description = "At most this many entries.", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "List audit entries, oldest first.") { after, limit };
        list.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var entries = await session.Audit.ListAsync(parse.GetValue(after), parse.GetValue(limit), ct);
            output.Write(entries, rows =>
            {
                var table = Output.Table("seq", "when", "who", "action", "entity");
                foreach (var e in rows)
                    table.AddRow(e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(e.At), Markup.Escape(e.ActorId), Markup.Escape(e.Action), Markup.Escape($"{e.EntityType} {e.EntityId}"));
                return table;
            });
            return ExitCodes.Ok;
        }));
        audit.Subcommands.Add(list);
        return audit;
    }
}
