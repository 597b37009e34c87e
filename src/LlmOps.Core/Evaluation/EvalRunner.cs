using System.Diagnostics;
using LlmOps.Evaluation.Assertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Evaluation;

/// <summary>A model under evaluation: a name for reports, a version string for the cache key (file hash, registry version,
/// endpoint and model), the client that answers, and its token prices when the suite gives them (for <c>cost</c>).</summary>
public sealed record EvalTarget(string Name, string Version, IChatClient Client, TokenPricing? Pricing = null);

/// <summary>What a provider's tokens cost, per 1,000 (provider <c>config: { input_cost_per_1k, output_cost_per_1k }</c>).</summary>
public sealed record TokenPricing(double InputPer1K, double OutputPer1K)
{
    public const string InputKey = "input_cost_per_1k";
    public const string OutputKey = "output_cost_per_1k";

    /// <summary>The prices in a provider's config, or null when it names none; a malformed price is an input error naming it.</summary>
    public static TokenPricing? From(ProviderSpec provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!provider.Config.ContainsKey(InputKey) && !provider.Config.ContainsKey(OutputKey)) return null;
        return new TokenPricing(Price(provider, InputKey), Price(provider, OutputKey));
    }

    /// <summary>The cost of one call.</summary>
    public double Of(long inputTokens, long outputTokens) => (inputTokens * InputPer1K + outputTokens * OutputPer1K) / 1000;

    static double Price(ProviderSpec provider, string key)
    {
        if (!provider.Config.TryGetValue(key, out var text)) return 0;
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var price) && price >= 0
            ? price : throw new InvalidInputException($"providers.{provider.Id}.config.{key}", $"'{text}' is not a non-negative price.");
    }
}

/// <summary>How far a run is: cases done of the total.</summary>
public readonly record struct EvalProgress(string Provider, int Done, int Total, int CacheHits);

/// <summary>Settings of a run.</summary>
public sealed class EvalRunOptions
{
    /// <summary>Calls in flight at once.</summary>
    public int MaxConcurrency { get; set; } = 2;

    /// <summary>Null runs every call.</summary>
    public IResponseCache? Cache { get; set; }

    /// <summary>The judge of <c>llm-rubric</c> when an assertion names none.</summary>
    public IChatClient? Judge { get; set; }

    /// <summary>Judges named by an assertion's <c>provider</c>.</summary>
    public IReadOnlyDictionary<string, IChatClient> Judges { get; set; } = new Dictionary<string, IChatClient>();

    public IProgress<EvalProgress>? Progress { get; set; }
}

/// <summary>Runs a suite against one target: every prompt × test × repeat, calls through the cache with bounded concurrency,
/// then each assertion as an <see cref="IEvaluator"/>, weighted into the case's score and verdict.</summary>
public sealed class EvalRunner(AssertionTypes types, EvalRunOptions options)
{
    /// <summary>Runs the suite on the candidate (and the baseline, on the same cases) and gates the result.</summary>
    public async Task<EvalReport> EvaluateAsync(EvalSuite suite, EvalTarget candidate, EvalTarget? baseline, TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var time = timeProvider ?? TimeProvider.System;
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        var candidateRun = await RunAsync(suite, candidate, cancellationToken);
        var baselineRun = baseline is null ? null : await RunAsync(suite, baseline, cancellationToken);
        var gate = EvalGate.Evaluate(suite.Gate, candidateRun, baselineRun);
        return new EvalReport(Guid.CreateVersion7(startedAt).ToString("N"), suite.Name, suite.Sha256, startedAt,
            time.GetElapsedTime(started).TotalSeconds, candidateRun, baselineRun, gate);
    }

