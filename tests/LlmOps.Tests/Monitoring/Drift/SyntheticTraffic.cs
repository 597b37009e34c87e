using System.Text;
using LlmOps.Monitoring.Drift;
using Microsoft.Extensions.AI;

namespace LlmOps.Tests.Monitoring.Drift;

/// <summary>How a synthetic stream of requests is drawn: prompt words from a vocabulary with Zipf-like frequencies, a
/// uniform number of words, and answers that refuse at a given rate.</summary>
internal sealed record TrafficShape(IReadOnlyList<string> Vocabulary, int MinWords, int MaxWords, double RefusalRate);

/// <summary>Seeded synthetic traffic for the drift tests.</summary>
internal static class SyntheticTraffic
{
    static readonly string[] Everyday =
    [
        "how", "do", "i", "the", "a", "my", "to", "for", "what", "is", "best", "way", "make", "recipe", "cook", "bake", "bread",
        "pasta", "sauce", "oven", "minutes", "garden", "plant", "water", "trip", "train", "ticket", "city", "museum", "weekend",
        "birthday", "gift", "friend", "dinner", "soup", "salad", "walk", "dog", "cat", "book", "read", "song", "movie", "paint",
        "room", "clean", "kitchen", "coffee", "tea", "cake",
    ];

    static readonly string[] Technical =
    [
        "how", "do", "i", "the", "a", "my", "to", "for", "what", "is", "configure", "kubernetes", "cluster", "pod", "deploy",
        "docker", "image", "registry", "tls", "certificate", "dns", "latency", "timeout", "retry", "queue", "postgres", "index",
        "query", "migration", "schema", "api", "gateway", "token", "oauth", "scope", "helm", "chart", "node", "memory", "cpu",
        "thread", "pool", "socket", "proxy", "firewall", "port", "subnet", "vpc", "bucket", "lambda",
    ];

    static readonly string[] Answers =
    [
        "sure", "here", "is", "a", "simple", "way", "first", "then", "you", "can", "the", "it", "and", "of", "to", "step", "one",
        "two", "next", "finally", "check", "that", "this", "should", "work", "well", "use", "try", "with", "about", "minutes",
    ];

    static readonly string[] Refusals =
    [
        "I'm sorry, but I can't help with that.",
        "I cannot assist with that request.",
        "As an AI, I am not able to do that.",
    ];

    /// <summary>Short everyday questions, 5% refused.</summary>
    public static TrafficShape Baseline { get; } = new(Everyday, 6, 20, 0.05);

    /// <summary>Longer technical questions, 30% refused.</summary>
    public static TrafficShape Shifted { get; } = new(Technical, 12, 35, 0.30);

    public static List<DriftSample> Window(TrafficShape shape, int count, int seed)
    {
        var random = new Random(seed);
        var samples = new List<DriftSample>(count);
        for (var i = 0; i < count; i++)
        {
            var prompt = Sentence(random, shape.Vocabulary, random.Next(shape.MinWords, shape.MaxWords + 1)) + "?";
            var response = random.NextDouble() < shape.RefusalRate
                ? Refusals[random.Next(Refusals.Length)]
                : Sentence(random, Answers, random.Next(8, 41)) + ".";
            samples.Add(new DriftSample(prompt, response));
        }
        return samples;
    }

    static string Sentence(Random random, IReadOnlyList<string> vocabulary, int words)
    {
        var text = new StringBuilder();
        for (var w = 0; w < words; w++)
        {
            if (w > 0) text.Append(' ');
            text.Append(vocabulary[Zipf(random, vocabulary.Count)]);
        }
        text[0] = char.ToUpperInvariant(text[0]);
        return text.ToString();
    }

    /// <summary>A rank in [0, n) with probability proportional to 1/(rank + 1).</summary>
    static int Zipf(Random random, int n)
    {
        var harmonic = 0.0;
        for (var k = 1; k <= n; k++) harmonic += 1.0 / k;
        var target = random.NextDouble() * harmonic;
        for (var k = 1; k <= n; k++)
        {
            target -= 1.0 / k;
            if (target <= 0) return k - 1;
        }
        return n - 1;
    }
}

/// <summary>A hand-written embedding model at the edge of the tests: the mean of a fixed pseudo-random vector per word, so
/// texts over the same words land near each other. Fast enough to run the analyzer over many seeds.</summary>
internal sealed class HashingEmbeddingGenerator(int dimensions = 32) : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>How many texts were embedded.</summary>
    public int Texts { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values.ToList();
        Texts += texts.Count;
        var embeddings = texts.Select(text =>
        {
            var vector = new float[dimensions];
            var words = LlmOps.Evaluation.Assertions.TextSimilarity.Words(text);
            foreach (var word in words)
            {
                var random = new Random(StableHash(word));
                for (var d = 0; d < dimensions; d++) vector[d] += (float)(random.NextDouble() * 2 - 1) / Math.Max(1, words.Count);
            }
            return new Embedding<float>(vector);
        });
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(embeddings));
    }

    static int StableHash(string word)
    {
        var hash = 2166136261u;
        foreach (var ch in word) hash = (hash ^ ch) * 16777619u;
        return (int)(hash & 0x7fffffff);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
