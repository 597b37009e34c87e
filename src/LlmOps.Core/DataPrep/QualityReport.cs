using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmOps.DataPrep;

/// <summary>What one step did: records in and out, drops by reason, findings by type.</summary>
public sealed class StepReport
{
    public required string Name { get; init; }

    public long In { get; set; }

    public long Out { get; set; }

    public SortedDictionary<string, long> Dropped { get; init; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, long> Findings { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>Counts of one written split, with length histograms (power-of-two buckets).</summary>
public sealed class SplitReport
{
    public required string Name { get; init; }

    public long Records { get; set; }

    public long Chars { get; set; }

    public long Tokens { get; set; }

    public long MinTokens { get; set; }

    public long MaxTokens { get; set; }

    public double MeanTokens => Records == 0 ? 0 : Math.Round((double)Tokens / Records, 3);

    public SortedDictionary<string, long> CharHistogram { get; init; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, long> TokenHistogram { get; init; } = new(StringComparer.Ordinal);

    internal void Add(int chars, int tokens)
    {
        MinTokens = Records == 0 ? tokens : Math.Min(MinTokens, tokens);
        MaxTokens = Math.Max(MaxTokens, tokens);
        Records++;
        Chars += chars;
        Tokens += tokens;
        Increment(CharHistogram, Bucket(chars));
        Increment(TokenHistogram, Bucket(tokens));
    }

    /// <summary>"00016-00031" style labels, zero-padded so that ordinal order is numeric order.</summary>
    internal static string Bucket(int value)
    {
        if (value < 16)
            return "0000000-0000015";
        var low = 1 << (31 - int.LeadingZeroCount(value));
        return string.Create(CultureInfo.InvariantCulture, $"{low:D7}-{(2 * low) - 1:D7}");
    }

    internal static void Increment(SortedDictionary<string, long> counts, string key, long by = 1) =>
        counts[key] = counts.TryGetValue(key, out var n) ? n + by : by;
}

/// <summary>The quality report of a dataset version: per step, per split, PII, duplicates and rejects; as JSON and Markdown.</summary>
public sealed class QualityReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NewLine = "\n", // the report is hashed into the manifest: same bytes on every OS
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public long RecordsRead { get; set; }

    public long Rejected { get; set; }

    public SortedDictionary<string, long> RejectedByReason { get; init; } = new(StringComparer.Ordinal);

    public required IReadOnlyList<StepReport> Steps { get; init; }

    public required IReadOnlyList<SplitReport> Splits { get; init; }

    public required string TokenCounter { get; init; }

    /// <summary>PII found, by type, summed over the redaction steps.</summary>
    public SortedDictionary<string, long> PiiFound => Sum(Steps.Where(s => s.Name == Pii.PiiRedaction.StepName).SelectMany(s => s.Findings));

    /// <summary>Duplicates dropped, by kind (exact, near).</summary>
    public SortedDictionary<string, long> DuplicatesFound => Sum(Steps.SelectMany(s => s.Dropped).Where(d => d.Key.EndsWith("_duplicate", StringComparison.Ordinal)));

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions) + "\n";

    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("# Data quality report\n\n");
        sb.Append(inv, $"Records read: {RecordsRead}; rejected as malformed: {Rejected}. Token counter: `{TokenCounter}`.\n\n");
        if (RejectedByReason.Count > 0)
        {
            sb.Append("## Rejected rows\n\n| reason | rows |\n| --- | ---: |\n");
            foreach (var (reason, n) in RejectedByReason)
                sb.Append(inv, $"| {Escape(reason)} | {n} |\n");
            sb.Append('\n');
        }
        sb.Append("## Steps\n\n| step | in | out | dropped (by reason) | found |\n| --- | ---: | ---: | --- | --- |\n");
        foreach (var s in Steps)
            sb.Append(inv, $"| {s.Name} | {s.In} | {s.Out} | {Pairs(s.Dropped)} | {Pairs(s.Findings)} |\n");
        sb.Append("\n## PII found\n\n");
        sb.Append(PiiFound.Count == 0 ? "None.\n" : Pairs(PiiFound) + "\n");
        sb.Append("\n## Duplicates found\n\n");
        sb.Append(DuplicatesFound.Count == 0 ? "None.\n" : Pairs(DuplicatesFound) + "\n");
        sb.Append("\n## Splits\n\n| split | records | chars | tokens | min | mean | max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var s in Splits)
            sb.Append(inv, $"| {s.Name} | {s.Records} | {s.Chars} | {s.Tokens} | {s.MinTokens} | {s.MeanTokens:0.###} | {s.MaxTokens} |\n");
        foreach (var s in Splits.Where(s => s.Records > 0))
        {
            sb.Append(inv, $"\n### Length histogram: {s.Name}\n\n| bucket | records by chars | records by tokens |\n| --- | ---: | ---: |\n");
            foreach (var bucket in s.CharHistogram.Keys.Union(s.TokenHistogram.Keys).Order(StringComparer.Ordinal))
                sb.Append(inv, $"| {bucket} | {s.CharHistogram.GetValueOrDefault(bucket)} | {s.TokenHistogram.GetValueOrDefault(bucket)} |\n");
        }
        return sb.ToString();
    }

    private static string Pairs(SortedDictionary<string, long> counts) =>
        string.Join(", ", counts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {p.Value}")));

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static SortedDictionary<string, long> Sum(IEnumerable<KeyValuePair<string, long>> pairs)
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, n) in pairs)
            SplitReport.Increment(result, key, n);
        return result;
    }
}
