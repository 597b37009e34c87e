using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace LlmOps.DataPrep.Pii;

/// <summary>The kinds of personal or secret data the redactor replaces, each with its placeholder.</summary>
public enum PiiKind
{
    Secret,
    Email,
    Iban,
    CreditCard,
    Ip,
    Phone,
}

/// <summary>Settings of the <c>redact_pii</c> step.</summary>
public sealed class PiiRedactionOptions
{
    /// <summary>The kinds to redact; all by default.</summary>
    public IReadOnlySet<PiiKind> Kinds { get; init; } = Enum.GetValues<PiiKind>().ToHashSet();
}

/// <summary>The <c>redact_pii</c> step: replaces e-mails, phones, cards (Luhn), IPs, IBANs (checksum) and secrets with typed placeholders.</summary>
/// <remarks>
/// Kinds run in a fixed order, most specific first, so that a card number is not taken for a phone number and
/// the digits of an IP or a key are not seen again by later patterns.
/// </remarks>
public sealed partial class PiiRedaction(PiiRedactionOptions options) : IRecordStep
{
    public const string StepName = "redact_pii";

    private static readonly PiiKind[] Order = [PiiKind.Secret, PiiKind.Email, PiiKind.Iban, PiiKind.CreditCard, PiiKind.Ip, PiiKind.Phone];

    public string Name => StepName;

    public static string Placeholder(PiiKind kind) => kind switch
    {
        PiiKind.Secret => "<SECRET>",
        PiiKind.Email => "<EMAIL>",
        PiiKind.Iban => "<IBAN>",
        PiiKind.CreditCard => "<CREDIT_CARD>",
        PiiKind.Ip => "<IP>",
        _ => "<PHONE>",
    };

    /// <summary>The report's name for a kind (the placeholder without brackets).</summary>
    public static string KindName(PiiKind kind) => Placeholder(kind)[1..^1];

    public StepOutcome Apply(DataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var counts = new int[Order.Length];
        var redacted = record.MapText(text => Redact(text, counts));
        List<KeyValuePair<string, int>>? findings = null;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
                (findings ??= []).Add(new(KindName(Order[i]), counts[i]));
        }
        return StepOutcome.Keep(findings is null ? record : redacted, findings);
    }

    /// <summary>Redacts one string; adds the number found of each kind to <paramref name="counts"/> (indexed as the fixed order).</summary>
    public string Redact(string text, int[]? counts = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        counts ??= new int[Order.Length];
        var hasDigit = text.AsSpan().IndexOfAnyInRange('0', '9') >= 0;
        for (var i = 0; i < Order.Length; i++)
        {
            var kind = Order[i];
            if (!options.Kinds.Contains(kind))
                continue;
            var found = 0;
            text = kind switch
            {
                PiiKind.Secret => RedactSecrets(text, ref found),
                PiiKind.Email when text.Contains('@', StringComparison.Ordinal) => Replace(EmailRegex(), text, kind, null, ref found),
                PiiKind.Iban when hasDigit => Replace(IbanRegex(), text, kind, m => PiiChecksums.IsIbanValid(m), ref found),
                PiiKind.CreditCard when hasDigit => Replace(CardRegex(), text, kind, IsCard, ref found),
                PiiKind.Ip when hasDigit || text.Contains("::", StringComparison.Ordinal) => RedactIps(text, ref found),
                PiiKind.Phone when hasDigit => Replace(PhoneRegex(), text, kind, IsPhone, ref found),
                _ => text,
            };
            counts[i] += found;
        }
        return text;
    }

    // Every secret pattern starts with one of these literals; a vectorised search for them lets most texts skip the regex.
    private static readonly SearchValues<string> SecretAnchors = SearchValues.Create(
        ["-----BEGIN ", "eyJ", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA",
         "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-", "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "AIza"],
        StringComparison.Ordinal);

    private static string RedactSecrets(string text, ref int found)
    {
        if (text.AsSpan().IndexOfAny(SecretAnchors) >= 0)
            text = Replace(SecretRegex(), text, PiiKind.Secret, null, ref found);
        if (text.Contains('=', StringComparison.Ordinal) || text.Contains(':', StringComparison.Ordinal))
        {
            var n = 0;
            text = SecretAssignmentRegex().Replace(text, m =>
            {
                n++;
                var value = m.Groups["value"];
                return string.Concat(m.ValueSpan[..(value.Index - m.Index)], Placeholder(PiiKind.Secret));
            });
            found += n;
        }
        return text;
    }

    private static string RedactIps(string text, ref int found)
    {
        if (text.Contains('.', StringComparison.Ordinal))
            text = Replace(Ipv4Regex(), text, PiiKind.Ip, null, ref found);
        if (text.Contains(':', StringComparison.Ordinal))
            text = Replace(Ipv6CandidateRegex(), text, PiiKind.Ip, IsIpv6, ref found);
        return text;
    }

    private static string Replace(Regex regex, string text, PiiKind kind, Func<string, bool>? validate, ref int found)
    {
        var n = 0;
        var placeholder = Placeholder(kind);
        var result = regex.Replace(text, m =>
        {
            if (validate is not null && !validate(m.Value))
                return m.Value;
            n++;
            return placeholder;
        });
        found += n;
        return result;
    }

    private static bool IsCard(string candidate)
    {
        var digits = candidate.Count(char.IsAsciiDigit);
        return digits is >= 13 and <= 19 && PiiChecksums.IsLuhnValid(candidate);
    }

    private static bool IsPhone(string candidate)
    {
        if (DateRegex().IsMatch(candidate))
            return false;
        var digits = candidate.Count(char.IsAsciiDigit);
        var marked = candidate[0] is '+' or '(';
        return digits <= 15 && digits >= (marked ? 7 : 10);
    }

    // "a::b" parses as an address, but in prose it is code; real addresses have a group of 3+ hex digits.
    private static bool IsIpv6(string candidate) =>
        candidate.Count(c => c == ':') >= 2
        && candidate.Split(':').Any(g => g.Length >= 3)
        && IPAddress.TryParse(candidate, out var address)
        && address.AddressFamily == AddressFamily.InterNetworkV6;

    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b", Options)]
    private static partial Regex EmailRegex();

    [GeneratedRegex(@"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", Options)]
    private static partial Regex IbanRegex();

    [GeneratedRegex(@"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])", Options)]
    private static partial Regex CardRegex();

    [GeneratedRegex(@"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)", Options)]
    private static partial Regex Ipv4Regex();

    [GeneratedRegex(@"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])", Options)]
    private static partial Regex Ipv6CandidateRegex();

    [GeneratedRegex(@"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?!\w)", Options)]
    private static partial Regex PhoneRegex();

    [GeneratedRegex(@"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{4}$", Options)]
    private static partial Regex DateRegex();

    [GeneratedRegex(
        @"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----"
        + @"|\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"
        + @"|\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b"
        + @"|\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}\b"
        + @"|\bsk-[A-Za-z0-9_-]{20,}|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}\b",
        Options)]
    private static partial Regex SecretRegex();

    [GeneratedRegex(
        @"\b(?:api[_-]?key|secret[_-]?key|secret|access[_-]?token|auth[_-]?token|password|passwd|aws_secret_access_key)[""']?\s*[:=]\s*[""']?(?<value>[A-Za-z0-9/+_=.-]{12,})",
        Options | RegexOptions.IgnoreCase)]
    private static partial Regex SecretAssignmentRegex();
}
