using System.Threading.Channels;
using LlmOps.Deployments;
using LlmOps.Evaluation.Assertions;
using LlmOps.Monitoring;
using LlmOps.Server.Gateway;
using LlmOps.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Monitoring;

/// <summary>Online evaluation: the gateway offers each answered request; a deployment's <c>monitoring.onlineEval.sampleRate</c> share
/// of them is scored here, off the request path, by the evaluation's assertions (an <c>llm-rubric</c> judge is another deployment
/// on this gateway). Each assertion's score is stored against the trace and shown on /metrics. A full queue skips the sample.</summary>
public sealed class OnlineEvaluator(IStore store, GatewayOptions gatewayOptions, ChatRuntimes runtimes, MonitoringMetrics metrics,
    TimeProvider time, ILogger<OnlineEvaluator> logger) : BackgroundService
{
    const int QueueCapacity = 1_000;

    readonly Channel<(TraceRecord Record, OnlineEvalSettings Settings)> queue =
        Channel.CreateBounded<(TraceRecord, OnlineEvalSettings)>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly AssertionTypes types = AssertionTypes.CreateDefault();
    long skipped;

    /// <summary>Samples that did not fit the queue.</summary>
    public long Skipped => Interlocked.Read(ref skipped);

    /// <summary>Called by the gateway with every finished answer: keeps it for scoring with the deployment's sampling probability.</summary>
    public void Offer(TraceRecord record, Deployment deployment, double draw)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(deployment);
        if (deployment.Spec.Monitoring?.OnlineEval is not { } settings || record.Status != TraceStatus.Ok || record.Completion is null) return;
        if (draw >= settings.SampleRate) return;
        if (!queue.Writer.TryWrite((record, settings))) Interlocked.Increment(ref skipped);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (record, settings) in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await ScoreAsync(record, settings, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.OnlineEvalFailed(logger, record.Id, record.Deployment, exception.Message);
            }
        }
    }

    async Task ScoreAsync(TraceRecord record, OnlineEvalSettings settings, CancellationToken cancellationToken)
    {
        var evaluators = OnlineAssertions.Create(settings, types);
        ChatConfiguration? judge = null;
        if (settings.Judge is { } judgeName)
        {
            var (endpoint, environment) = GatewayService.ParseModel(judgeName, gatewayOptions.DefaultEnvironment);
            Deployment? deployment;
            await using (var look = await store.OpenAsync(write: false, cancellationToken))
                deployment = await look.Deployments.GetLatestAsync(environment, endpoint, cancellationToken);
            if (deployment is null) throw new NotFoundException("judge deployment", judgeName);
            var version = DeploymentRouting.Choose(deployment.Spec, Random.Shared.NextDouble());
            judge = new ChatConfiguration(await runtimes.GetAsync(new VersionRef(version.Model, version.Version), cancellationToken));
        }
        var prompt = record.Prompt ?? "";
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, record.Completion));
        var context = new EvalCaseContext(new Dictionary<string, string>(), prompt, record.TotalTime);
        var scores = new List<TraceScore>();
        foreach (var evaluator in evaluators)
        {
            var result = await evaluator.EvaluateAsync([new ChatMessage(ChatRole.User, prompt)], response, judge, [context], cancellationToken);
            var metric = result.Metrics.Values.First();
            var score = metric is NumericMetric { Value: { } v } ? v : 0;
            var passed = metric.Interpretation is { Failed: false };
            var name = evaluator.Spec.MetricName;
            scores.Add(new TraceScore(record.Id, name, score, passed, metric.Reason, record.Deployment, record.Version, time.GetUtcNow()));
            metrics.OnlineEvalRuns.Inc(1, record.Deployment, record.Version, name, passed ? "pass" : "fail");
            metrics.OnlineEvalScore.Set(score, record.Deployment, record.Version, name);
        }
        // The trace may still be in the writer's queue; scores refer to it by id, so they can be stored first.
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        await session.Traces.UpsertScoresAsync(scores, cancellationToken);
        await session.CommitAsync(cancellationToken);
    }
}
