using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LlmOps.Training.Checkpointing;

/// <summary>
/// A resumable training state in one file: named sections (manifest, model, optimizer, RNG) followed by the
/// SHA-256 of everything before it, so that a truncated or corrupted file is refused. Written to a temporary
/// file, flushed to disk and renamed into place, so a crash never leaves a half-written checkpoint under the real name.
/// </summary>
public sealed class TrainingCheckpoint
{
    public const string FileExtension = ".ckpt";
    private const int FormatVersion = 1;
    private static readonly byte[] Magic = "LLMOPSCK"u8.ToArray();

    private readonly Dictionary<string, byte[]> sections;

    public TrainingCheckpoint(IReadOnlyDictionary<string, byte[]> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        this.sections = new Dictionary<string, byte[]>(sections, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, byte[]> Sections => sections;

    public byte[] Section(string name) =>
        sections.TryGetValue(name, out var bytes) ? bytes : throw new InvalidDataException($"The checkpoint has no '{name}' section.");

    /// <summary>The file name of the checkpoint after <paramref name="step"/> steps (sorts by step).</summary>
    public static string FileName(int step) => string.Create(CultureInfo.InvariantCulture, $"checkpoint-{step:D8}{FileExtension}");

    /// <summary>Writes atomically: temporary file, flush to disk, rename.</summary>
    public async Task WriteAsync(string path, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + ".tmp-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                async Task Put(byte[] bytes)
                {
                    hash.AppendData(bytes);
                    await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                }

                await Put(Magic).ConfigureAwait(false);
                await Put(Int32Bytes(FormatVersion)).ConfigureAwait(false);
                await Put(Int32Bytes(sections.Count)).ConfigureAwait(false);
                foreach (var (name, bytes) in sections.OrderBy(s => s.Key, StringComparer.Ordinal))
                {
                    var nameBytes = Encoding.UTF8.GetBytes(name);
                    await Put(Int32Bytes(nameBytes.Length)).ConfigureAwait(false);
                    await Put(nameBytes).ConfigureAwait(false);
                    await Put(Int64Bytes(bytes.Length)).ConfigureAwait(false);
                    await Put(bytes).ConfigureAwait(false);
                }
                await file.WriteAsync(hash.GetHashAndReset(), cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Reads and verifies a checkpoint; throws <see cref="InvalidDataException"/> if it is truncated or its checksum fails.</summary>
    public static async Task<TrainingCheckpoint> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        const int HashBytes = 32;
        if (bytes.Length < Magic.Length + 8 + HashBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a training checkpoint (or is truncated).");
        var body = bytes.AsSpan(0, bytes.Length - HashBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashBytes)))
            throw new InvalidDataException($"Checkpoint '{path}' fails its checksum: it is truncated or corrupt.");
        var position = Magic.Length;
        var version = BinaryPrimitives.ReadInt32LittleEndian(body[position..]);
        position += 4;
        if (version != FormatVersion)
            throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture, "Checkpoint format {0} is not supported.", version));
        var count = BinaryPrimitives.ReadInt32LittleEndian(body[position..]);
        position += 4;
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var nameLength = BinaryPrimitives.ReadInt32LittleEndian(body[position..]);
            position += 4;
            var name = Encoding.UTF8.GetString(body.Slice(position, nameLength));
            position += nameLength;
            var length = checked((int)BinaryPrimitives.ReadInt64LittleEndian(body[position..]));
            position += 8;
            sections[name] = body.Slice(position, length).ToArray();
            position += length;
        }
        if (position != body.Length)
            throw new InvalidDataException($"Checkpoint '{path}' has trailing bytes.");
        return new TrainingCheckpoint(sections);
    }

    /// <summary>The checkpoint in <paramref name="directory"/> with the highest step, or null.</summary>
    public static string? Latest(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, "checkpoint-*" + FileExtension).Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    private static byte[] Int32Bytes(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return b;
    }

    private static byte[] Int64Bytes(long value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return b;
    }
}
