using System.CommandLine;
using System.Text;
using LlmOps.Server;
using Microsoft.Extensions.Hosting;
using LlmOps.Storage;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops up</c>: the server, API and workers in one process on the embedded default.</summary>
internal static class UpCommand
{
    public static Command Build()
    {
        var urls = new Option<string>("--urls") { Description = "Listen address(es), ';'-separated.", DefaultValueFactory = _ => ServerOptions.DefaultUrl };
        var jsonLogs = new Option<bool>("--json-logs") { Description = "Write logs as JSON lines." };
        var command = new Command("up", "Start the LlmOps server (SQLite and a local artifact folder unless --postgres is given).") { urls, jsonLogs };
        command.SetAction((parse, ct) => LlmOpsCli.Guard(parse, async output =>
        {
            var storage = CliSession.StorageFor(parse);
            var dataDirectory = new DataDirectory(storage.DataDir).Ensure();
            var options = new ServerOptions { Urls = parse.GetValue(urls)!, Storage = storage, JsonLogs = parse.GetValue(jsonLogs) };
            await using var app = LlmOpsServer.Build(options);
            var created = await app.PrepareAsync(ct);
            if (created is not null)
            {
                await WriteSecretFileAsync(dataDirectory.AdminKeyPath, created.Secret + "\n", ct);
                output.Info($"[bold]First start: created the admin API key (shown once; also in {Markup.Escape(dataDirectory.AdminKeyPath)}, readable only by you):[/]");
                if (!output.Json) Console.Out.WriteLine(created.Secret);
            }
            await app.StartAsync(ct);
            output.Info($"LlmOps is up at [link]{Markup.Escape(options.Urls)}[/] (store: {(string.IsNullOrEmpty(storage.PostgresConnectionString) ? "sqlite" : "postgres")}, data: {Markup.Escape(dataDirectory.Root)}). Ctrl-C stops it.");
            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Writes a secret with mode 0600, atomically (temp file, then rename).</summary>
    static async Task WriteSecretFileAsync(string path, string content, CancellationToken ct)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(temp, options))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), ct);
        }
        File.Move(temp, path, overwrite: true);
    }
}
