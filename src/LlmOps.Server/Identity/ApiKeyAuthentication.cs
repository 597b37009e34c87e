using System.Security.Claims;
using System.Text.Encodings.Web;
using LlmOps.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmOps.Server.Identity;

/// <summary>Authenticates <c>Authorization: Bearer llmops_…</c> (as OpenAI clients send it) or <c>X-Api-Key</c>.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggerFactory, UrlEncoder encoder, ApiKeyAuthenticator authenticator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey(Request);
        if (presented is null) return AuthenticateResult.NoResult();
        var actor = await authenticator.AuthenticateAsync(presented, Context.RequestAborted);
        if (actor is null)
        {
            ApiKeySecrets.TryParse(presented, out var id, out _);
            Log.AuthenticationFailed(Logger, id.Length > 0 ? id : "(malformed)");
            return AuthenticateResult.Fail("The API key is unknown, revoked or malformed.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(ActorClaims.ToPrincipal(actor, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            PresentedKey(Request) is null
                ? "An API key is required: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'."
                : "The API key is unknown, revoked or malformed.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items.TryGetValue(PermissionHandler.DenialKey, out var value) ? value as string : null;
        return WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", reason ?? "This key may not use this endpoint.");
    }

    Task WriteProblemAsync(int status, string title, string detail)
    {
        if (Gateway.OpenAiErrors.IsGatewayPath(Request.Path))
        {
            if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
            return Gateway.OpenAiErrors.WriteAsync(Context, status == StatusCodes.Status401Unauthorized
                ? new(status, detail, "invalid_request_error", null, "invalid_api_key")
                : new(status, detail, "permission_error", null, "insufficient_permissions"));
        }
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
        return Response.WriteAsJsonAsync(new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = Request.Path },
            options: null, contentType: "application/problem+json");
    }

    internal static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization["Bearer ".Length..].Trim();
        var header = request.Headers["X-Api-Key"].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }
}

/// <summary>Maps an <see cref="Actor"/> to claims and back.</summary>
internal static class ActorClaims
{
    const string ScopeClaim = "scope";

    public static ClaimsPrincipal ToPrincipal(Actor actor, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, actor.Id),
            new(ClaimTypes.Name, actor.Name),
            new(ClaimTypes.Role, actor.Role.ToString()),
        };
        claims.AddRange(actor.Scopes.Select(s => new Claim(ScopeClaim, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    public static Actor? FromPrincipal(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true) return null;
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var role = principal.FindFirstValue(ClaimTypes.Role);
        if (id is null || !Enum.TryParse<Role>(role, out var parsed)) return null;
        return new Actor(id, principal.FindFirstValue(ClaimTypes.Name) ?? id, parsed, principal.FindAll(ScopeClaim).Select(c => c.Value).ToList());
    }
}