    public async Task<ProviderRun> RunAsync(EvalSuite suite, EvalTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(target);
        var work = (from prompt in suite.Prompts
                    from test in suite.Tests
                    from repeat in Enumerable.Range(0, suite.Repeat)
                    select (prompt, test, repeat)).ToList();
        var results = new CaseResult[work.Count];
        var done = 0;
        var hits = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, work.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxConcurrency), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var (prompt, test, repeat) = work[i];
                results[i] = await RunCaseAsync(suite, target, prompt, test, repeat, ct);
                var hit = results[i].Cached ? Interlocked.Increment(ref hits) : Volatile.Read(ref hits);
                options.Progress?.Report(new EvalProgress(target.Name, Interlocked.Increment(ref done), work.Count, hit));
            });
        return ProviderRun.Create(target.Name, target.Version, results, suite.Gate.Confidence);
    }

    async Task<CaseResult> RunCaseAsync(EvalSuite suite, EvalTarget target, PromptSpec prompt, TestSpec test, int repeat, CancellationToken cancellationToken)
    {
        var rendered = PromptTemplate.Render(prompt.Template, test.Vars);
        var messages = new List<ChatMessage> { new(ChatRole.User, rendered) };
        // Each repeat samples with its own seed, so repeats are draws rather than copies (and cache separately).
        var seed = suite.Sampling.Seed + repeat;
        var key = IResponseCache.Key(target.Version, rendered, suite.Sampling, seed);
        ChatResponse? response = null;
        string? error = null;
        var cached = false;
        double latencyMs = 0;
        if (options.Cache is not null && await options.Cache.GetAsync(key, cancellationToken) is { } hit)
        {
            response = new ChatResponse(new ChatMessage(ChatRole.Assistant, hit.Text))
            {
                Usage = new UsageDetails { InputTokenCount = hit.InputTokens, OutputTokenCount = hit.OutputTokens },
            };
            latencyMs = hit.LatencyMs;
            cached = true;
        }
        else
        {
            var chatOptions = new ChatOptions { Temperature = suite.Sampling.Temperature, MaxOutputTokens = suite.Sampling.MaxTokens, TopP = suite.Sampling.TopP, Seed = seed };
            var started = Stopwatch.GetTimestamp();
            try
            {
                response = await target.Client.GetResponseAsync(messages, chatOptions, cancellationToken);
                latencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (options.Cache is not null)
                {
                    await options.Cache.SetAsync(key, new CachedResponse(response.Text ?? "", (int?)response.Usage?.InputTokenCount,
                        (int?)response.Usage?.OutputTokenCount, latencyMs), cancellationToken);
                }
            }
#pragma warning disable CA1031 // A failing call is this case's result (an error, not cached); the run goes on.
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                latencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                error = $"{exception.GetType().Name}: {exception.Message}";
            }
        }

        var assertions = new List<AssertionResult>();
        if (response is not null)
        {
            var context = new EvalCaseContext(test.Vars, rendered, TimeSpan.FromMilliseconds(latencyMs), target.Client, target.Pricing);
            foreach (var spec in test.Asserts)
            {
                var evaluator = types.Create(spec, test.Vars);
                var judge = spec.Provider is not null ? options.Judges.GetValueOrDefault(spec.Provider) : options.Judge;
                var configuration = judge is null ? null : new ChatConfiguration(judge);
                var result = await evaluator.EvaluateAsync(messages, response, configuration, [context], cancellationToken);
                var metric = result.Metrics.Values.First();
                var score = metric is NumericMetric { Value: { } v } ? v : 0;
                var passed = metric.Interpretation is { Failed: false };
                assertions.Add(new AssertionResult(spec.FullType, spec.MetricName, passed, score, spec.Weight, metric.Reason ?? ""));
            }
        }

        var totalWeight = assertions.Sum(a => a.Weight);
        var caseScore = response is null ? 0 : totalWeight > 0 ? assertions.Sum(a => a.Weight * a.Score) / totalWeight : 1;
        // Weight-0 assertions only report; a test threshold replaces "every assertion passes" with "the weighted score reaches it".
        var casePassed = response is not null && (test.Threshold is { } threshold
            ? caseScore >= threshold
            : assertions.Where(a => a.Weight > 0).All(a => a.Passed));
        var metrics = assertions.GroupBy(a => a.Metric, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(a => a.Score), StringComparer.Ordinal);
        return new CaseResult(prompt.Id, test.Index, test.Name, repeat, rendered, test.Vars, response?.Text, error, casePassed, caseScore, latencyMs,
            (int?)response?.Usage?.InputTokenCount, (int?)response?.Usage?.OutputTokenCount, cached, assertions, metrics);
    }
}
