using System.Diagnostics;

namespace LlmOps.IntegrationTests.Cli;

/// <summary>Runs the built <c>llmops</c> as a real process, as a user or a script would.</summary>
public static class CliProcess
{
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "llmops.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(DllPath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var variable in new[] { "LLMOPS_HOME", "LLMOPS_SERVER", "LLMOPS_API_KEY", "LLMOPS_POSTGRES" }) info.Environment.Remove(variable);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "200";
        return info;
    }

    public static Task<Result> RunAsync(params string[] args) => RunAsync(TimeSpan.FromMinutes(2), args);

    /// <summary>Runs a command that may take longer (the quickstart trains two models: ~40 s alone, minutes on a loaded machine).</summary>
    public static async Task<Result> RunAsync(TimeSpan limit, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Left running, a timed-out command (a quickstart on a loaded machine) goes on using the CPU after the test.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"llmops {string.Join(' ', args)} did not finish in {limit.TotalMinutes:0} minutes; it was killed.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
