using System.Buffers.Binary;
using System.Text;

namespace LlmOps.Training.Runtime;

/// <summary>Reads the version-needed entries (.gnu.version_r) of an ELF64 little-endian shared library.</summary>
internal static class ElfVersionNeeds
{
    /// <summary>VER_FLG_WEAK: the loader only warns when a weak version is missing.</summary>
    public const ushort WeakFlag = 0x2;

    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Flags of each needed version name (e.g. "GLIBCXX_3.4.32"), or null if the file is not an ELF64 LE library.</summary>
    public static Dictionary<string, ushort>? Read(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || !elf.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || elf[4] != 2 || elf[5] != 1)
            return null;
        var span = elf.AsSpan();
        var shoff = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var result = new Dictionary<string, ushort>(StringComparer.Ordinal);
        for (var i = 0; i < shnum; i++)
        {
            var sh = shoff + i * shentsize;
            if (BinaryPrimitives.ReadUInt32LittleEndian(span[(sh + 4)..]) != ShtGnuVerneed)
                continue;
            var vn = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[(sh + 0x18)..]));
            var strSection = shoff + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(sh + 0x28)..]) * shentsize;
            var strOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[(strSection + 0x18)..]));
            var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(sh + 0x2C)..]);
            for (var n = 0; n < count; n++)
            {
                var vna = vn + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vn + 8)..]);
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(vn + 2)..]);
                for (var a = 0; a < auxCount; a++)
                {
                    var start = strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vna + 8)..]);
                    var end = span[start..].IndexOf((byte)0);
                    result[Encoding.ASCII.GetString(span.Slice(start, end))] = BinaryPrimitives.ReadUInt16LittleEndian(span[(vna + 4)..]);
                    vna += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vna + 12)..]);
                }
                vn += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(vn + 12)..]);
            }
        }
        return result;
    }
}
