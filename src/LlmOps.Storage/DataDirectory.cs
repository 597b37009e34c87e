namespace LlmOps.Storage;

/// <summary>The layout of a data directory: <c>llmops.db</c>, <c>artifacts/</c> and the first admin key.</summary>
public sealed class DataDirectory
{
    public const string EnvironmentVariable = "LLMOPS_HOME";
    public const string DefaultPath = ".llmops";

    public DataDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Root = Path.GetFullPath(path);
    }

    /// <summary>The path given by <c>--data-dir</c>, else <c>LLMOPS_HOME</c>, else <c>./.llmops</c>.</summary>
    public static DataDirectory Resolve(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return new(explicitPath);
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return new(string.IsNullOrEmpty(fromEnvironment) ? DefaultPath : fromEnvironment);
    }

    public string Root { get; }
    public string DatabasePath => Path.Combine(Root, "llmops.db");
    public string ArtifactsPath => Path.Combine(Root, "artifacts");
    public string AdminKeyPath => Path.Combine(Root, "admin.key");

    /// <summary>Creates the folder if needed.</summary>
    public DataDirectory Ensure()
    {
        Directory.CreateDirectory(Root);
        return this;
    }
}
