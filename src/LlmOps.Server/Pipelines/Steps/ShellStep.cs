using System.Diagnostics;
using LlmOps.Pipelines;

namespace LlmOps.Server.Pipelines.Steps;

/// <summary><c>shell</c>: runs a program (no shell interpretation of the arguments); stdout and stderr go to the step log,
/// and stdout lines <c>::output name=value</c> become outputs (as GitHub Actions' set-output did).</summary>
public sealed class ShellStep : IPipelineStep
{
    public string Type => "shell";
    public bool Cacheable => false;

    public Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult("shell/1");

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var info = new ProcessStartInfo(context.Input("command"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = context.OptionalInput("workdir") ?? context.WorkDirectory,
        };
        foreach (var arg in context.OptionalInput("args")?.Split('\n') ?? []) info.ArgumentList.Add(arg);
        info.Environment["LLMOPS_RUN_ID"] = context.RunId;
        info.Environment["LLMOPS_STEP_ID"] = context.StepId;
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidInputException($"steps.{context.StepId}.with.command", $"could not start '{info.FileName}'.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidInputException($"steps.{context.StepId}.with.command", $"could not start '{info.FileName}': {exception.Message}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = Pump(process.StandardOutput, line =>
            {
                if (line.StartsWith("::output ", StringComparison.Ordinal) && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 9)
                    outputs[line[9..eq].Trim()] = line[(eq + 1)..];
                context.Log(line);
            });
            var stderr = Pump(process.StandardError, line => context.Log($"stderr: {line}"));
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            await Task.WhenAll(stdout, stderr);
            outputs["exit_code"] = process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (process.ExitCode != 0) throw new StepFailedException($"'{info.FileName}' exited with code {process.ExitCode}.");
        }
        return new StepOutcome(outputs);
    }

    static async Task Pump(StreamReader reader, Action<string> onLine)
    {
        while (await reader.ReadLineAsync() is { } line) onLine(line);
    }
}

/// <summary>A step ended unsuccessfully for a reason its log explains (a non-zero exit, a failed gate).</summary>
public sealed class StepFailedException(string message) : LlmOpsException(message);
