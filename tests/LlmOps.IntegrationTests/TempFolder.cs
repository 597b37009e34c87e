namespace LlmOps.IntegrationTests;

/// <summary>A fresh folder under the system temp folder, deleted (best effort) on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string purpose) => Directory.CreateDirectory(Root = Path.Combine(Path.GetTempPath(), purpose, Guid.NewGuid().ToString("N")));

    public string Root { get; }

    /// <summary>A path inside the folder (not created).</summary>
    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>Writes a file (creating its folders) and returns its path.</summary>
    public string Write(string name, string content)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        // SQLite keeps pooled handles on files in the folder; release them first.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}
