using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace LlmOps.Training.Gguf;

/// <summary>One tensor's entry in a GGUF file; <see cref="Dims"/> are in GGML order (fastest-varying first).</summary>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dims, GgmlType Type, ulong Offset)
{
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes of this tensor's data.</summary>
    public long ByteCount => Type switch
    {
        GgmlType.F32 => ElementCount * 4,
        GgmlType.F16 => ElementCount * 2,
        GgmlType.Q8_0 => ElementCount / GgufFormat.Q8BlockSize * GgufFormat.Q8BlockBytes,
        _ => throw new NotSupportedException($"GGML type {Type} is not supported."),
    };
}

/// <summary>Reads a GGUF (v2/v3) file: metadata, tensor infos, and tensor data as floats (F16 and Q8_0 dequantised).</summary>
public sealed class GgufReader : IDisposable
{
    private readonly FileStream stream;

    private GgufReader(FileStream stream, uint version, Dictionary<string, object> metadata, List<GgufTensorInfo> tensors, long dataOffset)
    {
        this.stream = stream;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        DataOffset = dataOffset;
    }

    public uint Version { get; }

    /// <summary>Metadata values: numbers as their CLR types, strings, and arrays as typed CLR arrays (string[], int[], ...).</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    public long DataOffset { get; }

    /// <summary>Opens <paramref name="path"/> and parses its header; tensor data is read on demand.</summary>
    public static GgufReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            if (stream.Length < 24 || r.ReadUInt32() != GgufFormat.Magic)
                throw new InvalidDataException($"'{path}' is not a GGUF file.");
            var version = r.ReadUInt32();
            if (version is < 2 or > 3)
                throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture, "GGUF version {0} is not supported.", version));
            var tensorCount = CheckedCount(r.ReadUInt64(), stream.Length);
            var kvCount = CheckedCount(r.ReadUInt64(), stream.Length);
            var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
            for (var i = 0; i < kvCount; i++)
            {
                var key = ReadString(r);
                var type = (GgufValueType)r.ReadUInt32();
                metadata[key] = ReadValue(r, type);
            }
            var tensors = new List<GgufTensorInfo>(tensorCount);
            for (var i = 0; i < tensorCount; i++)
            {
                var name = ReadString(r);
                var nDims = r.ReadUInt32();
                if (nDims is 0 or > 4)
                    throw new InvalidDataException($"Tensor '{name}' has {nDims} dimensions.");
                var dims = new long[nDims];
                for (var d = 0; d < nDims; d++)
                    dims[d] = checked((long)r.ReadUInt64());
                var type = (GgmlType)r.ReadUInt32();
                if (!Enum.IsDefined(type))
                    throw new NotSupportedException($"Tensor '{name}' has GGML type {(uint)type}, which this reader does not dequantise (F32, F16, Q8_0).");
                tensors.Add(new GgufTensorInfo(name, dims, type, r.ReadUInt64()));
            }
            var alignment = metadata.TryGetValue("general.alignment", out var a) ? Convert.ToInt64(a, CultureInfo.InvariantCulture) : GgufFormat.DefaultAlignment;
            var dataOffset = (stream.Position + alignment - 1) / alignment * alignment;
            foreach (var t in tensors)
            {
                if (dataOffset + (long)t.Offset + t.ByteCount > stream.Length)
                    throw new InvalidDataException($"Tensor '{t.Name}' extends past the end of the file (truncated?).");
            }
            return new GgufReader(stream, version, metadata, tensors, dataOffset);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public GgufTensorInfo Tensor(string name) =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"The GGUF file has no tensor '{name}'.");

    public bool HasTensor(string name) => Tensors.Any(t => t.Name == name);

    /// <summary>The tensor's values as float32, in GGML (row-major, fastest dimension first) order.</summary>
    public float[] ReadFloats(GgufTensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var bytes = new byte[info.ByteCount];
        stream.Position = DataOffset + (long)info.Offset;
        stream.ReadExactly(bytes);
        switch (info.Type)
        {
            case GgmlType.F32:
                var f32 = new float[info.ElementCount];
                for (var i = 0; i < f32.Length; i++)
                    f32[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                return f32;
            case GgmlType.F16:
                var f16 = new float[info.ElementCount];
                for (var i = 0; i < f16.Length; i++)
                    f16[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
                return f16;
            case GgmlType.Q8_0:
                return Q8Zero.Dequantize(bytes, info.ElementCount);
            default:
                throw new NotSupportedException($"GGML type {info.Type} is not supported.");
        }
    }

    public T Get<T>(string key) =>
        Metadata.TryGetValue(key, out var value)
            ? (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture)
            : throw new KeyNotFoundException($"The GGUF file has no metadata '{key}'.");

    public T? GetOrDefault<T>(string key)
        where T : struct =>
        Metadata.TryGetValue(key, out var value) ? (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture) : null;

    public void Dispose() => stream.Dispose();

    private static int CheckedCount(ulong count, long fileLength) =>
        count > (ulong)fileLength ? throw new InvalidDataException("The GGUF header has an impossible count (corrupt file).") : (int)count;

    private static string ReadString(BinaryReader r)
    {
        var length = r.ReadUInt64();
        if (length > (ulong)(r.BaseStream.Length - r.BaseStream.Position))
            throw new InvalidDataException("A GGUF string runs past the end of the file (corrupt file).");
        return Encoding.UTF8.GetString(r.ReadBytes((int)length));
    }

    private static object ReadValue(BinaryReader r, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => r.ReadByte(),
        GgufValueType.Int8 => r.ReadSByte(),
        GgufValueType.UInt16 => r.ReadUInt16(),
        GgufValueType.Int16 => r.ReadInt16(),
        GgufValueType.UInt32 => r.ReadUInt32(),
        GgufValueType.Int32 => r.ReadInt32(),
        GgufValueType.Float32 => r.ReadSingle(),
        GgufValueType.Bool => r.ReadByte() != 0,
        GgufValueType.String => ReadString(r),
        GgufValueType.UInt64 => r.ReadUInt64(),
        GgufValueType.Int64 => r.ReadInt64(),
        GgufValueType.Float64 => r.ReadDouble(),
        GgufValueType.Array => ReadArray(r),
        _ => throw new InvalidDataException($"Unknown GGUF value type {(uint)type}."),
    };

    private static Array ReadArray(BinaryReader r)
    {
        var elementType = (GgufValueType)r.ReadUInt32();
        var count = CheckedCount(r.ReadUInt64(), r.BaseStream.Length);
        Array array = elementType switch
        {
            GgufValueType.String => new string[count],
            GgufValueType.Int32 => new int[count],
            GgufValueType.UInt32 => new uint[count],
            GgufValueType.Float32 => new float[count],
            _ => new object[count],
        };
        for (var i = 0; i < count; i++)
            array.SetValue(ReadValue(r, elementType), i);
        return array;
    }
}
