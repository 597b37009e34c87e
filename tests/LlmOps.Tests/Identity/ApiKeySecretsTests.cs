using LlmOps.Identity;

namespace LlmOps.Tests.Identity;

public class ApiKeySecretsTests
{
    [Fact]
    public void Generate_ThenParse_GivesTheIdBack()
    {
        var (id, plaintext) = ApiKeySecrets.Generate();
        Assert.StartsWith("llmops_", plaintext, StringComparison.Ordinal);
        Assert.True(ApiKeySecrets.TryParse(plaintext, out var parsedId, out var secret));
        Assert.Equal(id, parsedId);
        Assert.True(secret.Length >= 40);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sk-1234")]
    [InlineData("llmops_")]
    [InlineData("llmops_abc")]
    [InlineData("llmops_abc_")]
    public void TryParse_NotOurFormat_ReturnsFalse(string? text) => Assert.False(ApiKeySecrets.TryParse(text, out _, out _));

    [Fact]
    public void Verify_RightAndWrongSecret_OnlyRightOneMatches()
    {
        var (_, plaintext) = ApiKeySecrets.Generate();
        var stored = ApiKeySecrets.Hash(plaintext);
        Assert.True(ApiKeySecrets.Verify(plaintext, stored));
        Assert.False(ApiKeySecrets.Verify(plaintext + "x", stored));
        Assert.DoesNotContain(plaintext, stored.Hash, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_SamePlaintextTwice_UsesDifferentSalts()
    {
        var a = ApiKeySecrets.Hash("llmops_abc_def");
        var b = ApiKeySecrets.Hash("llmops_abc_def");
        Assert.NotEqual(a.Salt, b.Salt);
        Assert.NotEqual(a.Hash, b.Hash);
    }
}

public class ApiScopesTests
{
    [Theory]
    [InlineData("*", "models", Access.Write, true)]
    [InlineData("models", "models", Access.Write, true)]
    [InlineData("models:write", "models", Access.Read, true)]
    [InlineData("models:read", "models", Access.Read, true)]
    [InlineData("models:read", "models", Access.Write, false)]
    [InlineData("runs", "models", Access.Read, false)]
    public void Admits_ScopeAndAccess_AsDocumented(string scope, string area, Access access, bool expected) =>
        Assert.Equal(expected, ApiScopes.Admits([scope], area, access));

    [Theory]
    [InlineData("model")]
    [InlineData("models:admin")]
    [InlineData("models:read:x")]
    public void Validate_UnknownScope_ThrowsNamingIt(string scope)
    {
        var error = Assert.Throws<InvalidInputException>(() => ApiScopes.Validate([scope]));
        Assert.Contains(scope, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gateway:chat@qa", "chat", "qa", true)]
    [InlineData("gateway:chat@qa", "chat", "prod", false)]
    [InlineData("gateway:chat@qa", "other", "qa", false)]
    [InlineData("gateway:*@dev", "anything", "dev", true)]
    [InlineData("gateway:chat@*", "chat", "prod", true)]
    [InlineData("gateway", "chat", "prod", true)]
    [InlineData("models", "chat", "prod", false)]
    public void AdmitsDeployment_Patterns_AsDocumented(string scope, string endpoint, string environment, bool expected)
    {
        ApiScopes.Validate([scope]);
        Assert.Equal(expected, ApiScopes.AdmitsDeployment([scope], endpoint, environment));
        if (scope.StartsWith("gateway", StringComparison.Ordinal)) Assert.True(ApiScopes.Admits([scope], "gateway", Access.Read));
    }

    [Theory]
    [InlineData("gateway:chat@staging")]
    [InlineData("gateway:@qa")]
    [InlineData("models:chat@qa")]
    public void Validate_BadDeploymentScope_Throws(string scope) =>
        Assert.Throws<InvalidInputException>(() => ApiScopes.Validate([scope]));

    [Fact]
    public void Demand_LowerRole_ThrowsPermissionDenied()
    {
        var viewer = new Actor("k1", "ci", Role.Viewer, ["*"]);
        Assert.Throws<PermissionDeniedException>(() => viewer.Demand(Role.Developer, "models", Access.Write));
        viewer.Demand(Role.Viewer, "models", Access.Read);
    }
}
