namespace LlmOps.DataPrep;

/// <summary>How a preparation run executes; none of these settings changes the output or the version id.</summary>
public sealed class PrepareOptions
{
    /// <summary>Worker threads for the per-record work; the output is the same for any value.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Send malformed rows to <c>rejects.jsonl</c> (counted in the report) instead of stopping the run.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Records per batch handed to the workers.</summary>
    public int BatchSize { get; init; } = 2048;

    /// <summary>Token counter for length filters and split statistics; GPT-2 pre-tokens by default.</summary>
    public ITokenCounter TokenCounter { get; init; } = PreTokenCounter.Instance;

    /// <summary>Folder that relative paths in the recipe (eval files) are resolved against.</summary>
    public string? RecipeDirectory { get; init; }

    /// <summary>Receives throughput now and then, and once at the end.</summary>
    public IProgress<PrepareProgress>? Progress { get; init; }

    /// <summary>Minimum time between two progress reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Threads, 1, nameof(Threads));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentNullException.ThrowIfNull(TokenCounter, nameof(TokenCounter));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}

/// <summary>Throughput of a running preparation.</summary>
public sealed record PrepareProgress(long RecordsRead, long BytesRead, long RecordsWritten, TimeSpan Elapsed)
{
    public double RecordsPerSecond => Elapsed > TimeSpan.Zero ? RecordsRead / Elapsed.TotalSeconds : 0;

    public double MegabytesPerSecond => Elapsed > TimeSpan.Zero ? BytesRead / 1e6 / Elapsed.TotalSeconds : 0;
}

/// <summary>One written split: its file, record and token counts, and SHA-256.</summary>
public sealed record PreparedSplit(string Name, string Path, long Records, long Bytes, long Tokens, string Sha256);

/// <summary>A hashed input file, named independently of where it lives.</summary>
public sealed record SourceFileHash(string Name, long Bytes, string Sha256);

/// <summary>The result of a preparation: the version id (SHA-256 of the manifest), the files written and the quality report.</summary>
public sealed record PreparedDataset(
    string VersionId,
    string OutputDirectory,
    string ManifestPath,
    IReadOnlyList<PreparedSplit> Splits,
    IReadOnlyList<SourceFileHash> Sources,
    string? RejectsPath,
    QualityReport Report,
    TimeSpan Elapsed)
{
    public string ReportJsonPath => Path.Combine(OutputDirectory, DatasetPreparer.ReportJsonFileName);

    public string ReportMarkdownPath => Path.Combine(OutputDirectory, DatasetPreparer.ReportMarkdownFileName);
}
