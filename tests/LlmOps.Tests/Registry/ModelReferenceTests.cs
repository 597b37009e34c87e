using LlmOps.Registry;

namespace LlmOps.Tests.Registry;

public class ModelReferenceTests
{
    [Fact]
    public void Parse_NameSlashVersion_GivesVersion() => Assert.Equal(("tiny-chat", (int?)3, (string?)null), ModelReference.Parse("tiny-chat/3"));

    [Fact]
    public void Parse_NameAtAlias_GivesAlias() => Assert.Equal(("tiny-chat", (int?)null, (string?)"prod"), ModelReference.Parse("tiny-chat@prod"));

    [Theory]
    [InlineData("tiny")]
    [InlineData("tiny/0")]
    [InlineData("tiny/-1")]
    [InlineData("tiny/x")]
    [InlineData("tiny@staging")]
    public void Parse_Malformed_ThrowsNamingTheReference(string reference)
    {
        var error = Assert.Throws<InvalidInputException>(() => ModelReference.Parse(reference));
        Assert.Contains(reference, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-lead")]
    [InlineData("has space")]
    [InlineData("a/b")]
    public void ValidateName_BadNames_Rejected(string name) => Assert.Throws<InvalidInputException>(() => ModelRegistry.ValidateName(name));
}
