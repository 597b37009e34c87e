using LlmOps.Registry;

namespace LlmOps.Datasets;

/// <summary>An immutable prepared dataset: its id is the SHA-256 of its manifest, so the same inputs and recipe give the same id.</summary>
/// <param name="Id">SHA-256 of <c>manifest.json</c>.</param>
/// <param name="Name">The name it was registered under (a label; ids are what lineage records).</param>
/// <param name="Files">Every file of the version (manifest, splits, report, rejects) in the artifact store.</param>
/// <param name="Splits">Record and token counts per split.</param>
/// <param name="Sources">The input files, by name, size and SHA-256 (lineage to raw data).</param>
/// <param name="RecipeJson">The canonical recipe it was prepared with.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="CreatedBy">Who registered it.</param>
public sealed record DatasetVersion(
    string Id,
    string Name,
    IReadOnlyList<ArtifactFile> Files,
    IReadOnlyList<DatasetSplit> Splits,
    IReadOnlyList<DatasetSource> Sources,
    string RecipeJson,
    DateTimeOffset CreatedAt,
    string CreatedBy)
{
    public long Records => Splits.Sum(s => s.Records);
}

/// <summary>One split of a dataset version.</summary>
public sealed record DatasetSplit(string Name, string File, long Records, long Tokens, long Bytes, string Sha256);

/// <summary>One raw input file of a dataset version.</summary>
public sealed record DatasetSource(string Name, long Bytes, string Sha256);

/// <summary>How two dataset versions differ, by record (a record is the same when its prepared JSON line is).</summary>
public sealed record DatasetDiff(string From, string To, long Added, long Removed, long Unchanged, IReadOnlyList<DatasetSplitDiff> Splits);

/// <summary>The diff restricted to one split (a record that moved split counts as removed there and added here).</summary>
public sealed record DatasetSplitDiff(string Split, long Added, long Removed, long Unchanged);
