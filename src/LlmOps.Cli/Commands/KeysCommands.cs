using System.CommandLine;
using LlmOps.Identity;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops keys create|list|revoke</c> (Admin).</summary>
internal static class KeysCommands
{
    public static Command Build()
    {
        var keys = new Command("keys", "API keys: create (shown once), list, revoke.");
        keys.Subcommands.Add(Create());
        keys.Subcommands.Add(List());
        keys.Subcommands.Add(Revoke());
        return keys;
    }

    static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Who or what uses the key.", Required = true };
        var role = new Option<Role>("--role") { Description = "Viewer, Developer, Approver or Admin.", DefaultValueFactory = _ => Role.Viewer };
        var scopes = new Option<string[]>("--scope") { Description = $"'*' (default) or an area ({string.Join(", ", ApiScopes.Areas)}), optionally :read or :write (repeatable)." };
        var command = new Command("create", "Create an API key; its secret is printed once and never stored.") { name, role, scopes };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var created = await session.Keys.CreateAsync(new CreateApiKey(parse.GetValue(name)!, parse.GetValue(role), parse.GetValue(scopes)), ct);
            output.Write(created, c => new Rows(
                Output.Fields([("id", c.Key.Id), ("name", c.Key.Name), ("role", c.Key.Role.ToString()), ("scopes", string.Join(" ", c.Key.Scopes))]),
                new Markup($"\n[bold]Key (shown once, store it now):[/] {Markup.Escape(c.Secret)}\n")));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command List()
    {
        var command = new Command("list", "List API keys (never their secrets).");
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var keys = await session.Keys.ListAsync(ct);
            output.Write(keys, list =>
            {
                var table = Output.Table("id", "name", "role", "scopes", "created", "revoked");
                foreach (var k in list)
                    table.AddRow(k.Id, Markup.Escape(k.Name), k.Role.ToString(), Markup.Escape(string.Join(" ", k.Scopes)), Output.Time(k.CreatedAt), Output.Time(k.RevokedAt));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Revoke()
    {
        var id = new Argument<string>("ID") { Description = "Key id (from 'keys list')." };
        var command = new Command("revoke", "Revoke an API key; it stops working at once.") { id };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var key = await session.Keys.RevokeAsync(parse.GetValue(id)!, ct);
            output.Write(key, k => new Markup($"Revoked key [bold]{k.Id}[/] ({Markup.Escape(k.Name)}).\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
