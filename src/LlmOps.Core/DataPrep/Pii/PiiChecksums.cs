namespace LlmOps.DataPrep.Pii;

/// <summary>Checksums that tell real card numbers and IBANs from look-alike digit runs.</summary>
public static class PiiChecksums
{
    /// <summary>Luhn (mod 10) check over the digits of <paramref name="value"/>; other characters are ignored.</summary>
    public static bool IsLuhnValid(ReadOnlySpan<char> value)
    {
        int sum = 0, digits = 0;
        for (var i = value.Length - 1; i >= 0; i--)
        {
            var c = value[i];
            if (!char.IsAsciiDigit(c))
                continue;
            var d = c - '0';
            if ((digits & 1) == 1)
            {
                d *= 2;
                if (d > 9)
                    d -= 9;
            }
            sum += d;
            digits++;
        }
        return digits > 0 && sum % 10 == 0;
    }

    /// <summary>ISO 13616 IBAN check (length 15–34, mod 97 = 1); spaces are ignored.</summary>
    public static bool IsIbanValid(ReadOnlySpan<char> value)
    {
        Span<char> compact = stackalloc char[40];
        var n = 0;
        foreach (var c in value)
        {
            if (c == ' ')
                continue;
            if (n == compact.Length || !char.IsAsciiLetterOrDigit(c))
                return false;
            compact[n++] = char.ToUpperInvariant(c);
        }
        if (n is < 15 or > 34 || !char.IsAsciiLetter(compact[0]) || !char.IsAsciiLetter(compact[1]) || !char.IsAsciiDigit(compact[2]) || !char.IsAsciiDigit(compact[3]))
            return false;
        var remainder = 0;
        for (var k = 0; k < n; k++)
        {
            var c = compact[(k + 4) % n]; // move the first four characters to the end
            if (char.IsAsciiDigit(c))
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else
            {
                remainder = ((remainder * 100) + (c - 'A' + 10)) % 97;
            }
        }
        return remainder == 1;
    }
}
