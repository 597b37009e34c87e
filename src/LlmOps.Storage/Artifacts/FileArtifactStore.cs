using System.Security.Cryptography;
using LlmOps.Artifacts;

namespace LlmOps.Storage.Artifacts;

/// <summary>Blobs as files named by their SHA-256 under <c>sha256/ab/abcdef…</c>; shared folders (NFS) work for many machines.</summary>
public sealed class FileArtifactStore : IArtifactStore
{
    const int BufferSize = 1 << 20;
    readonly string blobRoot;
    readonly string tempRoot;
    readonly TimeProvider timeProvider;

    public FileArtifactStore(string root, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        blobRoot = Path.Combine(Root, "sha256");
        tempRoot = Path.Combine(Root, "tmp");
        this.timeProvider = timeProvider ?? TimeProvider.System;
        Directory.CreateDirectory(blobRoot);
        Directory.CreateDirectory(tempRoot);
    }

    public string Root { get; }

    public async Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var tempPath = Path.Combine(tempRoot, $"{Guid.NewGuid():N}.part");
        try
        {
            string sha256;
            long size = 0;
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                await using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
                {
                    var buffer = new byte[BufferSize];
                    int read;
                    while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        size += read;
                    }
                    await file.FlushAsync(cancellationToken);
                    file.Flush(flushToDisk: true);
                }
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            var finalPath = BlobPath(sha256);
            if (File.Exists(finalPath))
            {
                File.Delete(tempPath);
                return new BlobInfo(sha256, size);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!);
            // Same file system, so the rename is atomic: readers see the whole blob or none.
            File.Move(tempPath, finalPath, overwrite: true);
            return new BlobInfo(sha256, size);
        }
        finally
        {
            if (File.Exists(tempPath)) File.Delete(tempPath);
        }
    }

    public Stream OpenRead(string sha256)
    {
        ArtifactNames.ValidateSha256(sha256);
        var path = BlobPath(sha256);
        if (!File.Exists(path)) throw new NotFoundException("blob", sha256);
        return new VerifyingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan), sha256);
    }

    public bool Exists(string sha256)
    {
        ArtifactNames.ValidateSha256(sha256);
        return File.Exists(BlobPath(sha256));
    }

    public string? GetLocalPath(string sha256)
    {
        ArtifactNames.ValidateSha256(sha256);
        var path = BlobPath(sha256);
        return File.Exists(path) ? path : null;
    }

    public long? GetSize(string sha256)
    {
        ArtifactNames.ValidateSha256(sha256);
        var info = new FileInfo(BlobPath(sha256));
        return info.Exists ? info.Length : null;
    }

    public async Task VerifyAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var stream = OpenRead(sha256);
        await stream.CopyToAsync(Stream.Null, BufferSize, cancellationToken);
    }

    public Task<GarbageCollection> CollectGarbageAsync(IReadOnlySet<string> referenced, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(referenced);
        var cutoff = timeProvider.GetUtcNow() - gracePeriod;
        int deleted = 0, kept = 0;
        long freed = 0;
        foreach (var path in Directory.EnumerateFiles(blobRoot, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(path);
            if (referenced.Contains(info.Name) || info.LastWriteTimeUtc > cutoff.UtcDateTime)
            {
                kept++;
                continue;
            }
            freed += info.Length;
            info.Delete();
            deleted++;
        }
        // Leftovers of interrupted uploads.
        foreach (var path in Directory.EnumerateFiles(tempRoot))
        {
            var info = new FileInfo(path);
            if (info.LastWriteTimeUtc <= cutoff.UtcDateTime) info.Delete();
        }
        return Task.FromResult(new GarbageCollection(deleted, freed, kept));
    }

    string BlobPath(string sha256) => Path.Combine(blobRoot, sha256[..2], sha256);

    /// <summary>Hashes what is read and throws at the end of the stream if the bytes do not match their address.</summary>
    sealed class VerifyingStream(FileStream inner, string expected) : Stream
    {
        readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool checkedAtEnd;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            Observe(buffer[..read]);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Observe(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        void Observe(ReadOnlySpan<byte> data)
        {
            if (data.Length > 0)
            {
                hash.AppendData(data);
                return;
            }
            if (checkedAtEnd) return;
            checkedAtEnd = true;
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected)
                throw new IntegrityException($"blob {expected} is corrupt: its content hashes to {actual}.");
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                hash.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
