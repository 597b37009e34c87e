using LlmOps.Artifacts;

namespace LlmOps.Tests.Artifacts;

public class ArtifactNamesTests
{
    [Theory]
    [InlineData("model.gguf")]
    [InlineData("checkpoints/step-100/model.bin")]
    [InlineData("tokenizer/vocab.json")]
    public void Validate_PlainRelativeNames_Accepted(string name) => ArtifactNames.Validate(name);

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("./a")]
    [InlineData("a\\b")]
    [InlineData("C:x")]
    [InlineData("a\0b")]
    [InlineData("")]
    public void Validate_TraversalOrOddNames_Rejected(string name) =>
        Assert.Throws<InvalidInputException>(() => ArtifactNames.Validate(name));

    [Theory]
    [InlineData("ABCDEF0000000000000000000000000000000000000000000000000000000000")]
    [InlineData("abc")]
    [InlineData("../0000000000000000000000000000000000000000000000000000000000000")]
    public void ValidateSha256_NotLowerHex64_Rejected(string text) =>
        Assert.Throws<InvalidInputException>(() => ArtifactNames.ValidateSha256(text));
}
