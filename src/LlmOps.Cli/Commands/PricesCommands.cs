using System.CommandLine;
using System.Globalization;
using LlmOps.Monitoring;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops prices set|list|remove</c>: the price table that costs each traced request.</summary>
internal static class PricesCommands
{
    public static Command Build()
    {
        var prices = new Command("prices", "What serving a registry model costs (per 1K tokens and/or per hour of compute); traces are priced from it.");
        prices.Subcommands.Add(Set());
        prices.Subcommands.Add(List());
        prices.Subcommands.Add(Remove());
        return prices;
    }

    static Command Set()
    {
        var model = new Argument<string>("MODEL") { Description = "Registry model name (every version of it)." };
        var input = new Option<double?>("--input-per-1k") { Description = "Price of 1,000 prompt tokens." };
        var outputPrice = new Option<double?>("--output-per-1k") { Description = "Price of 1,000 generated tokens." };
        var perHour = new Option<double?>("--per-hour") { Description = "Price of an hour of local compute, charged by each request's total time." };
        var command = new Command("set", "Set a model's price (give at least one of the three).") { model, input, outputPrice, perHour };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var price = await session.Monitoring.SetPriceAsync(parse.GetValue(model)!, new PriceInput(parse.GetValue(input), parse.GetValue(outputPrice), parse.GetValue(perHour)), ct);
            output.Write(price, p => new Markup($"Price of [green]{Markup.Escape(p.Model)}[/]: {Describe(p)}.\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command List()
    {
        var command = new Command("list", "List the price table.");
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var prices = await session.Monitoring.ListPricesAsync(ct);
            output.Write(prices, rows =>
            {
                var table = Output.Table("model", "input / 1K", "output / 1K", "per hour", "updated", "by");
                foreach (var p in rows)
                    table.AddRow(Markup.Escape(p.Model), Number(p.InputPer1K), Number(p.OutputPer1K), Number(p.PerHour), Output.Time(p.UpdatedAt), Markup.Escape(p.UpdatedBy));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Remove()
    {
        var model = new Argument<string>("MODEL") { Description = "Registry model name." };
        var command = new Command("remove", "Remove a model's price; its requests are no longer costed.") { model };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            await session.Monitoring.RemovePriceAsync(parse.GetValue(model)!, ct);
            output.Info($"Removed the price of {Markup.Escape(parse.GetValue(model)!)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    static string Describe(ModelPrice price) => string.Join(", ", new[]
    {
        price.InputPer1K is { } i ? $"{Number(i)} per 1K input tokens" : null,
        price.OutputPer1K is { } o ? $"{Number(o)} per 1K output tokens" : null,
        price.PerHour is { } h ? $"{Number(h)} per hour" : null,
    }.OfType<string>());

    static string Number(double? value) => value?.ToString("0.######", CultureInfo.InvariantCulture) ?? "-";
}
