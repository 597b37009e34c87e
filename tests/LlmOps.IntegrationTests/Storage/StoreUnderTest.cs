using System.Data.Common;
using Dapper;
using LlmOps.Artifacts;
using LlmOps.Audit;
using LlmOps.Datasets;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Storage;
using LlmOps.Storage.Artifacts;
using LlmOps.Storage.Postgres;
using LlmOps.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace LlmOps.IntegrationTests.Storage;

/// <summary>A migrated real store (SQLite file or PostgreSQL database) with a temp artifact folder, and the Core services over it.</summary>
public sealed class StoreUnderTest : IAsyncDisposable
{
    public static readonly Actor Developer = new("dev-1", "developer", Role.Developer, ["*"]);
    public static readonly Actor Approver1 = new("appr-1", "approver one", Role.Approver, ["*"]);
    public static readonly Actor Approver2 = new("appr-2", "approver two", Role.Approver, ["*"]);
    public static readonly Actor Viewer = new("view-1", "viewer", Role.Viewer, ["*"]);

    readonly string folder;
    readonly Func<DbConnection> rawConnection;
    readonly Func<Task> cleanup;

    StoreUnderTest(IStore store, string folder, Func<DbConnection> rawConnection, Func<Task> cleanup)
    {
        Store = store;
        this.folder = folder;
        this.rawConnection = rawConnection;
        this.cleanup = cleanup;
        Artifacts = new FileArtifactStore(Path.Combine(folder, "artifacts"), Time);
    }

    public IStore Store { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    public IArtifactStore Artifacts { get; }

    public static async Task<StoreUnderTest> SqliteAsync()
    {
        var folder = NewFolder();
        var path = Path.Combine(folder, "llmops.db");
        var store = new SqliteStore(path);
        await store.MigrateAsync();
        return new StoreUnderTest(store, folder, () => new SqliteConnection($"Data Source={path};Pooling=False"), () => Task.CompletedTask);
    }

    public static async Task<StoreUnderTest> PostgresAsync()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        var store = new PostgresStore(connectionString);
        await store.MigrateAsync();
        return new StoreUnderTest(store, NewFolder(), () => new NpgsqlConnection(connectionString), () => TestPostgres.DropDatabaseAsync(connectionString));
    }

    public ModelRegistry Registry(Actor actor) => new(Store, Artifacts, actor, Time);
    public RunTracker Runs(Actor actor) => new(Store, Artifacts, actor, Time);
    public DatasetRegistry Datasets(Actor actor) => new(Store, Artifacts, actor, Time);

    /// <summary>Prepares JSONL lines with the real preparer and uploads every output file, ready to register.</summary>
    public async Task<IReadOnlyList<ArtifactFile>> PrepareAsync(IEnumerable<string> texts)
    {
        // Same file name every time: sources are recorded by name, so equal content gives an equal manifest.
        var input = Path.Combine(folder, Guid.NewGuid().ToString("N"), "corpus.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(input)!);
        await File.WriteAllLinesAsync(input, texts.Select(t => System.Text.Json.JsonSerializer.Serialize(new { text = t })));
        var output = Path.Combine(folder, $"out-{Guid.NewGuid():N}");
        await new LlmOps.DataPrep.DatasetPreparer().PrepareAsync([input],
            LlmOps.DataPrep.Recipes.Recipe.Parse("steps:\n  - normalize\n  - dedupe_exact\nsplit: { train: 0.8, validation: 0.1, test: 0.1 }\n"), output);
        var files = new List<ArtifactFile>();
        foreach (var path in Directory.EnumerateFiles(output))
        {
            await using var stream = File.OpenRead(path);
            var blob = await Artifacts.PutAsync(stream);
            files.Add(new ArtifactFile(Path.GetFileName(path), blob.Sha256, blob.Size));
        }
        return files;
    }
    public ApiKeyService Keys(Actor actor) => new(Store, actor, Time);
    public AuditTrail Audit(Actor actor) => new(Store, actor);
    public DeploymentService Deployments(Actor actor) => new(Store, actor, Time);

    /// <summary>Runs SQL behind the store's back, as an attacker or a broken tool would.</summary>
    public async Task<int> ExecuteRawAsync(string sql, object? parameters = null)
    {
        await using var connection = rawConnection();
        await connection.OpenAsync();
        return await connection.ExecuteAsync(sql, parameters);
    }

    public async Task<T> ScalarRawAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = rawConnection();
        await connection.OpenAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>Uploads bytes and returns them as a version file.</summary>
    public async Task<ArtifactFile> FileAsync(string name, string content)
    {
        var blob = await Artifacts.PutAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)));
        return new ArtifactFile(name, blob.Sha256, blob.Size);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await cleanup();
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { /* best effort */ }
    }

    static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "llmops-it", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
