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

    // Fast path: no CR, no stripped characters, no double spaces, no tabs, no space at line ends or edges.
    private bool IsAlreadyClean(string text)
    {
        var span = text.AsSpan();
        if (span.IsEmpty)
            return true;
        if (options.CollapseWhitespace && (span[0] is ' ' or '\n' || span[^1] is ' ' or '\n'))
            return false;
        var prev = '\0';
        var prev2 = '\0';
        foreach (var c in span)
        {
            if (c < ' ' && c != '\n')
                return false;
            if (c > 127 && (IsStripped(c) || char.IsWhiteSpace(c) || char.IsControl(c)))
                return false;
            if (options.CollapseWhitespace)
            {
                if ((c == ' ' && prev is ' ' or '\n') || (c == '\n' && prev == ' ') || (c == '\n' && prev == '\n' && prev2 == '\n'))
                    return false;
            }
            prev2 = prev;
            prev = c;
        }
        return true;
    }
}
