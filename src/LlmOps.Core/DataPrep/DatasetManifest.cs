using System.Buffers;
using System.Text.Json;
using LlmOps.DataPrep.Cleaning;
using LlmOps.DataPrep.Recipes;

namespace LlmOps.DataPrep;

/// <summary>Writes the manifest of a prepared dataset: canonical recipe, sources, eval files, splits; its SHA-256 is the version id.</summary>
/// <remarks>Only machine-independent content goes in: names not paths, no times, no thread counts.</remarks>
public static class DatasetManifest
{
    internal static byte[] Write(
        Recipe recipe,
        string tokenCounter,
        IReadOnlyList<SourceFileHash> sources,
        IReadOnlyList<SourceFileHash> evalFiles,
        IReadOnlyList<PreparedSplit> splits,
        DatasetPreparer.HashingFileWriter? rejects,
        string reportSha256)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, DatasetPreparer.LineWriterOptions with { Indented = true, NewLine = "\n" }))
        {
            w.WriteStartObject();
            w.WriteString("format", DatasetPreparer.FormatVersion);
            w.WriteString("unicode", UnicodeNfc.UnicodeVersion);
            w.WriteString("token_counter", tokenCounter);
            w.WritePropertyName("recipe");
            using (var doc = JsonDocument.Parse(recipe.CanonicalJson))
                doc.RootElement.WriteTo(w);
            WriteFiles(w, "sources", sources);
            WriteFiles(w, "eval_files", evalFiles);
            w.WriteStartArray("splits");
            foreach (var s in splits)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                w.WriteString("file", Path.GetFileName(s.Path));
                w.WriteNumber("records", s.Records);
                w.WriteNumber("tokens", s.Tokens);
                w.WriteNumber("bytes", s.Bytes);
                w.WriteString("sha256", s.Sha256);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (rejects is null)
            {
                w.WriteNull("rejects");
            }
            else
            {
                w.WriteStartObject("rejects");
                w.WriteString("file", Path.GetFileName(rejects.Path));
                w.WriteNumber("bytes", rejects.Length);
                w.WriteString("sha256", rejects.Sha256Hex);
                w.WriteEndObject();
            }
            w.WriteString("report_sha256", reportSha256);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteFiles(Utf8JsonWriter w, string name, IReadOnlyList<SourceFileHash> files)
    {
        w.WriteStartArray(name);
        foreach (var f in files)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WriteNumber("bytes", f.Bytes);
            w.WriteString("sha256", f.Sha256);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
