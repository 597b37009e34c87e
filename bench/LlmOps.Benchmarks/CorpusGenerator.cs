using System.Text;
using System.Text.Json;

namespace LlmOps.Benchmarks;

/// <summary>Writes a seeded JSONL corpus with planted exact duplicates, near duplicates and PII.</summary>
internal static class CorpusGenerator
{
    public sealed record Stats(long Records, long Bytes, long ExactPlanted, long NearPlanted, long PiiPlanted);

    public static Stats Write(string path, long targetBytes, int seed = 2026)
    {
        var random = new Random(seed);
        var vocabulary = Enumerable.Range(0, 30000).Select(i => Word(random, i)).ToArray();
        var recent = new List<string>(); // a window of earlier documents to copy from
        long records = 0, bytes = 0, exact = 0, near = 0, pii = 0;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var line = new StringBuilder();
        while (bytes < targetBytes)
        {
            string text;
            var roll = random.NextDouble();
            if (roll < 0.05 && recent.Count > 0)
            {
                text = recent[random.Next(recent.Count)];
                exact++;
            }
            else if (roll < 0.10 && recent.Count > 0)
            {
                var words = recent[random.Next(recent.Count)].Split(' ');
                for (var k = 0; k < 2; k++)
                    words[random.Next(words.Length)] = vocabulary[random.Next(vocabulary.Length)];
                text = string.Join(' ', words);
                near++;
            }
            else
            {
                var count = 60 + random.Next(300);
                line.Clear();
                for (var w = 0; w < count; w++)
                {
                    if (w > 0)
                        line.Append(w % 17 == 0 ? ". " : " ");
                    // Zipf-like: squaring a uniform number favours frequent words.
                    var u = random.NextDouble();
                    line.Append(vocabulary[(int)(u * u * vocabulary.Length)]);
                }
                if (random.NextDouble() < 0.1)
                {
                    pii++;
                    line.Append(random.Next(4) switch
                    {
                        0 => $" write to user{random.Next(100000)}@example.org",
                        1 => $" call +1 555-{random.Next(100, 999)}-{random.Next(1000, 9999)}",
                        2 => " card 4111 1111 1111 1111",
                        _ => $" server 10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}",
                    });
                }
                text = line.ToString();
                if (recent.Count < 2000)
                    recent.Add(text);
                else
                    recent[random.Next(recent.Count)] = text;
            }
            var json = JsonSerializer.SerializeToUtf8Bytes(new { text });
            stream.Write(json);
            stream.WriteByte((byte)'\n');
            bytes += json.Length + 1;
            records++;
        }
        return new Stats(records, bytes, exact, near, pii);
    }

    private static string Word(Random random, int index)
    {
        const string letters = "abcdefghijklmnopqrstuvwxyzéü";
        var length = 2 + random.Next(8);
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
            sb.Append(letters[random.Next(letters.Length)]);
        return index % 50 == 0 ? sb.ToString().ToUpperInvariant() : sb.ToString();
    }
}
