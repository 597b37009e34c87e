using System.Buffers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using LlmOps.DataPrep.Cleaning;
using LlmOps.DataPrep.Ingest;
using LlmOps.DataPrep.Recipes;
using LlmOps.DataPrep.Splitting;

namespace LlmOps.DataPrep;

/// <summary>
/// Runs a recipe over input files and writes the prepared dataset: one JSONL file per split, the quality
/// report, optional rejects, and a manifest whose SHA-256 is the dataset version id.
/// </summary>
/// <remarks>
/// Determinism: records are read in a fixed order (inputs as given, folder contents in ordinal order) and
/// batched; per-record work runs in parallel but every stateful decision (dedupe) and every write happens
/// in input order. The manifest names files by machine-independent names and holds no times or thread
/// counts, so the same inputs and recipe give the same id on any machine and thread count.
/// </remarks>
public sealed class DatasetPreparer
{
    /// <summary>Bumped when a change in this code changes prepared output for the same inputs and recipe.</summary>
    public const string FormatVersion = "llmops.dataset/1";

    public const string ManifestFileName = "manifest.json";
    public const string RejectsFileName = "rejects.jsonl";
    public const string ReportJsonFileName = "report.json";
    public const string ReportMarkdownFileName = "report.md";

    internal static readonly JsonWriterOptions LineWriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Prepares <paramref name="inputs"/> (files or folders) with <paramref name="recipe"/> into <paramref name="outputDirectory"/>.</summary>
    /// <exception cref="InvalidRecordException">A malformed row, unless <see cref="PrepareOptions.SkipInvalid"/> is set.</exception>
    public async Task<PreparedDataset> PrepareAsync(
        IReadOnlyList<string> inputs,
        Recipe recipe,
        string outputDirectory,
        PrepareOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        options ??= new PrepareOptions();
        options.Validate();
        var time = options.TimeProvider;
        var started = time.GetTimestamp();

        var sources = SourceFile.Resolve(inputs);
        if (sources.Count == 0)
            throw new DataPrepException("no input files found");
        if (recipe.Input.Shape != RecordShape.Text && sources.FirstOrDefault(s => s.Format == SourceFormat.Text) is { } textFile)
        {
            // Plain text only makes text records; mixing them into a chat or prompt/completion dataset is never wanted.
            throw new DataPrepException($"{textFile.Name}: plain-text files give text records, but the recipe's input shape is {recipe.Input.Shape}");
        }
        var (steps, evalFiles) = RecipeStepFactory.Create(recipe, options.TokenCounter, options.RecipeDirectory ?? Directory.GetCurrentDirectory());
        var splitter = new HashSplit(recipe.Split);

        Directory.CreateDirectory(outputDirectory);
        var stepReports = steps.Select(s => new StepReport { Name = s.Name }).ToArray();
        var splitReports = HashSplit.Names.Select(n => new SplitReport { Name = n }).ToArray();
        var report = new QualityReport { Steps = stepReports, Splits = splitReports, TokenCounter = options.TokenCounter.Name };
        var writers = HashSplit.Names.Select(n => new HashingFileWriter(Path.Combine(outputDirectory, n + ".jsonl"))).ToArray();
        var rejectsPath = Path.Combine(outputDirectory, RejectsFileName);
        var rejects = options.SkipInvalid ? new HashingFileWriter(rejectsPath) : null;
        var sourceHashes = new SourceFileHash[sources.Count];
        long bytesRead = 0, written = 0;
        var lastProgress = started;

        try
        {
            var channel = Channel.CreateBounded<List<SourceRow>>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
            using var producerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var producer = Task.Run(() => ProduceAsync(sources, recipe.Input, options.BatchSize, sourceHashes, channel.Writer, producerCancel.Token), producerCancel.Token);
            try
            {
                await foreach (var batch in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    written += ProcessBatch(batch, recipe.Input, steps, splitter, options, report, writers, rejects);
                    foreach (var row in batch)
                        bytesRead += row.Bytes;
                    report.RecordsRead += batch.Count;
                    if (options.Progress is { } progress && time.GetElapsedTime(lastProgress) >= options.ProgressInterval)
                    {
                        lastProgress = time.GetTimestamp();
                        progress.Report(new PrepareProgress(report.RecordsRead, bytesRead, written, time.GetElapsedTime(started)));
                    }
                }
            }
            finally
            {
                await producerCancel.CancelAsync().ConfigureAwait(false);
                try
                {
                    await producer.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The consumer stopped first (it threw); its exception is the one that matters.
                }
            }
        }
        finally
        {
            foreach (var w in writers)
                await w.DisposeAsync().ConfigureAwait(false);
            if (rejects is not null)
                await rejects.DisposeAsync().ConfigureAwait(false);
        }

        var splits = HashSplit.Names.Select((name, i) => new PreparedSplit(
            name, writers[i].Path, splitReports[i].Records, writers[i].Length, splitReports[i].Tokens, writers[i].Sha256Hex)).ToArray();

        var reportJson = report.ToJson();
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, ReportJsonFileName), reportJson, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, ReportMarkdownFileName), report.ToMarkdown(), cancellationToken).ConfigureAwait(false);

        var manifest = DatasetManifest.Write(recipe, options.TokenCounter.Name, sourceHashes, evalFiles, splits, rejects, Sha256Hex(System.Text.Encoding.UTF8.GetBytes(reportJson)));
        var manifestPath = Path.Combine(outputDirectory, ManifestFileName);
        await File.WriteAllBytesAsync(manifestPath, manifest, cancellationToken).ConfigureAwait(false);

        var elapsed = time.GetElapsedTime(started);
        options.Progress?.Report(new PrepareProgress(report.RecordsRead, bytesRead, written, elapsed));
        return new PreparedDataset(Sha256Hex(manifest), outputDirectory, manifestPath, splits, sourceHashes, rejects?.Path, report, elapsed);
    }

    internal static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task ProduceAsync(
        IReadOnlyList<SourceFile> sources,
        InputSettings input,
        int batchSize,
        SourceFileHash[] hashes,
        ChannelWriter<List<SourceRow>> writer,
        CancellationToken cancellationToken)
    {
        try
        {
            var batch = new List<SourceRow>(batchSize);
            for (var i = 0; i < sources.Count; i++)
            {
                var source = sources[i];
                hashes[i] = await HashFileAsync(source, cancellationToken).ConfigureAwait(false);
                await foreach (var row in source.ReadAsync(input, deferJsonParsing: true, cancellationToken).ConfigureAwait(false))
                {
                    batch.Add(row);
                    if (batch.Count >= batchSize)
                    {
                        await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                        batch = new List<SourceRow>(batchSize);
                    }
                }
            }
            if (batch.Count > 0)
                await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            writer.Complete();
        }
        catch (Exception ex)
        {
            writer.Complete(ex);
            throw;
        }
    }

    private static async Task<SourceFileHash> HashFileAsync(SourceFile source, CancellationToken cancellationToken)
    {
        var stream = new FileStream(source.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            return new SourceFileHash(source.Name, stream.Length, Convert.ToHexStringLower(hash));
        }
    }

    private static long ProcessBatch(
        List<SourceRow> batch,
        InputSettings input,
        IReadOnlyList<IRecipeStep> steps,
        HashSplit splitter,
        PrepareOptions options,
        QualityReport report,
        HashingFileWriter[] writers,
        HashingFileWriter? rejects)
    {
        // JSON lines arrive unparsed so that parsing runs on the workers, not on the single reader.
        var rows = new SourceRow[batch.Count];
        For(rows.Length, options.Threads, i => rows[i] = batch[i].Parse(input));
        var alive = new DataRecord?[batch.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            if (row.Record is not null)
            {
                alive[i] = row.Record;
                continue;
            }
            if (rejects is null)
                throw new InvalidRecordException(row.Origin.File, row.Origin.Line, row.Error!);
            report.Rejected++;
            SplitReport.Increment(report.RejectedByReason, ReasonCategory(row.Error!));
            rejects.Write(JsonLine(w =>
            {
                w.WriteString("file", row.Origin.File);
                w.WriteNumber("line", row.Origin.Line);
                w.WriteString("reason", row.Error);
            }));
        }

        var outcomes = new StepOutcome[batch.Count];
        var fingerprints = new object?[batch.Count];
        for (var s = 0; s < steps.Count; s++)
        {
            var stepReport = report.Steps[s];
            switch (steps[s])
            {
                case IRecordStep step:
                    For(alive.Length, options.Threads, i =>
                    {
                        if (alive[i] is { } r)
                            outcomes[i] = step.Apply(r);
                    });
                    break;
                case IOrderedRecordStep step:
                    For(alive.Length, options.Threads, i =>
                    {
                        if (alive[i] is { } r)
                            fingerprints[i] = step.Fingerprint(r);
                    });
                    for (var i = 0; i < alive.Length; i++)
                    {
                        if (alive[i] is { } r)
                            outcomes[i] = step.Admit(r, fingerprints[i]!);
                        fingerprints[i] = null;
                    }
                    break;
                default:
                    throw new InvalidOperationException($"step '{steps[s].Name}' implements neither IRecordStep nor IOrderedRecordStep");
            }
            for (var i = 0; i < alive.Length; i++)
            {
                if (alive[i] is null)
                    continue;
                var outcome = outcomes[i];
                stepReport.In++;
                if (outcome.Findings is { } findings)
                {
                    foreach (var (kind, n) in findings)
                        SplitReport.Increment(stepReport.Findings, kind, n);
                }
                if (outcome.Record is null)
                {
                    SplitReport.Increment(stepReport.Dropped, outcome.DropReason ?? "dropped");
                    alive[i] = null;
                }
                else
                {
                    stepReport.Out++;
                    alive[i] = outcome.Record;
                }
            }
        }

        var assigned = new int[alive.Length];
        var tokens = new int[alive.Length];
        var chars = new int[alive.Length];
        var lines = new byte[]?[alive.Length];
        For(alive.Length, options.Threads, i =>
        {
            if (alive[i] is not { } r)
                return;
            var content = r.ContentText();
            assigned[i] = splitter.Assign(r);
            tokens[i] = options.TokenCounter.Count(content);
            chars[i] = content.Length;
            lines[i] = Serialize(r);
        });
        long written = 0;
        for (var i = 0; i < alive.Length; i++)
        {
            if (lines[i] is not { } line)
                continue;
            writers[assigned[i]].Write(line);
            report.Splits[assigned[i]].Add(chars[i], tokens[i]);
            written++;
        }
        return written;
    }

    /// <summary>The reason without details after the first colon, so that the report groups alike rows.</summary>
    private static string ReasonCategory(string reason)
    {
        var colon = reason.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? reason[..colon] : reason;
    }

    private static void For(int count, int threads, Action<int> body)
    {
        if (threads <= 1 || count < 64)
        {
            for (var i = 0; i < count; i++)
                body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    /// <summary>The JSONL line of a prepared record: {"text"}, {"prompt","completion"} or {"messages":[{"role","content"}]}.</summary>
    public static byte[] Serialize(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return JsonLine(w =>
        {
            switch (record.Shape)
            {
                case RecordShape.Text:
                    w.WriteString("text", record.Text);
                    break;
                case RecordShape.PromptCompletion:
                    w.WriteString("prompt", record.Prompt);
                    w.WriteString("completion", record.Completion);
                    break;
                default:
                    w.WriteStartArray("messages");
                    foreach (var m in record.Messages)
                    {
                        w.WriteStartObject();
                        w.WriteString("role", m.Role);
                        w.WriteString("content", m.Content);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    break;
            }
        });
    }

    private static byte[] JsonLine(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, LineWriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A buffered output file that hashes what it writes.</summary>
    internal sealed class HashingFileWriter : IAsyncDisposable
    {
        private readonly FileStream _stream;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private string? _sha256;

        public HashingFileWriter(string path)
        {
            Path = path;
            _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }

        public string Path { get; }

        public long Length { get; private set; }

        public string Sha256Hex => _sha256 ?? throw new InvalidOperationException("the file is still open");

        public void Write(byte[] bytes)
        {
            _stream.Write(bytes);
            _hash.AppendData(bytes);
            Length += bytes.Length;
        }

        public async ValueTask DisposeAsync()
        {
            if (_sha256 is not null)
                return;
            await _stream.DisposeAsync().ConfigureAwait(false);
            _sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
            _hash.Dispose();
        }
    }
}
