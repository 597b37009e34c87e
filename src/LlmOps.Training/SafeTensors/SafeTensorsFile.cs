using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LlmOps.Training.SafeTensors;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End);

/// <summary>Reads and writes the safetensors format: a little-endian u64 header length, a JSON header, then raw row-major data.</summary>
public static class SafeTensorsFile
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Parses the header of <paramref name="path"/>; throws <see cref="InvalidDataException"/> on a malformed or truncated file.</summary>
    public static (IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata, long DataOffset) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Length < 8)
            throw new InvalidDataException($"'{path}' is too short to be a safetensors file.");
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
            throw new InvalidDataException($"'{path}' has an invalid safetensors header length.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new InvalidDataException("Empty safetensors header.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' has a malformed safetensors header.", ex);
        }
        var dataOffset = 8 + headerLength;
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject())
                    metadata[k] = v!.GetValue<string>();
                continue;
            }
            var entry = node!.AsObject();
            var offsets = entry["data_offsets"]!.AsArray();
            var info = new SafeTensorInfo(
                name,
                entry["dtype"]!.GetValue<string>(),
                [.. entry["shape"]!.AsArray().Select(d => d!.GetValue<long>())],
                offsets[0]!.GetValue<long>(),
                offsets[1]!.GetValue<long>());
            if (info.End < info.Begin || dataOffset + info.End > stream.Length || info.End - info.Begin != ElementCount(info) * DTypeSize(info.DType))
                throw new InvalidDataException($"Tensor '{name}' in '{path}' has inconsistent offsets (truncated or corrupt file).");
            tensors.Add(info);
        }
        return (tensors, metadata, dataOffset);
    }

    /// <summary>Reads every tensor of <paramref name="path"/> as float32 (F32, F16 and BF16 are accepted).</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        var (infos, _, dataOffset) = ReadHeader(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var stream = File.OpenRead(path);
        try
        {
            foreach (var info in infos)
            {
                var bytes = new byte[info.End - info.Begin];
                stream.Position = dataOffset + info.Begin;
                stream.ReadExactly(bytes);
                result[info.Name] = tensor(Decode(bytes, info.DType), [.. info.Shape], ScalarType.Float32);
            }
        }
        catch
        {
            foreach (var t in result.Values)
                t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Writes tensors (sorted by name, as Hugging Face does) as F32 with a "format: pt" metadata entry, atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        if (metadata is not null)
        {
            foreach (var (k, v) in metadata)
                meta[k] = v;
        }
        header["__metadata__"] = meta;
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var blobs = new List<byte[]>(ordered.Count);
        long offset = 0;
        foreach (var (name, value) in ordered)
        {
            using var f32 = value.to(ScalarType.Float32).contiguous();
            var floats = f32.data<float>().ToArray();
            var bytes = new byte[floats.Length * 4];
            Buffer.BlockCopy(floats, 0, bytes, 0, bytes.Length);
            if (!BitConverter.IsLittleEndian)
                throw new PlatformNotSupportedException("safetensors writing assumes a little-endian machine.");
            blobs.Add(bytes);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray([.. value.shape.Select(d => JsonValue.Create(d))]),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to a multiple of 8 bytes, as the reference implementation does.
        var padded = (json.Length + 7) / 8 * 8;
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                Span<byte> lengthBytes = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(lengthBytes, padded);
                stream.Write(lengthBytes);
                stream.Write(json);
                for (var i = json.Length; i < padded; i++)
                    stream.WriteByte((byte)' ');
                foreach (var blob in blobs)
                    stream.Write(blob);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    private static long ElementCount(SafeTensorInfo info) => info.Shape.Aggregate(1L, (a, b) => a * b);

    private static int DTypeSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => throw new NotSupportedException(string.Format(CultureInfo.InvariantCulture, "safetensors dtype '{0}' is not supported (F32, F16, BF16).", dtype)),
    };

    private static float[] Decode(byte[] bytes, string dtype)
    {
        var size = DTypeSize(dtype);
        var values = new float[bytes.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            values[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(span),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(span),
                _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span) << 16),
            };
        }
        return values;
    }
}
