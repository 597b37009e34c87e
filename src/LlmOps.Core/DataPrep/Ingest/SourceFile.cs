using System.Runtime.CompilerServices;

namespace LlmOps.DataPrep.Ingest;

/// <summary>An input file: its path on this machine, its machine-independent name, and its format.</summary>
public sealed record SourceFile(string Path, string Name, SourceFormat Format)
{
    /// <summary>
    /// Expands files and folders (recursively, in ordinal name order) into source files. Names are the
    /// file name, or folder name plus relative path, so that they do not depend on where the data lives.
    /// </summary>
    public static IReadOnlyList<SourceFile> Resolve(IEnumerable<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var result = new List<SourceFile>();
        foreach (var input in inputs)
        {
            var full = System.IO.Path.GetFullPath(input);
            if (Directory.Exists(full))
            {
                var root = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(full));
                var files = Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                    .Select(f => (Path: f, Relative: System.IO.Path.GetRelativePath(full, f).Replace('\\', '/')))
                    .Where(f => !f.Relative.Split('/').Any(part => part.StartsWith('.')))
                    .OrderBy(f => f.Relative, StringComparer.Ordinal);
                foreach (var (path, relative) in files)
                {
                    if (DetectFormat(path) is { } format)
                        result.Add(new SourceFile(path, $"{root}/{relative}", format));
                }
            }
            else if (File.Exists(full))
            {
                var format = DetectFormat(full) ?? throw new DataPrepException($"{input}: unknown input format (expected .jsonl, .csv, .parquet, .txt or .md)");
                result.Add(new SourceFile(full, System.IO.Path.GetFileName(full), format));
            }
            else
            {
                throw new FileNotFoundException($"input not found: {input}", input);
            }
        }
        return result;
    }

    public static SourceFormat? DetectFormat(string path)
    {
        var ext = System.IO.Path.GetExtension(path).ToUpperInvariant();
        return ext switch
        {
            ".JSONL" or ".NDJSON" => SourceFormat.Jsonl,
            ".CSV" => SourceFormat.Csv,
            ".PARQUET" => SourceFormat.Parquet,
            ".TXT" or ".MD" or ".TEXT" => SourceFormat.Text,
            _ => null,
        };
    }

    /// <summary>Streams this file's rows in order.</summary>
    public IAsyncEnumerable<SourceRow> ReadAsync(InputSettings settings, CancellationToken cancellationToken = default) =>
        ReadAsync(settings, deferJsonParsing: false, cancellationToken);

    /// <summary>Streams rows; with <paramref name="deferJsonParsing"/>, JSONL rows come unparsed (see <see cref="SourceRow.Parse"/>).</summary>
    internal async IAsyncEnumerable<SourceRow> ReadAsync(InputSettings settings, bool deferJsonParsing, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var rows = Format switch
            {
                SourceFormat.Jsonl when deferJsonParsing => JsonlSource.ReadUnparsedAsync(stream, Name, cancellationToken),
                SourceFormat.Jsonl => JsonlSource.ReadAsync(stream, Name, settings, cancellationToken),
                SourceFormat.Csv => CsvSource.ReadAsync(stream, Name, settings, cancellationToken),
                SourceFormat.Parquet => ParquetSource.ReadAsync(stream, Name, settings, cancellationToken),
                _ => TextSource.ReadAsync(stream, Name, settings, cancellationToken),
            };
            await foreach (var row in rows.ConfigureAwait(false))
                yield return row;
        }
    }
}
