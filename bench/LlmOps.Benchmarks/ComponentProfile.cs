using System.Diagnostics;
using System.Globalization;
using LlmOps.DataPrep;
using LlmOps.DataPrep.Cleaning;
using LlmOps.DataPrep.Dedup;
using LlmOps.DataPrep.Ingest;
using LlmOps.DataPrep.Pii;
using LlmOps.DataPrep.Splitting;

namespace LlmOps.Benchmarks;

/// <summary>Times each piece of the pipeline on one thread over records held in memory, to see where time goes.</summary>
internal static class ComponentProfile
{
    public static async Task RunAsync(string path)
    {
        var sw = Stopwatch.StartNew();
        long lineBytes = 0;
        await using (var stream = File.OpenRead(path))
        {
            var lines = new Utf8LineReader(stream);
            while (await lines.ReadLineAsync() is { } line)
                lineBytes += line.Length + 1;
        }
        Report("split lines only", sw.Elapsed, lineBytes);
        sw.Restart();
        await using (var stream = File.OpenRead(path))
        {
            var lines = new Utf8LineReader(stream);
            while (await lines.ReadLineAsync() is { } line)
                System.Text.Unicode.Utf8.IsValid(line.Span);
        }
        Report("split lines + validate UTF-8", sw.Elapsed, lineBytes);
        sw.Restart();
        await using (var stream = File.OpenRead(path))
        {
            var lines = new Utf8LineReader(stream);
            while (await lines.ReadLineAsync() is { } line)
                JsonlSource.Parse(line.Span, default, new InputSettings());
        }
        Report("lines + JsonlSource.Parse", sw.Elapsed, lineBytes);
        sw.Restart();
        await using (var stream = File.OpenRead(path))
        {
            var lines = new Utf8LineReader(stream);
            while (await lines.ReadLineAsync() is { } line)
            {
                var reader = new System.Text.Json.Utf8JsonReader(line.Span);
                while (reader.Read())
                {
                }
            }
        }
        Report("lines + Utf8JsonReader tokens only", sw.Elapsed, lineBytes);

        var records = new List<DataRecord>();
        long bytes = 0;
        sw.Restart();
        await foreach (var row in new SourceFile(path, "corpus.jsonl", SourceFormat.Jsonl).ReadAsync(new InputSettings()))
        {
            records.Add(row.Record!);
            bytes += row.Bytes;
        }
        Report("read+parse JSONL", sw.Elapsed, bytes);

        var normalize = new TextCleaning(new TextCleaningOptions());
        Time("normalize", bytes, () => records.ForEach(r => normalize.Apply(r)));
        Time("nfc only", bytes, () => records.ForEach(r => UnicodeNfc.Normalize(r.Text!)));
        var changed = 0;
        Time("clean (nfc + whitespace)", bytes, () => records.ForEach(r => changed += ReferenceEquals(normalize.Clean(r.Text!), r.Text) ? 0 : 1));
        Console.WriteLine($"    records changed by cleaning: {changed}");
        var exact = new ExactDeduplication();
        Time("dedupe_exact", bytes, () => records.ForEach(r => exact.Admit(r, exact.Fingerprint(r))));
        var pii = new PiiRedaction(new PiiRedactionOptions());
        Time("redact_pii", bytes, () => records.ForEach(r => pii.Apply(r)));
        foreach (var kind in Enum.GetValues<PiiKind>())
        {
            var one = new PiiRedaction(new PiiRedactionOptions { Kinds = new HashSet<PiiKind> { kind } });
            Time("  pii " + kind, bytes, () => records.ForEach(r => one.Redact(r.Text!)));
        }
        var near = new NearDeduplication(new NearDeduplicationOptions());
        Time("minhash fingerprint", bytes, () => records.ForEach(r => near.Fingerprint(r)));
        Time("token count (gpt2 pre-tokens)", bytes, () => records.ForEach(r => PreTokenCounter.Instance.Count(r.Text!)));
        var split = new HashSplit(new SplitOptions());
        Time("split assign", bytes, () => records.ForEach(r => split.Assign(r)));
        Time("serialize", bytes, () => records.ForEach(r => DatasetPreparer.Serialize(r)));
    }

    private static void Time(string name, long bytes, Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        Report(name, sw.Elapsed, bytes);
    }

    private static void Report(string name, TimeSpan elapsed, long bytes) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-32} {elapsed.TotalSeconds,7:0.000} s {bytes / 1e6 / elapsed.TotalSeconds,8:0.0} MB/s (1 thread)"));
}
