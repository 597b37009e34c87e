using LlmOps.Monitoring;
using LlmOps.Server.Gateway;
using static LlmOps.Server.Gateway.GatewayMetrics;

namespace LlmOps.Server.Monitoring;

/// <summary>The monitoring figures on <c>/metrics</c>, beside the gateway's: the trace queue, cost, feedback, online scores,
/// drift and alert states. Counters count what this process saw; gauges hold the latest figure.</summary>
public sealed class MonitoringMetrics
{
    readonly TraceWriter writer;

    public MonitoringMetrics(TraceWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        this.writer = writer;
        writer.Stored += Stored;
    }

    public Gauge QueueDepth { get; } = new("llmops:trace_queue_depth", "Trace records waiting to be stored.", []);
    public Gauge QueueCapacity { get; } = new("llmops:trace_queue_capacity", "Trace records the queue holds before it drops.", []);
    public Counter TracesWritten { get; } = new("llmops:traces_written_total", "Trace records stored by this process.", [], exactLabels: true);
    public Counter TracesDropped { get; } = new("llmops:traces_dropped_total", "Trace records dropped, by reason (queue_full, write_failed).", ["reason"], exactLabels: true);
    public Counter Cost { get; } = new("llmops:request_cost_total", "Cost of the requests stored, from the price table.", "deployment", "version", "key");
    public Counter Feedback { get; } = new("llmops:feedback_total", "Feedback posted.", "deployment", "version");
    public Counter FeedbackScore { get; } = new("llmops:feedback_score_sum", "Sum of the scores of feedback posted (divide by llmops:feedback_scored_total).", "deployment", "version");
    public Counter FeedbackScored { get; } = new("llmops:feedback_scored_total", "Feedback posted with a score.", "deployment", "version");
    public Counter OnlineEvalRuns { get; } = new("llmops:online_eval_total", "Online assertion results, by outcome.", "deployment", "version", "assertion", "outcome");
    public Gauge OnlineEvalScore { get; } = new("llmops:online_eval_score", "Latest online assertion score.", ["deployment", "version", "assertion"]);
    public Gauge DriftScore { get; } = new("llmops:drift_score", "Latest drift score per feature (PSI, Jensen-Shannon, cosine distance or MMD).", ["deployment", "feature"]);
    public Gauge DriftDetected { get; } = new("llmops:drift_detected", "1 when the feature drifted at the last check.", ["deployment", "feature"]);
    public Gauge AlertState { get; } = new("llmops:alert_state", "0 ok, 1 pending, 2 firing.", ["rule"]);
    public Gauge AlertValue { get; } = new("llmops:alert_value", "The figure a rule watched at its last evaluation.", ["rule"]);

    /// <summary>Counts what the writer just stored (called from its batch loop).</summary>
    public void Stored(IReadOnlyList<TraceRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            if (record.Cost is { } cost && cost > 0) Cost.Inc(cost, record.Deployment, record.Version, record.KeyId);
        }
    }

    public void FeedbackPosted(TraceFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        Feedback.Inc(1, feedback.Deployment, feedback.Version);
        if (feedback.Score is { } score)
        {
            FeedbackScore.Inc(score, feedback.Deployment, feedback.Version);
            FeedbackScored.Inc(1, feedback.Deployment, feedback.Version);
        }
    }

    /// <summary>Every monitoring metric in the Prometheus text format.</summary>
    public string Export()
    {
        QueueDepth.Set(writer.QueueDepth);
        QueueCapacity.Set(writer.QueueCapacity);
        TracesWritten.Set(writer.Written);
        TracesDropped.Set(writer.DroppedQueueFull, "queue_full");
        TracesDropped.Set(writer.DroppedWriteFailed, "write_failed");
        var text = new System.Text.StringBuilder();
        foreach (var metric in new Metric[] { QueueDepth, QueueCapacity, TracesWritten, TracesDropped, Cost, Feedback, FeedbackScore, FeedbackScored,
                     OnlineEvalRuns, OnlineEvalScore, DriftScore, DriftDetected, AlertState, AlertValue })
            metric.Write(text);
        return text.ToString();
    }
}
