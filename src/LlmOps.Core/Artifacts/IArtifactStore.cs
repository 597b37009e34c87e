namespace LlmOps.Artifacts;

/// <summary>Content-addressed blob store: blobs are named by the SHA-256 of their bytes.</summary>
public interface IArtifactStore
{
    /// <summary>Streams <paramref name="content"/> into the store (temp file, then atomic rename) and returns its address.</summary>
    Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens a blob for reading; the stream throws <see cref="IntegrityException"/> at its end if the bytes no longer hash to <paramref name="sha256"/>.</summary>
    Stream OpenRead(string sha256);

    /// <summary>True when the blob is present.</summary>
    bool Exists(string sha256);

    /// <summary>A path on this machine where the blob can be read in place (native runtimes such as llama.cpp
    /// map files, so a copy would double disk use), or null when absent. Readers must not modify the file.</summary>
    string? GetLocalPath(string sha256);

    /// <summary>The blob's size, or null when absent.</summary>
    long? GetSize(string sha256);

    /// <summary>Re-hashes a blob; throws <see cref="IntegrityException"/> if it is corrupt.</summary>
    Task VerifyAsync(string sha256, CancellationToken cancellationToken = default);

    /// <summary>Deletes blobs not in <paramref name="referenced"/> and older than <paramref name="gracePeriod"/>
    /// (a blob just uploaded may not be registered yet).</summary>
    Task<GarbageCollection> CollectGarbageAsync(IReadOnlySet<string> referenced, TimeSpan gracePeriod, CancellationToken cancellationToken = default);
}

/// <summary>A stored blob's address and size.</summary>
public sealed record BlobInfo(string Sha256, long Size);

/// <summary>What a garbage collection removed.</summary>
public sealed record GarbageCollection(int BlobsDeleted, long BytesFreed, int BlobsKept);
