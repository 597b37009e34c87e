using System.Text.Json;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Pipelines;
using LlmOps.Registry;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.IntegrationTests.Pipelines;

/// <summary>The engine on the real server host: SQLite store, Hangfire workers on SQLite, real steps.</summary>
public sealed class PipelineEngineTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>, IDisposable
{
    static readonly Actor Developer = new("pipeline-dev", "pipeline developer", Role.Approver, ["*"]);
    static readonly Actor OtherApprover = new("pipeline-approver", "other approver", Role.Approver, ["*"]);
    readonly TempFolder work = new("llmops-pipelines");

    PipelineEngine Engine => server.App.Services.GetRequiredService<PipelineEngine>();

    public void Dispose() => work.Dispose();

    string Write(string name, string content) => work.Write(name, content);

    static string Corpus(int from, int count) =>
        string.Concat(Enumerable.Range(from, count).Select(i => JsonSerializer.Serialize(new { text = $"line {i} of the corpus" }) + "\n"));

    async Task<PipelineRunDetails> RunAsync(string yaml, Actor? actor = null, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var run = await Engine.StartAsync(PipelineParser.Parse(yaml), parameters, actor ?? Developer);
        return await SettledAsync(run.Id);
    }

    async Task<PipelineRunDetails> SettledAsync(string runId)
    {
        for (var i = 0; i < 600; i++)
        {
            var (run, steps) = await Engine.GetAsync(runId, Developer);
            if (run.IsFinished || run.Status == PipelineRunStatus.WaitingForApproval) return new PipelineRunDetails(run, steps);
            await Task.Delay(100);
        }
        throw new TimeoutException($"run {runId} did not settle");
    }

    static StepRun Step(PipelineRunDetails details, string id) => details.Steps.Single(s => s.StepId == id);

    [Fact]
    public async Task Rerun_NothingChanged_CacheableStepsReusedAndOneChangedInputReRunsExactlyItsDependents()
    {
        var recipe = Write("recipe.yaml", "steps:\n  - normalize\n");
        var first = Write("a/corpus.jsonl", Corpus(0, 50));
        var second = Write("b/corpus.jsonl", Corpus(100, 50));
        var model = Write("model.gguf", "tiny weights");
        var yaml = $$"""
            name: cache-demo
            steps:
              - id: prep_a
                type: data.prepare
                with: { recipe: "{{recipe}}", input: "{{first}}", name: corpus-a }
              - id: prep_b
                type: data.prepare
                with: { recipe: "{{recipe}}", input: "{{second}}", name: corpus-b }
              - id: register
                type: register
                with: { name: cached-model, file: "{{model}}", dataset: "${steps.prep_b.outputs.dataset_version}" }
            """;
        var one = await RunAsync(yaml);
        Assert.Equal(PipelineRunStatus.Succeeded, one.Run.Status);
        Assert.All(one.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));

        var two = await RunAsync(yaml);
        Assert.All(two.Steps, s => Assert.Equal(StepStatus.Cached, s.Status));
        Assert.Equal(Step(one, "register").Outputs["model_version"], Step(two, "register").Outputs["model_version"]);

