using LlmOps.Monitoring;
using System.ClientModel;
using LlmOps.Server.Gateway;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;

namespace LlmOps.IntegrationTests.Gateway;

/// <summary>A gateway whose keys may make three requests a minute.</summary>
public sealed class RequestLimitedGateway() : GatewayFixture(options => options.Gateway.Limits.RequestsPerMinute = 3);

/// <summary>A gateway whose keys may spend 40 tokens in all.</summary>
public sealed class BudgetLimitedGateway() : GatewayFixture(options => options.Gateway.Limits.TokenBudget = 40);

public sealed class RequestLimitTests(RequestLimitedGateway gateway) : IClassFixture<RequestLimitedGateway>
{
    [Fact]
    public async Task FourthRequestInAMinute_429WithRetryAfter_OtherKeysUnaffected()
    {
        var model = await gateway.DeployAsync("limited", GatewayFixture.Serve(gateway.Remote["echo"]));
        var key = await gateway.Server.NewKeyAsync("three a minute", scopes: ["gateway"]);
        var client = gateway.OpenAi(key).GetChatClient(model);
        for (var i = 0; i < 3; i++) await client.CompleteChatAsync([new UserChatMessage("hi")]);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, error.Status);
        var response = error.GetRawResponse()!;
        Assert.True(response.Headers.TryGetValue("Retry-After", out var retryAfter));
        Assert.InRange(int.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Contains("rate_limit_exceeded", response.Content.ToString(), StringComparison.Ordinal);

        var other = await gateway.Server.NewKeyAsync("another", scopes: ["gateway"]);
        await gateway.OpenAi(other).GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]);

        // Usage is counted per key: three admitted requests, the upstream's 5 prompt and 1 completion token each.
        using var admin = gateway.Server.Client(gateway.Server.AdminKey);
        var keyId = key.Split('_')[1];
        using var usage = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync($"/api/keys/{keyId}/usage"));
        Assert.Equal(3, usage.RootElement.GetProperty("requests").GetInt64());
        Assert.Equal(15, usage.RootElement.GetProperty("promptTokens").GetInt64());
        Assert.Equal(3, usage.RootElement.GetProperty("completionTokens").GetInt64());
    }
}

public sealed class BudgetLimitTests(BudgetLimitedGateway gateway) : IClassFixture<BudgetLimitedGateway>
{
    [Fact]
    public async Task TokenBudgetSpent_429TokenBudgetExhausted()
    {
        var model = await gateway.DeployAsync("budget", GatewayFixture.Serve(gateway.Tiny1));
        var key = await gateway.Server.NewKeyAsync("forty tokens", scopes: ["gateway"]);
        var client = gateway.OpenAi(key).GetChatClient(model);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4 };
        var used = 0;
        ClientResultException? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            try
            {
                used += (await client.CompleteChatAsync([new UserChatMessage("hello there")], options)).Value.Usage.TotalTokenCount;
            }
            catch (ClientResultException error)
            {
                refused = error;
            }
        }
        Assert.NotNull(refused);
        Assert.Equal(429, refused.Status);
        Assert.True(used >= 40, $"refused after {used} tokens");
        Assert.Contains("token_budget_exhausted", refused.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.True(refused.GetRawResponse()!.Headers.TryGetValue("Retry-After", out _));
    }
}

public sealed class KeyLimiterTests
{
    [Fact]
    public void TokensPerMinute_RefusedUntilTheWindowSlides()
    {
        var time = new FakeTimeProvider();
        var limiter = new KeyLimiter(new KeyLimits { TokensPerMinute = 100 }, time);
        limiter.Admit("k");
        limiter.Record("k", 60, 50);
        time.Advance(TimeSpan.FromSeconds(20));
        var error = Assert.Throws<RateLimitedException>(() => limiter.Admit("k"));
        Assert.Equal(TimeSpan.FromSeconds(40), error.RetryAfter);
        limiter.Admit("other");
        time.Advance(TimeSpan.FromSeconds(41));
        limiter.Admit("k");
        Assert.Equal(new KeyUsage("k", 2, 60, 50), limiter.Usage("k"));
    }

    [Fact]
    public void RequestsPerMinute_RetryAfterIsWhenTheOldestLeavesTheWindow()
    {
        var time = new FakeTimeProvider();
        var limiter = new KeyLimiter(new KeyLimits { RequestsPerMinute = 2 }, time);
        limiter.Admit("k");
        time.Advance(TimeSpan.FromSeconds(10));
        limiter.Admit("k");
        var error = Assert.Throws<RateLimitedException>(() => limiter.Admit("k"));
        Assert.Equal(TimeSpan.FromSeconds(50), error.RetryAfter);
        Assert.Equal("rate_limit_exceeded", error.Code);
    }

    [Fact]
    public async Task TokenBudget_CountsWhatTheStoreRecorded_OtherReplicasIncluded()
    {
        var time = new FakeTimeProvider();
        long stored = 30; // what the store says the key used (earlier runs, other replicas)
        var limiter = new KeyLimiter(new KeyLimits { TokenBudget = 40 }, time, (_, _) => Task.FromResult(stored));
        await limiter.AdmitAsync("k", CancellationToken.None);
        limiter.Record("k", 5, 4); // 39 of 40
        await limiter.AdmitAsync("k", CancellationToken.None);
        limiter.Record("k", 1, 0);
        Assert.Equal("token_budget_exhausted", (await Assert.ThrowsAsync<RateLimitedException>(() => limiter.AdmitAsync("k", CancellationToken.None).AsTask())).Code);

        var other = new KeyLimiter(new KeyLimits { TokenBudget = 40 }, time, (_, _) => Task.FromResult(stored));
        await other.AdmitAsync("k", CancellationToken.None); // a second replica: 30 stored, under the budget
        stored = 45; // the first replica's requests reached the store
        await other.AdmitAsync("k", CancellationToken.None); // not read again yet
        time.Advance(KeyLimiter.BudgetRefresh + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<RateLimitedException>(() => other.AdmitAsync("k", CancellationToken.None).AsTask());
    }
}
