using System.Diagnostics;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Cli;
using LlmOps.Pipelines;
using LlmOps.Server;
using LlmOps.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.IntegrationTests.Pipelines;

/// <summary>Two `llmops worker` processes on a real PostgreSQL queue: the one running a step is killed with SIGKILL,
/// the other takes the step over and the pipeline finishes.</summary>
public sealed class WorkerFailoverTests : IDisposable
{
    readonly TempFolder work = new("llmops-failover");

    public void Dispose() => work.Dispose();

    static Process StartWorker(string connectionString, string dataDir)
    {
        var process = Process.Start(CliProcess.StartInfo("worker", "--postgres", connectionString, "--data-dir", dataDir,
            "--workers", "1", "--heartbeat", "500ms", "--dead-after", "3s"))!;
        process.StandardInput.Close();
        return process;
    }

    static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 60)
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"timed out waiting for {what}");
    }

    [SkippableFact]
    public async Task WorkerKilledMidStep_AnotherWorkerTakesTheStepOverAndThePipelineFinishes()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        var dataDir = work.PathOf("shared");
        var attempts = work.PathOf("attempts.log");
        Process? first = null, second = null;
        var options = new ServerOptions
        {
            Storage = new StorageOptions { DataDir = dataDir, PostgresConnectionString = connectionString },
            Workers = 0,
            StepHeartbeatInterval = TimeSpan.FromMilliseconds(500),
            StepHeartbeatTimeout = TimeSpan.FromSeconds(3),
            Quiet = true,
        };
        using var client = LlmOpsServer.BuildWorker(options);
        try
        {
            await client.PrepareAsync();
            first = StartWorker(connectionString, dataDir);
            var engine = client.Services.GetRequiredService<PipelineEngine>();
            var developer = new Actor("failover-dev", "developer", Role.Developer, ["*"]);
            var run = await engine.StartAsync(PipelineParser.Parse($$"""
                name: failover
                steps:
                  - id: long
                    type: shell
                    with: { command: sh, args: ["-c", "echo $$ >> {{attempts}}; sleep 4; echo ::output finished=yes"] }
                  - id: after
                    type: shell
                    with: { command: sh, args: ["-c", "echo ::output saw=${steps.long.outputs.finished}"] }
                """), null, developer);

            await WaitForAsync(() => File.Exists(attempts) && File.ReadAllLines(attempts).Length == 1, "the first worker to start the step");
            first.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up or release its job
            await first.WaitForExitAsync();
            second = StartWorker(connectionString, dataDir);

            PipelineRun? finished = null;
            IReadOnlyList<StepRun> steps = [];
            await WaitForAsync(() =>
            {
                (finished, steps) = engine.GetAsync(run.Id, developer).GetAwaiter().GetResult();
                return finished.IsFinished;
            }, "the pipeline to finish on the second worker", 90);

            Assert.Equal(PipelineRunStatus.Succeeded, finished!.Status);
            Assert.Equal(2, File.ReadAllLines(attempts).Distinct().Count());
            Assert.Equal(2, steps.Single(s => s.StepId == "long").Attempt);
            Assert.Equal("yes", steps.Single(s => s.StepId == "after").Outputs["saw"]);
        }
        finally
        {
            foreach (var process in new[] { first, second })
            {
                if (process is { HasExited: false }) process.Kill(entireProcessTree: true);
                process?.Dispose();
            }
            await TestPostgres.DropDatabaseAsync(connectionString);
        }
    }
}
