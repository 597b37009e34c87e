using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmOps.Cli;

/// <summary>Prints results as tables for people or, with <c>--json</c>, as JSON for scripts; errors go to stderr.</summary>
public sealed class Output(bool json)
{
    public bool Json { get; } = json;

    /// <summary>Writes <paramref name="value"/> as JSON under --json, else renders it with <paramref name="render"/>.</summary>
    public void Write<T>(T value, Func<T, IRenderable> render)
    {
        ArgumentNullException.ThrowIfNull(render);
        if (Json) Console.Out.WriteLine(JsonSerializer.Serialize(value, LlmOpsJson.Indented));
        else AnsiConsole.Write(render(value));
    }

    /// <summary>A line for people; nothing under --json (which prints only the result).</summary>
    public void Info(string markup)
    {
        if (!Json) AnsiConsole.MarkupLine(markup);
    }

    /// <summary>One plain line on stderr: never wrapped or styled, so scripts and logs can match it.</summary>
    public static void Error(string message) => Console.Error.WriteLine($"error: {message}");

    /// <summary>A table with the given column headers.</summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers) table.AddColumn(new TableColumn(Markup.Escape(header)));
        return table;
    }

    /// <summary>Key/value rows, for showing one object.</summary>
    public static Grid Fields(IEnumerable<(string Name, string? Value)> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (name, value) in fields) grid.AddRow(new Markup($"[bold]{Markup.Escape(name)}[/]"), new Text(value ?? "-"));
        return grid;
    }

    public static string Time(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "-";

    public static string Pairs<TValue>(IReadOnlyDictionary<string, TValue> values) =>
        values.Count == 0 ? "-" : string.Join(", ", values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)}"));
}
