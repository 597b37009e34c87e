using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmOps.Pipelines;

namespace LlmOps.Server.Pipelines.Steps;

/// <summary><c>notify</c>: POSTs a JSON message to a webhook. With <c>secret</c> (a value, or <c>env:NAME</c>) the body is
/// signed: <c>X-LlmOps-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>, as GitHub signs its webhooks.</summary>
public sealed class NotifyStep(IHttpClientFactory httpClients) : IPipelineStep
{
    public const string SignatureHeader = "X-LlmOps-Signature";

    public string Type => "notify";
    public bool Cacheable => false;

    public Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult("notify/1");

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var url = context.Input("url");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidInputException($"steps.{context.StepId}.with.url", $"'{url}' is not an http(s) URL.");
        var body = JsonSerializer.SerializeToUtf8Bytes(new { pipeline = context.Pipeline, run = context.RunId, step = context.StepId, message = context.OptionalInput("message") ?? "" });
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (ResolveSecret(context) is { } secret)
            request.Headers.Add(SignatureHeader, "sha256=" + Sign(body, secret));
        using var client = httpClients.CreateClient(nameof(NotifyStep));
        using var response = await client.SendAsync(request, cancellationToken);
        context.Log($"POST {uri} → {(int)response.StatusCode}");
        if (!response.IsSuccessStatusCode) throw new StepFailedException($"webhook {uri} answered {(int)response.StatusCode}.");
        return new StepOutcome(new Dictionary<string, string> { ["status"] = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Hex HMAC-SHA256 of <paramref name="body"/> under <paramref name="secret"/>.</summary>
    public static string Sign(byte[] body, string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    static string? ResolveSecret(StepContext context)
    {
        var secret = context.OptionalInput("secret");
        if (secret is null || !secret.StartsWith("env:", StringComparison.Ordinal)) return secret;
        return Environment.GetEnvironmentVariable(secret[4..])
            ?? throw new InvalidInputException($"steps.{context.StepId}.with.secret", $"environment variable {secret[4..]} is not set.");
    }
}
