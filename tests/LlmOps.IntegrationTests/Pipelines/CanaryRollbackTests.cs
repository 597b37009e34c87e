using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Gateway;
using LlmOps.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;

namespace LlmOps.IntegrationTests.Pipelines;

/// <summary>deploy (canary) → canary.watch on the real gateway: a failing canary is rolled back by itself, a healthy one promoted.</summary>
public sealed class CanaryRollbackTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    static readonly Actor Developer = new("canary-dev", "canary developer", Role.Developer, ["*"]);

    PipelineEngine Engine => gateway.Server.App.Services.GetRequiredService<PipelineEngine>();

    async Task<PipelineRunDetails> RunWhileTrafficFlowsAsync(string endpoint, VersionRef canary, string watchExtra = "")
    {
        var run = await Engine.StartAsync(PipelineParser.Parse($$"""
            name: canary-{{endpoint}}
            steps:
              - { id: canary, type: deploy, with: { model_version: "{{canary.Reference}}", environment: dev, endpoint: "{{endpoint}}", weight: "50" } }
              - id: watch
                type: canary.watch
                with: { endpoint: "{{endpoint}}@dev", model_version: "${steps.canary.outputs.endpoint}", window: 4s, max_error_rate: "0.2", min_requests: "4"{{watchExtra}} }
            """.Replace("${steps.canary.outputs.endpoint}", canary.Reference, StringComparison.Ordinal)), null, Developer);
        var chat = gateway.OpenAi().GetChatClient($"{endpoint}@dev");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var (current, steps) = await Engine.GetAsync(run.Id, Developer);
            if (current.IsFinished) return new PipelineRunDetails(current, steps);
            // Traffic once the canary is live: every answer still succeeds for the client (the fallback covers a failing canary).
            if (steps.Single(s => s.StepId == "canary").Status == StepStatus.Succeeded)
                await chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 });
            await Task.Delay(50);
        }
        throw new TimeoutException("the canary pipeline did not finish");
    }

    [Fact]
    public async Task FailingCanary_RolledBackAutomatically_RunFailsWithTheReason()
    {
        await gateway.DeployAsync("watched", GatewayFixture.Serve(gateway.Remote["echo"]));
        var done = await RunWhileTrafficFlowsAsync("watched", gateway.Remote["fail"]);

        Assert.Equal(PipelineRunStatus.Failed, done.Run.Status);
        Assert.Contains("rolled back", done.Run.Error, StringComparison.Ordinal);
        var now = await gateway.Deployments.GetAsync("dev", "watched");
        Assert.Equal(DeploymentActions.Rollback, now.Action);
        Assert.Equal(gateway.Remote["echo"].Reference, Assert.Single(now.Spec.Versions).Reference);
    }

    [Fact]
    public async Task HealthyCanary_PromotedToAllTraffic()
    {
        await gateway.DeployAsync("promoted", GatewayFixture.Serve(gateway.Tiny1));
        var done = await RunWhileTrafficFlowsAsync("promoted", gateway.Remote["echo"]);

        Assert.True(done.Run.Status == PipelineRunStatus.Succeeded, done.Run.Error);
        Assert.Equal("promoted", done.Steps.Single(s => s.StepId == "watch").Outputs["decision"]);
        var now = await gateway.Deployments.GetAsync("dev", "promoted");
        Assert.Equal(gateway.Remote["echo"].Reference, Assert.Single(now.Spec.Versions).Reference);
    }

    [Fact]
    public async Task CanaryWithLowOnlineEvalScore_RolledBackThoughItNeverErrs()
    {
        // Online evaluation on the endpoint: an answer must not mention the upstream. The stable tiny model never does; the canary always does.
        var monitoring = new MonitoringSettings(OnlineEval: new OnlineEvalSettings(1.0, [new OnlineAssertion("not-contains", System.Text.Json.Nodes.JsonValue.Create("upstream"))]));
        await gateway.DeployAsync("judged-canary", GatewayFixture.Serve(gateway.Tiny1) with { Monitoring = monitoring });
        var done = await RunWhileTrafficFlowsAsync("judged-canary", gateway.Remote["echo"], ", min_eval_score: \"0.5\", min_scored: \"2\"");

        Assert.Equal(PipelineRunStatus.Failed, done.Run.Status);
        Assert.Contains("online eval score 0 over", done.Run.Error, StringComparison.Ordinal);
        var now = await gateway.Deployments.GetAsync("dev", "judged-canary");
        Assert.Equal(DeploymentActions.Rollback, now.Action);
        Assert.Equal(gateway.Tiny1.Reference, Assert.Single(now.Spec.Versions).Reference);
        // The canary deployment kept the endpoint's monitoring settings (and so did the rollback to it).
        Assert.Equal("not-contains", Assert.Single(now.Spec.Monitoring!.OnlineEval!.Assertions).Type);
    }
}
