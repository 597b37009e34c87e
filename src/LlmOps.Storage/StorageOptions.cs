using LlmOps.Storage.Postgres;
using LlmOps.Storage.Sqlite;

namespace LlmOps.Storage;

/// <summary>Where LlmOps keeps its state: a data directory, and optionally PostgreSQL instead of the embedded SQLite.</summary>
public sealed class StorageOptions
{
    /// <summary>Data directory (artifacts, and the SQLite file when no connection string is set).</summary>
    public string DataDir { get; set; } = DataDirectory.DefaultPath;

    /// <summary>A PostgreSQL connection string (<c>Host=…;Database=…</c>); empty means the embedded SQLite.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Artifact folder; defaults to <c>DataDir/artifacts</c>. Point it at shared storage when scaling out.</summary>
    public string? ArtifactsPath { get; set; }

    /// <summary>Opens the configured store (not yet migrated).</summary>
    public IStore CreateStore()
    {
        var dataDirectory = new DataDirectory(DataDir);
        return string.IsNullOrWhiteSpace(PostgresConnectionString)
            ? new SqliteStore(dataDirectory.DatabasePath)
            : new PostgresStore(PostgresConnectionString);
    }

    public string ResolveArtifactsPath() => ArtifactsPath ?? new DataDirectory(DataDir).ArtifactsPath;
}
