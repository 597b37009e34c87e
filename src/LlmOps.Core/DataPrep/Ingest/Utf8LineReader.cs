namespace LlmOps.DataPrep.Ingest;

/// <summary>Reads a stream line by line as raw UTF-8 bytes, with 1-based line numbers, in bounded memory.</summary>
/// <remarks>
/// Lines are returned as bytes so that invalid UTF-8 is detected (and reported with its line) instead of
/// being replaced by U+FFFD as a <see cref="StreamReader"/> would. A returned line is valid until the next call.
/// </remarks>
internal sealed class Utf8LineReader
{
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;
    private bool _first = true;

    public Utf8LineReader(Stream stream, int bufferSize = 1 << 16)
    {
        _stream = stream;
        _buffer = new byte[bufferSize];
    }

    public long LineNumber { get; private set; }

    /// <summary>Returns the next line without its terminator (\n or \r\n), or null at the end.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        var scanned = 0; // bytes after _start already known to hold no '\n'
        while (true)
        {
            var nl = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var lineEnd = _start + scanned + nl;
                var line = Take(_start, lineEnd);
                _start = lineEnd + 1;
                return line;
            }
            if (_eof)
            {
                if (_start == _end)
                    return null;
                var line = Take(_start, _end);
                _start = _end;
                return line;
            }
            scanned = _end - _start;
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ReadOnlyMemory<byte> Take(int from, int to)
    {
        LineNumber++;
        if (to > from && _buffer[to - 1] == (byte)'\r')
            to--;
        if (_first)
        {
            _first = false;
            if (to - from >= 3 && _buffer[from] == 0xEF && _buffer[from + 1] == 0xBB && _buffer[from + 2] == 0xBF)
                from += 3;
        }
        return _buffer.AsMemory(from, to - from);
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        // Compact what is left to the front; grow only when a single line fills the buffer.
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
            _eof = true;
        _end += read;
    }
}
