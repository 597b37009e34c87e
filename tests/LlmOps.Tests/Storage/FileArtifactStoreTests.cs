using System.Security.Cryptography;
using System.Text;
using LlmOps.Storage.Artifacts;
using Microsoft.Extensions.Time.Testing;

namespace LlmOps.Tests.Storage;

public sealed class FileArtifactStoreTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), "llmops-tests", Guid.NewGuid().ToString("N"));
    readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task PutAsync_Content_AddressedBySha256AndReadBack()
    {
        var store = new FileArtifactStore(root, time);
        var bytes = Encoding.UTF8.GetBytes("weights");
        var blob = await store.PutAsync(new MemoryStream(bytes));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), blob.Sha256);
        Assert.Equal(bytes.Length, blob.Size);
        await using var read = store.OpenRead(blob.Sha256);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "tmp")));
    }

    [Fact]
    public async Task PutAsync_SameContentTwice_StoredOnce()
    {
        var store = new FileArtifactStore(root, time);
        var a = await store.PutAsync(new MemoryStream([1, 2, 3]));
        var b = await store.PutAsync(new MemoryStream([1, 2, 3]));
        Assert.Equal(a, b);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(root, "sha256"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task OpenRead_CorruptedBlob_ThrowsIntegrityAtEnd()
    {
        var store = new FileArtifactStore(root, time);
        var blob = await store.PutAsync(new MemoryStream(new byte[4096]));
        var path = Directory.EnumerateFiles(Path.Combine(root, "sha256"), blob.Sha256, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[100] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);

        await using var read = store.OpenRead(blob.Sha256);
        var error = await Assert.ThrowsAsync<IntegrityException>(() => read.CopyToAsync(Stream.Null));
        Assert.Contains(blob.Sha256, error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IntegrityException>(() => store.VerifyAsync(blob.Sha256));
    }

    [Fact]
    public async Task OpenRead_TruncatedBlob_ThrowsIntegrity()
    {
        var store = new FileArtifactStore(root, time);
        var blob = await store.PutAsync(new MemoryStream(new byte[4096]));
        var path = Directory.EnumerateFiles(Path.Combine(root, "sha256"), blob.Sha256, SearchOption.AllDirectories).Single();
        await File.WriteAllBytesAsync(path, new byte[10]);
        await Assert.ThrowsAsync<IntegrityException>(() => store.VerifyAsync(blob.Sha256));
    }

    [Fact]
    public async Task OpenRead_Unknown_NotFound()
    {
        var store = new FileArtifactStore(root, time);
        Assert.Throws<NotFoundException>(() => store.OpenRead(new string('0', 64)));
        Assert.Null(store.GetSize(new string('0', 64)));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task CollectGarbageAsync_UnreferencedOldBlob_DeletedReferencedAndYoungKept()
    {
        var store = new FileArtifactStore(root, time);
        var kept = await store.PutAsync(new MemoryStream([1]));
        var garbage = await store.PutAsync(new MemoryStream([2]));
        var young = await store.PutAsync(new MemoryStream([3]));
        var old = DateTime.UtcNow.AddHours(-2);
        foreach (var sha in new[] { kept.Sha256, garbage.Sha256 })
            File.SetLastWriteTimeUtc(Directory.EnumerateFiles(Path.Combine(root, "sha256"), sha, SearchOption.AllDirectories).Single(), old);

        var result = await store.CollectGarbageAsync(new HashSet<string> { kept.Sha256 }, TimeSpan.FromHours(1));

        Assert.Equal(1, result.BlobsDeleted);
        Assert.Equal(1, result.BytesFreed);
        Assert.True(store.Exists(kept.Sha256));
        Assert.False(store.Exists(garbage.Sha256));
        Assert.True(store.Exists(young.Sha256));
    }

    [Fact]
    public async Task PutAsync_StreamFailsMidway_LeavesNoBlobAndNoTempFile()
    {
        var store = new FileArtifactStore(root, time);
        await Assert.ThrowsAsync<IOException>(() => store.PutAsync(new FailingStream()));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "sha256"), "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "tmp")));
    }

    sealed class FailingStream : MemoryStream
    {
        int reads;

        public FailingStream() : base(new byte[1 << 21]) { }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ++reads > 1 ? throw new IOException("connection reset") : base.ReadAsync(buffer, cancellationToken);
    }
}
