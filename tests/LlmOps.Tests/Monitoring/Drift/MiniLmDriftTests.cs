using LlmOps.Inference.Embeddings;
using LlmOps.Monitoring.Drift;
using Xunit.Abstractions;

namespace LlmOps.Tests.Monitoring.Drift;

/// <summary>Embedding drift with the real all-MiniLM-L6-v2 (offline, inside its package): a topic shift from cooking to
/// networking questions moves both the centroid and MMD; two samples of the same templates move neither.</summary>
public sealed class MiniLmDriftTests(MiniLmDriftTests.Model model, ITestOutputHelper output) : IClassFixture<MiniLmDriftTests.Model>
{
    const int WindowSize = 60;

    /// <summary>One model for the class: loading the ONNX session is the slow part.</summary>
    public sealed class Model : IDisposable
    {
        public MiniLmEmbeddingGenerator Generator { get; } = new();

        public void Dispose() => Generator.Dispose();
    }

    static readonly string[][] Cooking =
    [
        ["How long should I", "What is the best way to", "Can I", "Why does it go wrong when I"],
        ["roast", "bake", "simmer", "grill", "braise", "fry"],
        ["the chicken thighs", "a loaf of sourdough", "the tomato sauce", "salmon fillets", "a pot of lentil soup", "the vegetables"],
        ["for a family dinner?", "in a cast-iron pan?", "without burning them?", "at a lower oven temperature?", "ahead of a party?"],
    ];

    static readonly string[][] Networking =
    [
        ["How do I", "What is the best way to", "Can I", "Why does it fail when I"],
        ["configure", "debug", "reset", "secure", "monitor", "restart"],
        ["the VPN tunnel", "a DNS resolver", "the office router", "TLS certificates on the load balancer", "a VLAN trunk port", "the firewall rules"],
        ["after a firmware update?", "behind a NAT gateway?", "without dropping connections?", "on a Linux server?", "across two subnets?"],
    ];

    [Fact]
    public async Task AnalyzeAsync_CookingThenNetworking_EmbeddingsDrift()
    {
        var report = await Analyzer().AnalyzeAsync(Window(Cooking, seed: 1), Window(Networking, seed: 2));
        Log(report);
        var centroid = Result(report, DriftFeatures.EmbeddingCentroid);
        var mmd = Result(report, DriftFeatures.EmbeddingMmd);
        Assert.True(centroid.Drifted, centroid.Detail);
        Assert.True(mmd.Drifted, mmd.Detail);
        Assert.True(mmd.PValue < 0.05, mmd.Detail);
    }

    [Fact]
    public async Task AnalyzeAsync_TwoSamplesOfCookingTemplates_EmbeddingsDoNotDrift()
    {
        var report = await Analyzer().AnalyzeAsync(Window(Cooking, seed: 3), Window(Cooking, seed: 4));
        Log(report);
        var centroid = Result(report, DriftFeatures.EmbeddingCentroid);
        var mmd = Result(report, DriftFeatures.EmbeddingMmd);
        Assert.False(centroid.Drifted, centroid.Detail);
        Assert.True(centroid.Score < 0.05, centroid.Detail);
        Assert.False(mmd.Drifted, mmd.Detail);
    }

    DriftAnalyzer Analyzer() => new(new DriftOptions(), model.Generator);

    void Log(DriftReport report)
    {
        foreach (var result in report.Results) output.WriteLine($"{result.Feature}/{result.Method}: {result.Drifted} — {result.Detail}");
    }

    static DriftResult Result(DriftReport report, string feature) => report.Results.Single(r => r.Feature == feature);

    /// <summary>Prompts made by picking one phrase from each slot of the templates, seeded.</summary>
    static List<DriftSample> Window(string[][] slots, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, WindowSize).Select(_ => new DriftSample(string.Join(' ', slots.Select(s => s[random.Next(s.Length)]))))];
    }
}
