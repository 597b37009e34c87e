using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace LlmOps.Server.Gateway;

/// <summary>The gateway's Prometheus metrics, named as vLLM names its own (<c>vllm:…</c> → <c>llmops:…</c>), labelled by
/// deployment and version. One set per server instance, so servers started side by side in one process do not mix counts.</summary>
/// <remarks>Written here rather than with prometheus-net: its name check rejects the colon, which Prometheus allows and vLLM uses.</remarks>
public sealed class GatewayMetrics
{
    public const string TimeToFirstToken = "llmops:time_to_first_token_seconds";
    public const string EndToEndLatency = "llmops:e2e_request_latency_seconds";
    public const string PromptTokens = "llmops:prompt_tokens_total";
    public const string GenerationTokens = "llmops:generation_tokens_total";
    public const string RequestsRunning = "llmops:num_requests_running";
    public const string RequestsWaiting = "llmops:num_requests_waiting";
    public const string RequestsFinished = "llmops:request_success_total";
    public const string LoadedModelBytes = "llmops:loaded_model_bytes";

    static readonly double[] LatencyBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];

    public Histogram Ttft { get; } = new(TimeToFirstToken, "Time from arrival to the first generated text, seconds.", LatencyBuckets);
    public Histogram E2e { get; } = new(EndToEndLatency, "Time from arrival to the end of the response, seconds.", LatencyBuckets);
    public Counter Prompt { get; } = new(PromptTokens, "Prompt tokens processed.");
    public Counter Generation { get; } = new(GenerationTokens, "Tokens generated.");
    public Gauge Running { get; } = new(RequestsRunning, "Requests generating now.");
    public Gauge Waiting { get; } = new(RequestsWaiting, "Requests admitted and not yet generating (queued for a slot or reading the prompt).");
    public Counter Finished { get; } = new(RequestsFinished, "Requests finished, by status.", "deployment", "version", "status");
    public Gauge LoadedBytes { get; } = new(LoadedModelBytes, "Bytes of model weights loaded in this process.", []);

    /// <summary>Every metric in the Prometheus text format 0.0.4.</summary>
    public string Export()
    {
        var text = new StringBuilder();
        foreach (var metric in new Metric[] { Ttft, E2e, Prompt, Generation, Running, Waiting, Finished, LoadedBytes }) metric.Write(text);
        return text.ToString();
    }

    /// <summary>A metric family with a fixed set of label names; series are created on first use.</summary>
    public abstract class Metric(string name, string help, string type, string[] labelNames)
    {
        public string Name { get; } = name;
        protected string[] LabelNames { get; } = labelNames;

        internal void Write(StringBuilder text)
        {
            text.Append("# HELP ").Append(Name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            WriteSeries(text);
        }

        protected abstract void WriteSeries(StringBuilder text);

        protected string Key(string[] values)
        {
            if (values.Length != LabelNames.Length) throw new ArgumentException($"{Name} takes {LabelNames.Length} labels.", nameof(values));
            return string.Join(',', LabelNames.Select((n, i) => $"{n}=\"{Escape(values[i])}\""));
        }

        protected static string Number(double value) =>
            double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

        static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>A value that only goes up.</summary>
    public sealed class Counter : Metric
    {
        /// <summary>A counter labelled by deployment and version, or by the names given.</summary>
        public Counter(string name, string help, params string[] labelNames)
            : base(name, help, "counter", labelNames.Length == 0 ? ["deployment", "version"] : labelNames) { }

        /// <summary>A counter with exactly these labels (none when empty).</summary>
        public Counter(string name, string help, string[] labelNames, bool exactLabels)
            : base(name, help, "counter", exactLabels || labelNames.Length > 0 ? labelNames : ["deployment", "version"]) { }

        readonly ConcurrentDictionary<string, Cell> series = new(StringComparer.Ordinal);

        public void Inc(double by, params string[] labels) => series.GetOrAdd(Key(labels), _ => new Cell()).Add(by);

        /// <summary>Mirrors a count kept elsewhere (it must only grow).</summary>
        public void Set(double total, params string[] labels) => series.GetOrAdd(Key(labels), _ => new Cell()).Set(total);

        protected override void WriteSeries(StringBuilder text)
        {
            foreach (var (key, cell) in series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                text.Append(Name);
                if (key.Length > 0) text.Append('{').Append(key).Append('}');
                text.Append(' ').Append(Number(cell.Value)).Append('\n');
            }
        }
    }

    /// <summary>A value that goes up and down.</summary>
    public sealed class Gauge : Metric
    {
        readonly ConcurrentDictionary<string, Cell> series = new(StringComparer.Ordinal);

        public Gauge(string name, string help) : base(name, help, "gauge", ["deployment", "version"]) { }

        public Gauge(string name, string help, string[] labelNames) : base(name, help, "gauge", labelNames) { }

        public void Add(double by, params string[] labels) => series.GetOrAdd(Key(labels), _ => new Cell()).Add(by);

        public void Set(double value, params string[] labels) => series.GetOrAdd(Key(labels), _ => new Cell()).Set(value);

        protected override void WriteSeries(StringBuilder text)
        {
            foreach (var (key, cell) in series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                text.Append(Name);
                if (key.Length > 0) text.Append('{').Append(key).Append('}');
                text.Append(' ').Append(Number(cell.Value)).Append('\n');
            }
        }
    }

    /// <summary>Observations counted into cumulative buckets, with their sum and count.</summary>
    public sealed class Histogram(string name, string help, double[] buckets) : Metric(name, help, "histogram", ["deployment", "version"])
    {
        readonly ConcurrentDictionary<string, Series> series = new(StringComparer.Ordinal);

        public void Observe(double value, params string[] labels) => series.GetOrAdd(Key(labels), _ => new Series(buckets.Length)).Observe(buckets, value);

        protected override void WriteSeries(StringBuilder text)
        {
            foreach (var (key, s) in series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                long[] counts;
                double sum;
                long count;
                lock (s)
                {
                    counts = [.. s.Counts];
                    sum = s.Sum;
                    count = s.Count;
                }
                long cumulative = 0;
                for (var i = 0; i < buckets.Length; i++)
                {
                    cumulative += counts[i];
                    text.Append(Name).Append("_bucket{").Append(key).Append(",le=\"").Append(Number(buckets[i])).Append("\"} ").Append(cumulative).Append('\n');
                }
                text.Append(Name).Append("_bucket{").Append(key).Append(",le=\"+Inf\"} ").Append(count).Append('\n');
                text.Append(Name).Append("_sum{").Append(key).Append("} ").Append(Number(sum)).Append('\n');
                text.Append(Name).Append("_count{").Append(key).Append("} ").Append(count).Append('\n');
            }
        }

        sealed class Series(int buckets)
        {
            public long[] Counts { get; } = new long[buckets];
            public double Sum { get; private set; }
            public long Count { get; private set; }

            public void Observe(double[] bounds, double value)
            {
                lock (this)
                {
                    var i = Array.FindIndex(bounds, b => value <= b);
                    if (i >= 0) Counts[i]++;
                    Sum += value;
                    Count++;
                }
            }
        }
    }

    sealed class Cell
    {
        readonly Lock gate = new();
        double value;

        public double Value
        {
            get { lock (gate) return value; }
        }

        public void Add(double by)
        {
            lock (gate) value += by;
        }

        public void Set(double to)
        {
            lock (gate) value = to;
        }
    }
}
