using System.Diagnostics;

namespace LlmOps.Benchmarks.Serving;

/// <summary>This benchmark program started again in another mode as a child process, so that what is measured does
/// not share a runtime, thread pool, garbage collector or llama.cpp/OpenMP thread state with the harness or with each
/// other. The child prints one line when ready, then answers one line per command line; closing its standard input
/// stops it.</summary>
internal sealed class BenchProcess : IAsyncDisposable
{
    readonly Process process;

    BenchProcess(string name, Process process, string readyLine)
    {
        Name = name;
        this.process = process;
        ReadyLine = readyLine;
    }

    public string Name { get; }
    public int Pid => process.Id;

    /// <summary>The first line the child printed.</summary>
    public string ReadyLine { get; }

    /// <summary>CPU time the process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    public long ResidentBytes => ResidentMemory.Of(process.Id);

    /// <summary>Starts <c>LlmOps.Benchmarks MODE ARGUMENTS…</c> and waits for its ready line; its standard error is
    /// copied to ours, prefixed with <paramref name="name"/>.</summary>
    public static async Task<BenchProcess> StartAsync(string name, string mode, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Run as `dotnet LlmOps.Benchmarks.dll …` or as the apphost: start the child the same way.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(BenchProcess).Assembly.Location);
        start.ArgumentList.Add(mode);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Console.Error.WriteLine($"[{name}] {e.Data}");
        };
        process.BeginErrorReadLine();
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
        if (line is null)
        {
            await process.WaitForExitAsync();
            var code = process.ExitCode;
            process.Dispose();
            throw new InvalidOperationException($"{name} exited ({code}) before it was ready");
        }
        return new BenchProcess(name, process, line);
    }

    /// <summary>Sends one command line and returns the child's one-line answer.</summary>
    public async Task<string> AskAsync(string command)
    {
        await process.StandardInput.WriteLineAsync(command);
        await process.StandardInput.FlushAsync();
        return await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException($"{Name} ended without answering '{command}'");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.Dispose();
    }
}
