using System.Buffers;
using System.Text;

namespace LlmOps.DataPrep.Cleaning;

/// <summary>Settings of the <c>normalize</c> step.</summary>
public sealed class TextCleaningOptions
{
    /// <summary>Apply Unicode NFC.</summary>
    public bool Nfc { get; init; } = true;

    /// <summary>Remove control characters other than newline and tab, and zero-width/BOM characters.</summary>
    public bool StripControl { get; init; } = true;

    /// <summary>Collapse runs of spaces and tabs, trim line ends, allow at most one blank line, trim the text.</summary>
    public bool CollapseWhitespace { get; init; } = true;
}

/// <summary>The <c>normalize</c> step: NFC, control-character and whitespace clean-up of every text field.</summary>
public sealed class TextCleaning(TextCleaningOptions options) : IRecordStep
{
    public const string StepName = "normalize";

    public string Name => StepName;

    public StepOutcome Apply(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return StepOutcome.Keep(record.MapText(Clean));
    }

    /// <summary>Cleans one string as the options say.</summary>
    public string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (options.Nfc)
            text = UnicodeNfc.Normalize(text);
        if (!options.StripControl && !options.CollapseWhitespace)
            return text;
        if (IsAlreadyClean(text))
            return text;

        var sb = new StringBuilder(text.Length);
        var pendingSpace = false;
        var newlines = 0;
        for (var k = 0; k < text.Length; k++)
        {
            var c = text[k];
            if (c == '\r')
            {
                if (k + 1 < text.Length && text[k + 1] == '\n')
                    continue; // CRLF is one line break
                c = '\n';
            }
            if (options.StripControl && IsStripped(c))
                continue;
            if (!options.CollapseWhitespace)
            {
                sb.Append(c);
                continue;
            }
            if (c == '\n')
            {
                pendingSpace = false; // trailing spaces of a line are dropped
                newlines++;
                continue;
            }
            if (c is ' ' or '\t' || (c > 127 && char.IsWhiteSpace(c)))
            {
                pendingSpace = true;
                continue;
            }
            if (sb.Length > 0)
            {
                if (newlines > 0)
                    sb.Append('\n', Math.Min(newlines, 2));
                else if (pendingSpace)
                    sb.Append(' ');
            }
            newlines = 0;
            pendingSpace = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool IsStripped(char c) =>
        (char.IsControl(c) && c is not '\n' and not '\t' and not '\r') || c is '\u200B' or '\uFEFF' or '\u2060';

    // Characters that always need work: C0 controls but newline, DEL and C1 controls, Unicode spaces
    // other than ' ', and the zero-width characters that are stripped.
    private static readonly SearchValues<char> NeedsWork = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"
        + "\u007F\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F"
        + "\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF");

    // Fast path (vectorised searches): nothing to strip, no odd spaces, no runs to collapse, clean edges.
    private bool IsAlreadyClean(string text)
    {
        var span = text.AsSpan();
        if (span.IsEmpty)
            return true;
        if (span.IndexOfAny(NeedsWork) >= 0)
            return false;
        if (!options.CollapseWhitespace)
            return true;
        return span[0] is not (' ' or '\n') && span[^1] is not (' ' or '\n')
            && !span.Contains("  ", StringComparison.Ordinal)
            && !span.Contains(" \n", StringComparison.Ordinal)
            && !span.Contains("\n ", StringComparison.Ordinal)
            && !span.Contains("\n\n\n", StringComparison.Ordinal);
    }
}
