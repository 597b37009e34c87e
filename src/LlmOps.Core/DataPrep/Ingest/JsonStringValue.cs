using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace LlmOps.DataPrep.Ingest;

/// <summary>Reads a JSON string token faster than <see cref="Utf8JsonReader.GetString"/> when it holds many escapes.</summary>
/// <remarks>
/// Corpora written with ASCII-only JSON (Python's and pandas' default) escape every non-ASCII character as
/// \uXXXX; the framework's unescaping then dominates parsing time. The reader has already checked the
/// escape syntax and the line is valid UTF-8, so this only decodes. Lone surrogates are refused, as
/// GetString refuses them.
/// </remarks>
internal static class JsonStringValue
{
    public static bool TryRead(ref Utf8JsonReader reader, out string? value)
    {
        if (!reader.ValueIsEscaped)
        {
            value = reader.HasValueSequence ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan);
            return true;
        }
        if (reader.HasValueSequence)
        {
            value = reader.GetString();
            return true;
        }
        var raw = reader.ValueSpan;
        var buffer = ArrayPool<char>.Shared.Rent(raw.Length);
        try
        {
            var o = 0;
            var pendingHigh = false; // a \uD8xx escape waiting for its \uDCxx
            while (true)
            {
                var slash = raw.IndexOf((byte)'\\');
                var run = slash < 0 ? raw : raw[..slash];
                if (pendingHigh && (!run.IsEmpty || slash < 0))
                    return Refuse(out value);
                o += Encoding.UTF8.GetChars(run, buffer.AsSpan(o));
                if (slash < 0)
                    break;
                var e = raw[slash + 1];
                if (e != 'u')
                {
                    if (pendingHigh)
                        return Refuse(out value);
                    buffer[o++] = e switch
                    {
                        (byte)'b' => '\b',
                        (byte)'f' => '\f',
                        (byte)'n' => '\n',
                        (byte)'r' => '\r',
                        (byte)'t' => '\t',
                        _ => (char)e, // " \ /
                    };
                    raw = raw[(slash + 2)..];
                    continue;
                }
                Utf8Parser.TryParse(raw.Slice(slash + 2, 4), out ushort code, out _, 'X');
                var c = (char)code;
                if (char.IsLowSurrogate(c) != pendingHigh)
                    return Refuse(out value);
                pendingHigh = char.IsHighSurrogate(c);
                buffer[o++] = c;
                raw = raw[(slash + 6)..];
            }
            value = new string(buffer, 0, o);
            return true;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static bool Refuse(out string? value)
    {
        value = null;
        return false;
    }
}
