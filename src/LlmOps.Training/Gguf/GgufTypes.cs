namespace LlmOps.Training.Gguf;

/// <summary>GGUF metadata value types (gguf.h, gguf_type).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>GGML tensor types this project reads and writes (ggml.h, ggml_type).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
}

/// <summary>Whole-file weight format chosen at export (general.file_type: llama_ftype).</summary>
public enum GgufFileType : uint
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 7,
}

/// <summary>llama.cpp token types (tokenizer.ggml.token_type).</summary>
public enum GgufTokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>Constants of the GGUF container.</summary>
public static class GgufFormat
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;
    public const uint Version = 3;
    public const int DefaultAlignment = 32;
    public const int Q8BlockSize = 32;

    /// <summary>Bytes of one Q8_0 block: an fp16 scale and 32 int8 values.</summary>
    public const int Q8BlockBytes = 2 + Q8BlockSize;
}
