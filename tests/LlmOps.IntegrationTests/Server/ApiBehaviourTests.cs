using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmOps.Identity;

namespace LlmOps.IntegrationTests.Server;

public sealed class ApiBehaviourTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>
{
    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Health_NoKey_Ok()
    {
        using var client = server.Client(null);
        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("sqlite", health.GetProperty("store").GetString());
    }

    [Fact]
    public async Task OpenApi_Document_ListsTheManagementApi()
    {
        using var client = server.Client(null);
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/models/{name}/versions/{version}/approve", out _));
        Assert.True(paths.TryGetProperty("/api/runs", out _));
    }

    [Fact]
    public async Task MalformedJson_400ProblemNamingThePosition()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var response = await client.PostAsync("/api/models", Json("{\n \"name\": \"ok\",\n \"tags\": [1,\n}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Contains("LineNumber: 2", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingRequiredField_400NamingTheField()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var response = await client.PostAsync("/api/models", Json("{\"description\":\"no name\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'name'", (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidName_400WithField()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var response = await client.PostAsync("/api/models", Json("{\"name\":\"../evil\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("name", (await ProblemAsync(response)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task OversizedJsonBody_413()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var huge = "{\"name\":\"big\",\"description\":\"" + new string('x', 200 * 1024) + "\"}";
        var response = await client.PostAsync("/api/models", Json(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task ArtifactUpload_LargerThanJsonLimit_AcceptedAndReadBackVerified()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var bytes = RandomNumberGenerator.GetBytes(512 * 1024);
        var put = await client.PutAsync("/api/artifacts", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var blob = await put.Content.ReadFromJsonAsync<JsonElement>();
        var sha = blob.GetProperty("sha256").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha);
        Assert.Equal(bytes, await client.GetByteArrayAsync($"/api/artifacts/{sha}"));
    }

    [Fact]
    public async Task ArtifactDownload_CorruptBlob_FailsInsteadOfServingBadBytes()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var bytes = RandomNumberGenerator.GetBytes(300 * 1024);
        var blob = await (await client.PutAsync("/api/artifacts", new ByteArrayContent(bytes))).Content.ReadFromJsonAsync<JsonElement>();
        var sha = blob.GetProperty("sha256").GetString()!;
        var path = Directory.EnumerateFiles(Path.Combine(server.DataDir, "artifacts"), sha, SearchOption.AllDirectories).Single();
        var corrupted = await File.ReadAllBytesAsync(path);
        corrupted[^1] ^= 0x01;
        await File.WriteAllBytesAsync(path, corrupted);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetByteArrayAsync($"/api/artifacts/{sha}"));
    }

    [Fact]
    public async Task UnknownModel_404Problem()
    {
        using var client = server.Client(server.Keys[Role.Viewer]);
        var response = await client.GetAsync("/api/models/ghost/versions/3");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("ghost/3", (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovalOverHttp_FourEyesThenSecondApproverThenProd()
    {
        using var developer = server.Client(server.Keys[Role.Developer]);
        using var approver = server.Client(server.Keys[Role.Approver]);
        using var second = server.Client(server.SecondApproverKey);
        var blob = await (await developer.PutAsync("/api/artifacts", new ByteArrayContent(Encoding.UTF8.GetBytes("http-model")))).Content.ReadFromJsonAsync<JsonElement>();
        var register = await developer.PostAsync("/api/models/http-model/versions", Json($$$"""
            {"format":"gguf","files":[{"name":"model.gguf","sha256":"{{{blob.GetProperty("sha256").GetString()}}}","size":0}],"metrics":{"accuracy":0.9}}
            """));
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);

        var early = await developer.PutAsync("/api/models/http-model/aliases/prod", Json("{\"version\":1}"));
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal("prod-requires-approval", (await ProblemAsync(early)).GetProperty("rule").GetString());

        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync("/api/models/http-model/versions/1/request-approval",
            Json("{\"comment\":\"eval attached\",\"evidence\":[{\"kind\":\"evaluation\",\"reference\":\"eval-1\"}]}"))).StatusCode);
        var self = await approver.PostAsync("/api/models/http-model/versions/1/approve", Json("{\"comment\":\"mine\"}"));
        Assert.Equal(HttpStatusCode.Conflict, self.StatusCode);
        Assert.Equal("four-eyes", (await ProblemAsync(self)).GetProperty("rule").GetString());

        Assert.Equal(HttpStatusCode.OK, (await second.PostAsync("/api/models/http-model/versions/1/approve", Json("{\"comment\":\"ok\"}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await developer.PutAsync("/api/models/http-model/aliases/prod", Json("{\"version\":1}"))).StatusCode);
        var resolved = await developer.GetFromJsonAsync<JsonElement>("/api/model-versions/resolve?reference=http-model@prod");
        Assert.Equal("Approved", resolved.GetProperty("approvalState").GetString());
    }

    [Fact]
    public async Task RunMetricsWithoutTime_StampedOnArrival()
    {
        using var client = server.Client(server.Keys[Role.Developer]);
        var run = await (await client.PostAsync("/api/runs", Json("{\"experiment\":\"http\"}"))).Content.ReadFromJsonAsync<JsonElement>();
        var id = run.GetProperty("id").GetString();
        var log = await client.PostAsync($"/api/runs/{id}/metrics", Json("[{\"name\":\"loss\",\"step\":1,\"value\":2.5}]"));
        Assert.Equal(HttpStatusCode.NoContent, log.StatusCode);
        var series = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/metrics/loss");
        var at = series[0].GetProperty("at").GetDateTimeOffset();
        Assert.True(at > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task UnknownRoute_404()
    {
        using var client = server.Client(server.Keys[Role.Admin]);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/nothing-here")).StatusCode);
    }
}
