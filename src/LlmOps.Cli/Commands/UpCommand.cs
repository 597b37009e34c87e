using System.CommandLine;
using LlmOps.Server;
using LlmOps.Server.Otlp;
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
        var defaultEnv = new Option<string>("--default-env") { Description = "Environment a bare model name is served from in /v1.", DefaultValueFactory = _ => "prod" };
        defaultEnv.AcceptOnlyFromAmong([.. LlmOps.Registry.Environments.All]);
        var slots = new Option<int>("--slots") { Description = "Requests generating at once per GGUF model (continuous batching); the rest queue.", DefaultValueFactory = _ => 4 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for llama.cpp.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var idleUnload = new Option<int>("--idle-unload-minutes") { Description = "Unload a model after this many minutes without requests.", DefaultValueFactory = _ => 10 };
        var rpm = new Option<int>("--key-rpm") { Description = "Requests per minute per API key on /v1 (0: no limit)." };
        var tpm = new Option<int>("--key-tpm") { Description = "Tokens per minute per API key on /v1 (0: no limit)." };
        var budget = new Option<long>("--key-token-budget") { Description = "Tokens per API key while the server runs (0: no limit)." };
        var otlpEndpoint = new Option<string?>("--otlp-endpoint") { Description = "Export the gateway's OpenTelemetry spans to this OTLP collector URL (e.g. http://localhost:4318); OTEL_EXPORTER_OTLP_ENDPOINT works too." };
        var otlpProtocol = new Option<string>("--otlp-protocol") { Description = "OTLP protocol of --otlp-endpoint.", DefaultValueFactory = _ => OtlpExportOptions.HttpProtobuf };
        otlpProtocol.AcceptOnlyFromAmong([.. OtlpExportOptions.Protocols]);
        var command = new Command("up", "Start the LlmOps server (SQLite and a local artifact folder unless --postgres is given).")
        {
            urls, jsonLogs, defaultEnv, slots, threads, idleUnload, rpm, tpm, budget, otlpEndpoint, otlpProtocol,
        };
        command.SetAction((parse, ct) => LlmOpsCli.Guard(parse, async output =>
        {
            var storage = CliSession.StorageFor(parse);
            var dataDirectory = new DataDirectory(storage.DataDir).Ensure();
            var options = new ServerOptions { Urls = parse.GetValue(urls)!, Storage = storage, JsonLogs = parse.GetValue(jsonLogs) };
            options.Gateway.DefaultEnvironment = parse.GetValue(defaultEnv)!;
            options.Gateway.LlamaCpp.MaxConcurrentRequests = parse.GetValue(slots);
            options.Gateway.LlamaCpp.Threads = parse.GetValue(threads);
            options.Gateway.LlamaCpp.IdleUnloadAfter = TimeSpan.FromMinutes(parse.GetValue(idleUnload));
            options.Gateway.Limits.RequestsPerMinute = parse.GetValue(rpm);
            options.Gateway.Limits.TokensPerMinute = parse.GetValue(tpm);
            options.Gateway.Limits.TokenBudget = parse.GetValue(budget);
            if (parse.GetValue(otlpEndpoint) is { } endpoint) options.Otlp = new OtlpExportOptions { Endpoint = endpoint, Protocol = parse.GetValue(otlpProtocol)! };
            await using var app = LlmOpsServer.Build(options);
            var created = await app.PrepareAsync(ct);
            if (created is not null)
            {
                await SecretFiles.WriteAsync(dataDirectory.AdminKeyPath, created.Secret, ct);
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
}
