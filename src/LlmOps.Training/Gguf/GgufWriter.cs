using System.Buffers.Binary;
using System.Text;

namespace LlmOps.Training.Gguf;

/// <summary>Writes a GGUF v3 file: metadata key/values, tensor infos, then tensor data aligned to 32 bytes.</summary>
public sealed class GgufWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> metadata = [];
    private readonly List<GgufTensorData> tensors = [];

    public int Alignment { get; init; } = GgufFormat.DefaultAlignment;

    public GgufWriter Add(string key, string value) => AddEntry(key, GgufValueType.String, value);
    public GgufWriter Add(string key, uint value) => AddEntry(key, GgufValueType.UInt32, value);
    public GgufWriter Add(string key, int value) => AddEntry(key, GgufValueType.Int32, value);
    public GgufWriter Add(string key, float value) => AddEntry(key, GgufValueType.Float32, value);
    public GgufWriter Add(string key, bool value) => AddEntry(key, GgufValueType.Bool, value);
    public GgufWriter Add(string key, IReadOnlyList<string> values) => AddEntry(key, GgufValueType.Array, new GgufArray(GgufValueType.String, values.ToArray()));
    public GgufWriter Add(string key, IReadOnlyList<int> values) => AddEntry(key, GgufValueType.Array, new GgufArray(GgufValueType.Int32, values.ToArray()));

    /// <summary>Adds a tensor; <paramref name="dims"/> are in GGML order (the fastest-varying dimension first).</summary>
    public GgufWriter AddTensor(string name, IReadOnlyList<long> dims, GgmlType type, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (tensors.Any(t => t.Name == name))
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        tensors.Add(new GgufTensorData(name, [.. dims], type, data));
        return this;
    }

    /// <summary>Writes the file to a temporary name beside <paramref name="path"/> and renames it into place.</summary>
    public async Task WriteAsync(string path, CancellationToken cancellationToken = default)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
            {
                await WriteAsync(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public async Task WriteAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new MemoryStream();
        using (var w = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(GgufFormat.Magic);
            w.Write(GgufFormat.Version);
            w.Write((ulong)tensors.Count);
            var entries = metadata.Any(m => m.Key == "general.alignment")
                ? metadata
                : [.. metadata, ("general.alignment", GgufValueType.UInt32, (object)(uint)Alignment)];
            w.Write((ulong)entries.Count);
            foreach (var (key, type, value) in entries)
            {
                WriteString(w, key);
                w.Write((uint)type);
                WriteValue(w, type, value);
            }
            ulong offset = 0;
            foreach (var tensor in tensors)
            {
                WriteString(w, tensor.Name);
                w.Write((uint)tensor.Dims.Length);
                foreach (var d in tensor.Dims)
                    w.Write((ulong)d);
                w.Write((uint)tensor.Type);
                w.Write(offset);
                offset = Align(offset + (ulong)tensor.Data.Length);
            }
            Pad(w, header.Length);
        }
        header.Position = 0;
        await header.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        long written = 0;
        foreach (var tensor in tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await stream.WriteAsync(tensor.Data, cancellationToken).ConfigureAwait(false);
            written += tensor.Data.Length;
            var padding = (int)((long)Align((ulong)written) - written);
            if (padding > 0)
                await stream.WriteAsync(new byte[padding], cancellationToken).ConfigureAwait(false);
            written += padding;
        }
    }

    private GgufWriter AddEntry(string key, GgufValueType type, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (metadata.Any(m => m.Key == key))
            throw new ArgumentException($"Metadata key '{key}' was already added.", nameof(key));
        metadata.Add((key, type, value));
        return this;
    }

    private ulong Align(ulong value) => (value + (ulong)Alignment - 1) / (ulong)Alignment * (ulong)Alignment;

    private void Pad(BinaryWriter w, long length)
    {
        var padding = (long)Align((ulong)length) - length;
        for (var i = 0; i < padding; i++)
            w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.String:
                WriteString(w, (string)value);
                break;
            case GgufValueType.UInt32:
                w.Write((uint)value);
                break;
            case GgufValueType.Int32:
                w.Write((int)value);
                break;
            case GgufValueType.Float32:
                w.Write((float)value);
                break;
            case GgufValueType.Bool:
                w.Write((bool)value ? (byte)1 : (byte)0);
                break;
            case GgufValueType.Array:
                var array = (GgufArray)value;
                w.Write((uint)array.ElementType);
                w.Write((ulong)array.Values.Count);
                foreach (var item in array.Values)
                    WriteValue(w, array.ElementType, item!);
                break;
            default:
                throw new NotSupportedException($"GGUF value type {type} is not written by this writer.");
        }
    }

    /// <summary>Converts floats to the bytes of a GGML tensor of <paramref name="type"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<float> values, GgmlType type)
    {
        switch (type)
        {
            case GgmlType.F32:
                var f32 = new byte[values.Length * 4];
                for (var i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(f32.AsSpan(i * 4), values[i]);
                return f32;
            case GgmlType.F16:
                var f16 = new byte[values.Length * 2];
                for (var i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteHalfLittleEndian(f16.AsSpan(i * 2), (Half)values[i]);
                return f16;
            case GgmlType.Q8_0:
                return Q8Zero.Quantize(values);
            default:
                throw new NotSupportedException($"GGML type {type} is not supported.");
        }
    }

    private sealed record GgufTensorData(string Name, long[] Dims, GgmlType Type, byte[] Data);
}

/// <summary>A typed GGUF array value.</summary>
public sealed record GgufArray(GgufValueType ElementType, System.Collections.IList Values);
