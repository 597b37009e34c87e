using System.CommandLine;
using LlmOps.Cli.Commands;
using LlmOps.Cli.Remote;
using Spectre.Console;

namespace LlmOps.Cli;

/// <summary>The <c>llmops</c> command line.</summary>
public static class LlmOpsCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("LlmOps: train, evaluate, register, approve, deploy and monitor language models.");
        foreach (var option in GlobalOptions.All) root.Options.Add(option);
        root.Subcommands.Add(UpCommand.Build());
        root.Subcommands.Add(QuickstartCommand.Build());
        root.Subcommands.Add(WorkerCommand.Build());
        root.Subcommands.Add(DataCommands.Build());
        root.Subcommands.Add(TokenizerCommands.Build());
        root.Subcommands.Add(TrainCommand.Build());
        root.Subcommands.Add(ModelsCommands.Build());
        root.Subcommands.Add(RunsCommands.Build());
        root.Subcommands.Add(PipelineCommands.Build());
        root.Subcommands.Add(PipelineCommands.Decision(approve: true));
        root.Subcommands.Add(PipelineCommands.Decision(approve: false));
        root.Subcommands.Add(KeysCommands.Build());
        root.Subcommands.Add(AuditCommands.Build());
        root.Subcommands.Add(WebhookCommands.Build());
        root.Subcommands.Add(EvalCommands.Build());
        root.Subcommands.Add(DeployCommands.Build());
        root.Subcommands.Add(TracesCommands.Build());
        root.Subcommands.Add(TracesCommands.Feedback());
        root.Subcommands.Add(PricesCommands.Build());
        root.Subcommands.Add(AlertsCommands.Build());
        root.Subcommands.Add(DriftCommand.Build());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Run 'llmops --help' (or the command with --help) for usage.");
            return ExitCodes.InputError;
        }
        // Ctrl-C cancels the command's token; training then stops at the next step boundary after a checkpoint, which can take longer than the default 2 s.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2) }, cancellationToken);
    }

    /// <summary>Runs a command body with a session, mapping failures to messages and exit codes (no stack traces).</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> WithSession(Func<ParseResult, CliSession, Output, CancellationToken, Task<int>> body) =>
        (parse, cancellationToken) => Guard(parse, async output =>
        {
            await using var session = await CliSession.OpenAsync(parse, cancellationToken);
            return await body(parse, session, output, cancellationToken);
        });

    /// <summary>As <see cref="WithSession"/> for commands that need no session.</summary>
    public static async Task<int> Guard(ParseResult parse, Func<Output, Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        var output = new Output(parse.GetValue(GlobalOptions.Json));
        try
        {
            return await body(output);
        }
#pragma warning disable CA1031 // The CLI's last line of defence: every failure is a message and an exit code, never a stack trace.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var (code, message) = Describe(exception);
            Output.Error(message);
            return code;
        }
    }

    /// <summary>The exit code and message for a failure: input and rule errors are 2, integrity 1, the rest 3.</summary>
    static (int Code, string Message) Describe(Exception exception) => exception switch
    {
        OperationCanceledException => (ExitCodes.InternalError, "cancelled."),
        ServerUnreachableException or StorageException => (ExitCodes.InternalError, exception.Message),
        IntegrityException => (ExitCodes.CheckFailed, exception.Message),
        LlmOpsException or DataPrep.DataPrepException or IOException or UnauthorizedAccessException => (ExitCodes.InputError, exception.Message),
        _ => (ExitCodes.InternalError, $"internal error ({exception.GetType().Name}): {exception.Message}"),
    };
}
