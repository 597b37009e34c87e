using System.CommandLine;
using LlmOps.Configuration;
using LlmOps.Server;
using Microsoft.Extensions.Hosting;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops worker</c>: pipeline workers without HTTP, sharing the PostgreSQL store and job queue with other machines.</summary>
internal static class WorkerCommand
{
    public static Command Build()
    {
        var queues = new Option<string>("--queues") { Description = "Queues to take steps from, comma-separated, in priority order.", DefaultValueFactory = _ => "default,cpu" };
        var workers = new Option<int>("--workers") { Description = "Steps run at once by this process.", DefaultValueFactory = _ => 2 };
        var heartbeat = new Option<string>("--heartbeat") { Description = "How often a running step records it is alive (e.g. 15s).", DefaultValueFactory = _ => "15s" };
        var deadAfter = new Option<string>("--dead-after") { Description = "A step silent this long is taken over by another worker (e.g. 1m).", DefaultValueFactory = _ => "1m" };
        var command = new Command("worker", "Run pipeline steps from the shared queue (use with --postgres and a shared --data-dir for artifacts).")
            { queues, workers, heartbeat, deadAfter };
        command.SetAction((parse, ct) => LlmOpsCli.Guard(parse, async output =>
        {
            var options = new ServerOptions
            {
                Storage = CliSession.StorageFor(parse),
                Workers = parse.GetValue(workers),
                WorkerQueues = parse.GetValue(queues)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                StepHeartbeatInterval = Duration(parse.GetValue(heartbeat)!, "--heartbeat"),
                StepHeartbeatTimeout = Duration(parse.GetValue(deadAfter)!, "--dead-after"),
            };
            if (options.Workers < 1) throw new InvalidInputException("--workers", "a worker needs at least 1.");
            using var host = LlmOpsServer.BuildWorker(options);
            await host.PrepareAsync(ct);
            await host.StartAsync(ct);
            output.Info($"LlmOps worker {Environment.ProcessId} on queues {string.Join(", ", options.WorkerQueues)} ({options.Workers} at once). Ctrl-C stops it.");
            await host.WaitForShutdownAsync(ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    static TimeSpan Duration(string text, string option) =>
        YamlSection.ParseDuration(text) ?? throw new InvalidInputException(option, $"'{text}' is not a duration like 500ms, 15s or 1m.");
}
