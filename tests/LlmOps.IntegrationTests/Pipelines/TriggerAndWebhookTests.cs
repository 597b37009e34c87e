using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using LlmOps.Datasets;
using LlmOps.Events;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Pipelines;
using LlmOps.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.IntegrationTests.Pipelines;

public sealed class TriggerAndWebhookTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>
{
    static readonly Actor Developer = new("trigger-dev", "trigger developer", Role.Developer, ["*"]);

    PipelineEngine Engine => server.App.Services.GetRequiredService<PipelineEngine>();
    PlatformServices Platform => server.App.Services.GetRequiredService<PlatformServices>();

    static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, int seconds = 30) where T : class
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(100);
        }
        throw new TimeoutException($"timed out waiting for {what}");
    }

    [Fact]
    public async Task DatasetTrigger_NewVersionOfThatDataset_StartsThePipelineWithTheVersion()
    {
        await Engine.RegisterAsync(PipelineParser.Parse("""
            name: on-fresh-data
            params: { dataset_version: "" }
            triggers: [{ dataset: fresh-data }]
            steps:
              - { id: see, type: shell, with: { command: sh, args: ["-c", "echo ::output seen=${params.dataset_version}"] } }
            """), Developer);
        var folder = Path.Combine(Path.GetTempPath(), "llmops-trigger", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "c.jsonl"), "{\"text\":\"one\"}\n{\"text\":\"two\"}\n");
        await new LlmOps.DataPrep.DatasetPreparer().PrepareAsync([Path.Combine(folder, "c.jsonl")], LlmOps.DataPrep.Recipes.Recipe.Empty, Path.Combine(folder, "out"));
        var files = new List<ArtifactFile>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(folder, "out")))
        {
            await using var stream = File.OpenRead(path);
            var blob = await Platform.Artifacts.PutAsync(stream);
            files.Add(new ArtifactFile(Path.GetFileName(path), blob.Sha256, blob.Size));
        }
        var dataset = await Platform.Datasets(Developer).RegisterAsync(new RegisterDataset("fresh-data", files));

        var run = await EventuallyAsync(async () => (await Engine.ListAsync("on-fresh-data", Developer)).FirstOrDefault(r => r.IsFinished), "the triggered run");
        Assert.Equal(PipelineRunStatus.Succeeded, run.Status);
        Assert.StartsWith("dataset:fresh-data#", run.Trigger, StringComparison.Ordinal);
        var (_, steps) = await Engine.GetAsync(run.Id, Developer);
        Assert.Equal(dataset.Id, steps.Single().Outputs["seen"]);
    }

    [Fact]
    public async Task CronTrigger_RegisteredAndRemoved_RecurringJobFollows()
    {
        await Engine.RegisterAsync(PipelineParser.Parse("""
            name: nightly
            triggers: [{ cron: "0 3 * * *" }]
            steps:
              - { id: a, type: shell, with: { command: "true" } }
            """), Developer);
        var storage = server.App.Services.GetRequiredService<JobStorage>();
        bool Has() { using var c = storage.GetConnection(); return c.GetRecurringJobs().Any(j => j.Id == "pipeline:nightly:cron0" && j.Cron == "0 3 * * *"); }
        await EventuallyAsync(() => Task.FromResult(Has() ? "yes" : null), "the recurring job");
        await Engine.RemoveAsync("nightly", Developer);
        await EventuallyAsync(() => Task.FromResult(Has() ? null : "gone"), "the recurring job to be removed");
    }

    [Fact]
    public async Task Webhook_PipelineEnd_DeliveredSignedAndRetriedAfterAFailure()
    {
        var received = new ConcurrentQueue<(string Body, string Signature, string Event)>();
        var calls = 0;
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = receiver.Build();
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Increment(ref calls) == 1) return Results.StatusCode(500); // the first delivery fails; Hangfire retries
            received.Enqueue((body, request.Headers["X-LlmOps-Signature"].ToString(), request.Headers["X-LlmOps-Event"].ToString()));
            return Results.Ok();
        });
        await app.StartAsync();

        var webhooks = new WebhookService(Platform.Store, Actor.LocalAdmin, TimeProvider.System);
        var webhook = await webhooks.CreateAsync(new CreateWebhook($"{app.Urls.First()}/hook", ["pipeline.run.end"], "s3cret"));
        var run = await Engine.StartAsync(PipelineParser.Parse("name: hooked\nsteps:\n  - { id: a, type: shell, with: { command: \"true\" } }\n"), null, Developer);

        var delivery = await EventuallyAsync(() => Task.FromResult<object?>(received.FirstOrDefault(r => r.Body.Contains(run.Id, StringComparison.Ordinal)) is { Body.Length: > 0 } d ? d : null), "the retried delivery", 60);
        var (body, signature, @event) = ((string, string, string))delivery;
        Assert.Equal("pipeline.run.end", @event);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cret"), Encoding.UTF8.GetBytes(body))), signature);
        Assert.Equal("Succeeded", JsonDocument.Parse(body).RootElement.GetProperty("after").GetProperty("status").GetString());
        Assert.True(calls >= 2);
        await webhooks.DeleteAsync(webhook.Id);
    }
}
