using System.Net.Http.Headers;
using LlmOps.Identity;
using LlmOps.Server;
using LlmOps.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.IntegrationTests.Server;

/// <summary>The real server on a free loopback port with a temp SQLite data directory, and a key per role.</summary>
public sealed class ServerUnderTest : IAsyncLifetime
{
    readonly Action<ServerOptions>? configure;

    public ServerUnderTest() { }

    /// <summary>A server with changed options (xunit fixtures need the one public constructor above).</summary>
    internal ServerUnderTest(Action<ServerOptions>? configure) => this.configure = configure;

    readonly string dataDir = Path.Combine(Path.GetTempPath(), "llmops-it", Guid.NewGuid().ToString("N"));

    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public string AdminKey { get; private set; } = "";
    public Dictionary<Role, string> Keys { get; } = [];
    public string SecondApproverKey { get; private set; } = "";
    public string ModelsReadOnlyDeveloperKey { get; private set; } = "";
    public string GatewayOnlyKey { get; private set; } = "";

    /// <summary>A fresh key, for tests that need their own limits or usage.</summary>
    public async Task<string> NewKeyAsync(string name, Role role = Role.Viewer, IReadOnlyList<string>? scopes = null)
    {
        var keys = new ApiKeyService(App.Services.GetRequiredService<IStore>(), Actor.LocalAdmin, TimeProvider.System);
        return (await keys.CreateAsync(new CreateApiKey(name, role, scopes))).Secret;
    }
    public string DataDir => dataDir;

    public async Task InitializeAsync()
    {
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            Storage = new StorageOptions { DataDir = dataDir },
            MaxRequestBodyBytes = 64 * 1024,
        };
        configure?.Invoke(options);
        App = LlmOpsServer.Build(options);
        var admin = await App.PrepareAsync() ?? throw new InvalidOperationException("a fresh data directory must get an admin key");
        AdminKey = admin.Secret;
        await App.StartAsync();
        BaseAddress = new Uri(App.Urls.First());

        var keys = new ApiKeyService(App.Services.GetRequiredService<IStore>(), admin.Key.ToActor(), TimeProvider.System);
        foreach (var role in Enum.GetValues<Role>())
            Keys[role] = (await keys.CreateAsync(new CreateApiKey($"{role} key", role))).Secret;
        SecondApproverKey = (await keys.CreateAsync(new CreateApiKey("second approver", Role.Approver))).Secret;
        ModelsReadOnlyDeveloperKey = (await keys.CreateAsync(new CreateApiKey("scoped", Role.Developer, ["models:read"]))).Secret;
        GatewayOnlyKey = (await keys.CreateAsync(new CreateApiKey("gateway only", Role.Viewer, ["gateway"]))).Secret;
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(dataDir, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}
