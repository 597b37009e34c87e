using System.Net;
using System.Text;
using LlmOps.Identity;
using LlmOps.Server.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.IntegrationTests.Server;

/// <summary>Every /api route × every role: below the route's role → 403, at or above → neither 401 nor 403; no key → 401.</summary>
public sealed class RoutePermissionTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>
{
    sealed record Route(string Method, string Pattern, Permission? Permission);

    List<Route> ApiRoutes() =>
        server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => new Route(m, e.RoutePattern.RawText!, e.Metadata.GetMetadata<Permission>())))
            .ToList();

    static string Concrete(string pattern) => pattern
        .Replace("{name}", "no-such-model", StringComparison.Ordinal)
        .Replace("{version:int}", "1", StringComparison.Ordinal)
        .Replace("{environment}", "dev", StringComparison.Ordinal)
        .Replace("{endpoint}", "no-such-endpoint", StringComparison.Ordinal)
        .Replace("{sha256}", new string('0', 64), StringComparison.Ordinal)
        .Replace("{id}", "no-such-id", StringComparison.Ordinal);

    static HttpRequestMessage Request(Route route)
    {
        var url = Concrete(route.Pattern);
        if (url.Contains("resolve", StringComparison.Ordinal)) url += "?reference=no-such-model/1";
        if (url.EndsWith("/compare", StringComparison.Ordinal)) url += "?ids=a&ids=b";
        var request = new HttpRequestMessage(new HttpMethod(route.Method), url);
        if (route.Method is "POST" or "PUT")
        {
            request.Content = route.Pattern == "/api/artifacts/"
                ? new ByteArrayContent([1, 2, 3])
                : new StringContent("{}", Encoding.UTF8, "application/json");
        }
        return request;
    }

    [Fact]
    public void EveryApiRoute_DeclaresAPermission()
    {
        var routes = ApiRoutes();
        Assert.True(routes.Count >= 25, $"expected the full API, found {routes.Count} routes");
        Assert.All(routes, r => Assert.True(r.Permission is not null, $"{r.Method} {r.Pattern} has no RequirePermission"));
    }

    [Fact]
    public async Task EveryApiRoute_ForEveryRole_AllowsExactlyTheRolesAtOrAboveItsPermission()
    {
        var failures = new List<string>();
        foreach (var route in ApiRoutes())
        {
            using (var anonymous = server.Client(null))
            using (var request = Request(route))
            {
                var status = (await anonymous.SendAsync(request)).StatusCode;
                if (status != HttpStatusCode.Unauthorized) failures.Add($"{route.Method} {route.Pattern} without key: {(int)status}, expected 401");
            }
            foreach (var role in Enum.GetValues<Role>())
            {
                using var client = server.Client(server.Keys[role]);
                using var request = Request(route);
                var status = (await client.SendAsync(request)).StatusCode;
                var allowed = role >= route.Permission!.Role;
                if (allowed && status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    failures.Add($"{route.Method} {route.Pattern} as {role}: {(int)status}, expected access");
                if (!allowed && status != HttpStatusCode.Forbidden)
                    failures.Add($"{route.Method} {route.Pattern} as {role}: {(int)status}, expected 403");
                if (status == HttpStatusCode.InternalServerError)
                    failures.Add($"{route.Method} {route.Pattern} as {role}: 500");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task ScopedKey_OutsideItsScope_Forbidden()
    {
        using var client = server.Client(server.ModelsReadOnlyDeveloperKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/models")).StatusCode);
        var write = await client.PostAsync("/api/models", new StringContent("{\"name\":\"x\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Contains("models:write", await write.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/runs")).StatusCode);
    }

    [Fact]
    public async Task WrongKey_Unauthorized()
    {
        using var client = server.Client("llmops_abcdefghijkm_notthesecret");
        var response = await client.GetAsync("/api/models");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
