using LlmOps.DataPrep;
using LlmOps.DataPrep.Pii;

namespace LlmOps.Tests.DataPrep.Pii;

public class PiiRedactionTests
{
    private static readonly PiiRedaction Redaction = new(new PiiRedactionOptions());

    [Theory]
    [InlineData("mail jane.doe+tag@example.co.uk today", "mail <EMAIL> today")]
    [InlineData("call +1 (555) 123-4567 now", "call <PHONE> now")]
    [InlineData("call 555-123-4567 now", "call <PHONE> now")]
    [InlineData("card 4111 1111 1111 1111 ok", "card <CREDIT_CARD> ok")]
    [InlineData("card 4111-1111-1111-1111.", "card <CREDIT_CARD>.")]
    [InlineData("host 192.168.1.20.", "host <IP>.")]
    [InlineData("v6 2001:db8::8a2e:370:7334 here", "v6 <IP> here")]
    [InlineData("v6 fe80::1 here", "v6 <IP> here")]
    [InlineData("iban DE89 3704 0044 0532 0130 00 ok", "iban <IBAN> ok")]
    [InlineData("iban GB82WEST12345698765432 ok", "iban <IBAN> ok")]
    [InlineData("key AKIAIOSFODNN7EXAMPLE ok", "key <SECRET> ok")]
    [InlineData("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = <SECRET>")]
    [InlineData("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", "jwt <SECRET> end")]
    [InlineData("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 end", "token <SECRET> end")]
    [InlineData("a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nb", "a\n<SECRET>\nb")]
    public void Redact_TruePositive_ReplacedByTypedPlaceholder(string input, string expected)
    {
        Assert.Equal(expected, Redaction.Redact(input));
    }

    [Theory]
    [InlineData("card 4111 1111 1111 1112 fails Luhn")]
    [InlineData("order 1234567890123 shipped")]
    [InlineData("iban DE89 3704 0044 0532 0130 01 bad checksum")]
    [InlineData("version 1.2.3 released on 2024-01-15")]
    [InlineData("at 12:30:45 the build took 300.5 s")]
    [InlineData("C++ std::vector<int> and a::b")]
    [InlineData("ip 999.1.1.1 is not an address")]
    [InlineData("we sold 1 000 units")]
    [InlineData("email me at jane at example dot com")]
    public void Redact_TrueNegative_LeftAlone(string input)
    {
        Assert.Equal(input, Redaction.Redact(input));
    }

    [Fact]
    public void Apply_RecordWithPii_CountsFindingsByType()
    {
        var record = DataRecord.FromPromptCompletion("mail a@b.io or c@d.io", "call +44 20 7946 0958");

        var outcome = Redaction.Apply(record);

        Assert.Equal("mail <EMAIL> or <EMAIL>", outcome.Record!.Prompt);
        Assert.Equal("call <PHONE>", outcome.Record.Completion);
        Assert.Equal([new("EMAIL", 2), new("PHONE", 1)], outcome.Findings!);
    }

    [Fact]
    public void Redact_KindsRestricted_OnlyThoseKinds()
    {
        var emailsOnly = new PiiRedaction(new PiiRedactionOptions { Kinds = new HashSet<PiiKind> { PiiKind.Email } });
        Assert.Equal("<EMAIL> 192.168.0.1", emailsOnly.Redact("x@y.org 192.168.0.1"));
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("79927398713", true)]
    public void IsLuhnValid_KnownNumbers(string number, bool valid)
    {
        Assert.Equal(valid, PiiChecksums.IsLuhnValid(number));
    }

    [Theory]
    [InlineData("DE89370400440532013000", true)]
    [InlineData("GB82 WEST 1234 5698 7654 32", true)]
    [InlineData("GB82 WEST 1234 5698 7654 33", false)]
    [InlineData("DE8937040044", false)]
    public void IsIbanValid_KnownIbans(string iban, bool valid)
    {
        Assert.Equal(valid, PiiChecksums.IsIbanValid(iban));
    }
}
