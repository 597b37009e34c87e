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
        root.Subcommands.Add(ModelsCommands.Build());
        root.Subcommands.Add(RunsCommands.Build());
        root.Subcommands.Add(KeysCommands.Build());
        root.Subcommands.Add(AuditCommands.Build());
        root.Subcommands.Add(DeployCommands.Build());
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
        return await parse.InvokeAsync(cancellationToken: cancellationToken);
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
        catch (OperationCanceledException)
        {
            output.Error("cancelled.");
            return ExitCodes.InternalError;
        }
        catch (ServerUnreachableException exception)
        {
            output.Error(exception.Message);
            return ExitCodes.InternalError;
        }
        catch (StorageException exception)
        {
            output.Error(exception.Message);
            return ExitCodes.InternalError;
        }
        catch (IntegrityException exception)
        {
            output.Error(exception.Message);
            return ExitCodes.CheckFailed;
        }
        catch (LlmOpsException exception)
        {
            output.Error(exception.Message);
            return ExitCodes.InputError;
        }
        catch (IOException exception)
        {
            output.Error(exception.Message);
            return ExitCodes.InputError;
        }
        catch (UnauthorizedAccessException exception)
        {
            output.Error(exception.Message);
            return ExitCodes.InputError;
        }
#pragma warning disable CA1031 // The CLI's last line of defence: an internal error is a message and exit code 3, never a stack trace.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            output.Error($"internal error ({exception.GetType().Name}): {exception.Message}");
            return ExitCodes.InternalError;
        }
    }
}
