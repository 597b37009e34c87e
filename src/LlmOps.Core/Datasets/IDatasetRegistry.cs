using LlmOps.Registry;

namespace LlmOps.Datasets;

/// <summary>Dataset versions as their users see them, locally or through the server.</summary>
public interface IDatasetRegistry
{
    /// <summary>Registers a prepared dataset whose files are already in the artifact store; registering the same id again returns the existing version.</summary>
    Task<DatasetVersion> RegisterAsync(RegisterDataset request, CancellationToken cancellationToken = default);

    /// <summary>A version by id (a unique prefix of at least 8 hex digits is enough).</summary>
    Task<DatasetVersion> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<DatasetVersion>> ListAsync(string? name = null, CancellationToken cancellationToken = default);

    /// <summary>Added, removed and unchanged records from <paramref name="from"/> to <paramref name="to"/>.</summary>
    Task<DatasetDiff> DiffAsync(string from, string to, CancellationToken cancellationToken = default);
}

/// <summary>Input to <see cref="IDatasetRegistry.RegisterAsync"/>: a name and the uploaded files; the rest is read from the manifest.</summary>
public sealed record RegisterDataset(string Name, IReadOnlyList<ArtifactFile> Files);
