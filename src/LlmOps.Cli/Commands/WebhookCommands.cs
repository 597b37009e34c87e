using System.CommandLine;
using LlmOps.Events;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops webhooks create|list|delete</c> (Admin): signed deliveries of events such as <c>pipeline.run.end</c>.</summary>
internal static class WebhookCommands
{
    public static Command Build()
    {
        var webhooks = new Command("webhooks", "Outbound webhooks for events (audit actions), signed with HMAC-SHA256.");
        var url = new Option<string>("--url") { Description = "Where to POST events.", Required = true };
        var events = new Option<string[]>("--event") { Description = "Event to send: an action (pipeline.run.end), a prefix (model.*) or * (repeatable).", Required = true };
        var secret = new Option<string?>("--secret") { Description = "Signing secret (default: generated and shown once)." };
        var create = new Command("create", "Subscribe a URL to events.") { url, events, secret };
        create.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var webhook = await session.Webhooks.CreateAsync(new CreateWebhook(parse.GetValue(url)!, parse.GetValue(events)!, parse.GetValue(secret)), ct);
            output.Write(webhook, w => new Markup($"Webhook [bold]{w.Id}[/] → {Markup.Escape(w.Url)} for {Markup.Escape(string.Join(", ", w.Events))}\nSigning secret (shown once): {Markup.Escape(w.Secret)}\n"));
            return ExitCodes.Ok;
        }));
        var list = new Command("list", "List webhooks (secrets hidden).");
        list.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var all = await session.Webhooks.ListAsync(ct);
            output.Write(all, rows =>
            {
                var table = Output.Table("id", "url", "events", "created");
                foreach (var w in rows) table.AddRow(w.Id, Markup.Escape(w.Url), Markup.Escape(string.Join(", ", w.Events)), Output.Time(w.CreatedAt));
                return table;
            });
            return ExitCodes.Ok;
        }));
        var id = new Argument<string>("ID") { Description = "Webhook id." };
        var delete = new Command("delete", "Delete a webhook.") { id };
        delete.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            await session.Webhooks.DeleteAsync(parse.GetValue(id)!, ct);
            output.Info($"Deleted webhook {Markup.Escape(parse.GetValue(id)!)}.");
            return ExitCodes.Ok;
        }));
        webhooks.Subcommands.Add(create);
        webhooks.Subcommands.Add(list);
        webhooks.Subcommands.Add(delete);
        return webhooks;
    }
}
