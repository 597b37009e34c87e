using System.IO.Hashing;
using System.Text.Json;
using LlmOps.Artifacts;
using LlmOps.Audit;
using LlmOps.DataPrep;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Storage;

namespace LlmOps.Datasets;

/// <summary>Registers prepared datasets as immutable, content-addressed versions, checking the manifest against the uploaded files.</summary>
public sealed class DatasetRegistry(IStore store, IArtifactStore artifacts, Actor actor, TimeProvider timeProvider) : IDatasetRegistry
{
    const string Area = "datasets";
    const int MinimumPrefix = 8;

    public async Task<DatasetVersion> RegisterAsync(RegisterDataset request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor.Demand(Role.Developer, Area, Access.Write);
        ModelRegistry.ValidateName(request.Name);
        var files = ArtifactFiles.Resolve(artifacts, request.Files);
        var manifestFile = files.FirstOrDefault(f => f.Name == DatasetPreparer.ManifestFileName)
            ?? throw new InvalidInputException("files", $"a dataset version needs its {DatasetPreparer.ManifestFileName}.");
        var (splits, sources, recipe) = await ReadManifestAsync(manifestFile.Sha256, cancellationToken);
        foreach (var split in splits)
        {
            var file = files.FirstOrDefault(f => f.Name == split.File)
                ?? throw new InvalidInputException("files", $"the manifest lists split file '{split.File}', which was not uploaded.");
            if (file.Sha256 != split.Sha256)
                throw new InvalidInputException("files", $"'{split.File}' hashes to {file.Sha256} but the manifest says {split.Sha256}.");
        }

        // The manifest's own SHA-256 is the version id: the same inputs and recipe give the same id anywhere.
        var id = manifestFile.Sha256;
        await using var session = await store.OpenAsync(write: true, cancellationToken);
        if (await session.Datasets.GetAsync(id, cancellationToken) is { } existing) return existing;
        var version = new DatasetVersion(id, request.Name, files, splits, sources, recipe,
            DateTimeOffset.FromUnixTimeMilliseconds(timeProvider.GetUtcNow().ToUnixTimeMilliseconds()), actor.Id);
        await session.Datasets.InsertAsync(version, cancellationToken);
        await AuditTrail.AppendAsync(session, timeProvider, actor, "dataset.register", "dataset_version", id, null,
            new { version.Name, version.Splits, version.Sources }, cancellationToken);
        await session.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<DatasetVersion> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await ResolveAsync(session, id, cancellationToken);
    }

    public async Task<IReadOnlyList<DatasetVersion>> ListAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        await using var session = await store.OpenAsync(write: false, cancellationToken);
        return await session.Datasets.ListAsync(name, cancellationToken);
    }

    public async Task<DatasetDiff> DiffAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        actor.Demand(Role.Viewer, Area, Access.Read);
        DatasetVersion a, b;
        await using (var session = await store.OpenAsync(write: false, cancellationToken))
        {
            a = await ResolveAsync(session, from, cancellationToken);
            b = await ResolveAsync(session, to, cancellationToken);
        }
        var splitNames = a.Splits.Select(s => s.Name).Union(b.Splits.Select(s => s.Name)).ToList();
        var all = (A: new HashSet<UInt128>(), B: new HashSet<UInt128>());
        var perSplit = new List<DatasetSplitDiff>();
        foreach (var split in splitNames)
        {
            var inA = await RecordHashesAsync(a, split, cancellationToken);
            var inB = await RecordHashesAsync(b, split, cancellationToken);
            all.A.UnionWith(inA);
            all.B.UnionWith(inB);
            var unchanged = inA.Count(inB.Contains);
            perSplit.Add(new DatasetSplitDiff(split, inB.Count - unchanged, inA.Count - unchanged, unchanged));
        }
        var same = all.A.Count(all.B.Contains);
        return new DatasetDiff(a.Id, b.Id, all.B.Count - same, all.A.Count - same, same, perSplit);
    }

    async Task<HashSet<UInt128>> RecordHashesAsync(DatasetVersion version, string split, CancellationToken cancellationToken)
    {
        var hashes = new HashSet<UInt128>();
        var file = version.Splits.FirstOrDefault(s => s.Name == split);
        if (file is null) return hashes;
        await using var stream = artifacts.OpenRead(file.Sha256);
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0) hashes.Add(XxHash128.HashToUInt128(System.Text.Encoding.UTF8.GetBytes(line)));
        }
        return hashes;
    }

    async Task<(IReadOnlyList<DatasetSplit>, IReadOnlyList<DatasetSource>, string)> ReadManifestAsync(string sha256, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            await using var stream = artifacts.OpenRead(sha256);
            document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        }
        catch (JsonException exception)
        {
            throw new InvalidInputException("files", $"{DatasetPreparer.ManifestFileName} is not valid JSON: {exception.Message}");
        }
        using (document)
        {
            try
            {
                var root = document.RootElement;
                var format = root.GetProperty("format").GetString();
                if (format != DatasetPreparer.FormatVersion)
                    throw new InvalidInputException("files", $"{DatasetPreparer.ManifestFileName} has format '{format}'; this version reads '{DatasetPreparer.FormatVersion}'.");
                var splits = root.GetProperty("splits").EnumerateArray().Select(s => new DatasetSplit(
                    s.GetProperty("name").GetString()!, s.GetProperty("file").GetString()!, s.GetProperty("records").GetInt64(),
                    s.GetProperty("tokens").GetInt64(), s.GetProperty("bytes").GetInt64(), s.GetProperty("sha256").GetString()!)).ToList();
                var sources = root.GetProperty("sources").EnumerateArray().Select(s => new DatasetSource(
                    s.GetProperty("name").GetString()!, s.GetProperty("bytes").GetInt64(), s.GetProperty("sha256").GetString()!)).ToList();
                return (splits, sources, root.GetProperty("recipe").GetRawText());
            }
            catch (Exception exception) when (exception is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidInputException("files", $"{DatasetPreparer.ManifestFileName} lacks a field or has a wrong type: {exception.Message}");
            }
        }
    }

    static async Task<DatasetVersion> ResolveAsync(IStoreSession session, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length < MinimumPrefix || id.Length > 64 || !id.All(Uri.IsHexDigit))
            throw new InvalidInputException("id", $"'{id}' is not a dataset version id: give at least {MinimumPrefix} hex digits of it.");
        var matches = await session.Datasets.FindByPrefixAsync(id.ToLowerInvariant(), 2, cancellationToken);
        return matches.Count switch
        {
            0 => throw new NotFoundException("dataset version", id),
            1 => matches[0],
            _ => throw new InvalidInputException("id", $"'{id}' matches more than one dataset version; give more digits."),
        };
    }
}