        File.WriteAllText(second, Corpus(100, 60));
        var three = await RunAsync(yaml);
        Assert.Equal(StepStatus.Cached, Step(three, "prep_a").Status);
        Assert.Equal(StepStatus.Succeeded, Step(three, "prep_b").Status);
        Assert.Equal(StepStatus.Succeeded, Step(three, "register").Status);
        Assert.NotEqual(Step(one, "register").Outputs["model_version"], Step(three, "register").Outputs["model_version"]);
    }

    [Fact]
    public async Task FailingStep_RetriedThenFailed_DownstreamSkippedLogsKept_ThenRetryFromFailedStepSucceeds()
    {
        var flag = work.PathOf("ready.flag");
        var yaml = $$"""
            name: flaky
            steps:
              - id: check
                type: shell
                retries: 1
                retry_backoff: 100ms
                with: { command: sh, args: ["-c", "echo checking; test -f {{flag}}"] }
              - id: after
                type: shell
                with: { command: sh, args: ["-c", "echo ::output done=yes"] }
                needs: [check]
            """;
        var failed = await RunAsync(yaml);
        Assert.Equal(PipelineRunStatus.Failed, failed.Run.Status);
        Assert.Equal(2, Step(failed, "check").Attempt);
        Assert.Equal(StepStatus.Failed, Step(failed, "check").Status);
        Assert.Equal(StepStatus.Skipped, Step(failed, "after").Status);
        Assert.Contains("step check failed", failed.Run.Error, StringComparison.Ordinal);
        var logs = await Engine.LogsAsync(failed.Run.Id, "check", Developer);
        Assert.Equal(2, logs.Count(l => l.Line == "checking"));

        File.WriteAllText(flag, "");
        await Engine.RetryAsync(failed.Run.Id, Developer);
        var retried = await SettledAsync(failed.Run.Id);
        Assert.Equal(PipelineRunStatus.Succeeded, retried.Run.Status);
        Assert.Equal("yes", Step(retried, "after").Outputs["done"]);
    }

    [Fact]
    public async Task ConditionFalse_StepAndItsDependentsSkipped()
    {
        var yaml = """
            name: conditional
            params: { deploy: "false" }
            steps:
              - { id: score, type: shell, with: { command: sh, args: ["-c", "echo ::output value=0.4"] } }
              - id: ship
                type: shell
                when: ${steps.score.outputs.value} >= 0.8 || ${params.deploy}
                with: { command: "true" }
              - { id: announce, type: shell, needs: [ship], with: { command: "true" } }
            """;
        var run = await RunAsync(yaml);
        Assert.Equal(PipelineRunStatus.Succeeded, run.Run.Status);
        Assert.Equal(StepStatus.Skipped, Step(run, "ship").Status);
        Assert.Contains("condition", Step(run, "ship").Error, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Skipped, Step(run, "announce").Status);

        var forced = await RunAsync(yaml, parameters: new Dictionary<string, string> { ["deploy"] = "true" });
        Assert.Equal(StepStatus.Succeeded, Step(forced, "announce").Status);
    }

    [Fact]
    public async Task ApprovalGate_WaitsWithoutWorker_FourEyesRefusesStarter_OtherApproverContinuesToProd()
    {
        var model = Write("gate/model.gguf", "gate weights " + Guid.NewGuid());
        var yaml = $$"""
            name: gated
            steps:
              - { id: register, type: register, with: { name: gated-model, file: "{{model}}" } }
              - { id: qa, type: promote, with: { model_version: "${steps.register.outputs.model_version}", environment: qa } }
              - { id: approval, type: approval, needs: [qa], with: { model_version: "${steps.register.outputs.model_version}", evidence: "evaluation=eval-1" } }
              - { id: prod, type: promote, with: { model_version: "${steps.approval.outputs.model_version}", environment: prod } }
            """;
        var waiting = await RunAsync(yaml);
        Assert.Equal(PipelineRunStatus.WaitingForApproval, waiting.Run.Status);
        Assert.Equal(StepStatus.WaitingForApproval, Step(waiting, "approval").Status);
        Assert.Equal(StepStatus.Pending, Step(waiting, "prod").Status);

        var self = await Assert.ThrowsAsync<RuleViolationException>(() => Engine.DecideAsync(waiting.Run.Id, true, "mine", Developer));
        Assert.Equal("four-eyes", self.Rule);

        await Engine.DecideAsync(waiting.Run.Id, true, "eval looks right", OtherApprover);
        var done = await SettledAsync(waiting.Run.Id);
        Assert.Equal(PipelineRunStatus.Succeeded, done.Run.Status);
        Assert.Equal("pipeline-approver", Step(done, "approval").Outputs["approver"]);
        var registry = server.App.Services.GetRequiredService<PlatformServices>().Models(Actor.LocalAdmin);
        var prod = await registry.ResolveAsync("gated-model@prod");
        Assert.Equal(ApprovalState.Approved, prod.ApprovalState);
        Assert.Equal("eval-1", (await registry.ListApprovalEventsAsync("gated-model", prod.Version))[0].Evidence.Single().Reference);
    }

    [Fact]
    public async Task ApprovalGate_Rejected_RunEndsFailedWithTheReason()
    {
        var model = Write("reject/model.gguf", "reject weights " + Guid.NewGuid());
        var yaml = $$"""
            name: rejected
            steps:
              - { id: register, type: register, with: { name: rejected-model, file: "{{model}}" } }
              - { id: approval, type: approval, with: { model_version: "${steps.register.outputs.model_version}" } }
              - { id: prod, type: promote, with: { model_version: "${steps.approval.outputs.model_version}", environment: prod } }
            """;
        var waiting = await RunAsync(yaml);
        await Engine.DecideAsync(waiting.Run.Id, false, "toxicity regressed", OtherApprover);
        var done = await SettledAsync(waiting.Run.Id);
        Assert.Equal(PipelineRunStatus.Failed, done.Run.Status);
        Assert.Contains("toxicity regressed", done.Run.Error, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Skipped, Step(done, "prod").Status);
    }

    [Fact]
    public async Task Cancel_WaitingRun_EndsCancelled()
    {
        var model = Write("cancel/model.gguf", "cancel weights " + Guid.NewGuid());
        var yaml = $$"""
            name: cancelled
            steps:
              - { id: register, type: register, with: { name: cancel-model, file: "{{model}}" } }
              - { id: approval, type: approval, with: { model_version: "${steps.register.outputs.model_version}" } }
            """;
        var waiting = await RunAsync(yaml);
        var cancelled = await Engine.CancelAsync(waiting.Run.Id, Developer);
        Assert.Equal(PipelineRunStatus.Cancelled, cancelled.Status);
        Assert.Equal(StepStatus.Cancelled, Step(await SettledAsync(waiting.Run.Id), "approval").Status);
        await Assert.ThrowsAsync<RuleViolationException>(() => Engine.DecideAsync(waiting.Run.Id, true, "too late", OtherApprover));
    }

    [Fact]
    public async Task Recover_OrphanedRunningStep_IsTakenOverAndFinishes()
    {
        var yaml = """
            name: orphan
            steps:
              - { id: work, type: shell, with: { command: sh, args: ["-c", "echo ::output ok=1"] } }
            """;
        var run = await Engine.StartAsync(PipelineParser.Parse(yaml), null, Developer);
        await SettledAsync(run.Id);
        // Now make it look as if its worker died mid-step: Running, heartbeat an hour old.
        var platform = server.App.Services.GetRequiredService<PlatformServices>();
        await using (var session = await platform.Store.OpenAsync(write: true))
        {
            var step = (await session.Pipelines.GetStepsAsync(run.Id)).Single();
            await session.Pipelines.UpdateStepAsync(step with { Status = StepStatus.Running, HeartbeatAt = DateTimeOffset.UtcNow.AddHours(-1), Outputs = new Dictionary<string, string>() });
            await session.Pipelines.UpdateRunAsync((await session.Pipelines.GetRunAsync(run.Id))! with { Status = PipelineRunStatus.Running, EndedAt = null });
            await session.CommitAsync();
        }
        Assert.True(await Engine.RecoverAsync() >= 1);
        var done = await SettledAsync(run.Id);
        Assert.Equal(PipelineRunStatus.Succeeded, done.Run.Status);
        Assert.Equal(2, Step(done, "work").Attempt);
        Assert.Equal("1", Step(done, "work").Outputs["ok"]);
    }

    [Fact]
    public async Task Start_UnknownParameter_RefusedBeforeAnythingRuns()
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Engine.StartAsync(
            PipelineParser.Parse("name: p\nsteps:\n  - { id: a, type: shell, with: { command: \"true\" } }\n"), new Dictionary<string, string> { ["nope"] = "1" }, Developer));
        Assert.Equal("params.nope", error.Field);
    }
}
