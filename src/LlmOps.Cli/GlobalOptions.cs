using System.CommandLine;

namespace LlmOps.Cli;

/// <summary>Options every command takes: where the data is (a data directory or a server) and how to print.</summary>
public static class GlobalOptions
{
    public static Option<string?> DataDir { get; } = new("--data-dir")
    {
        Description = "Data directory (default: $LLMOPS_HOME, else ./.llmops).",
        Recursive = true,
    };

    public static Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = "PostgreSQL connection string instead of the embedded SQLite (default: $LLMOPS_POSTGRES).",
        Recursive = true,
    };

    public static Option<string?> Server { get; } = new("--server")
    {
        Description = "Talk to an LlmOps server at this URL instead of the data directory (default: $LLMOPS_SERVER).",
        Recursive = true,
    };

    public static Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "API key for --server, or to act as that key's principal on a data directory (default: $LLMOPS_API_KEY).",
        Recursive = true,
    };

    public static Option<bool> Json { get; } = new("--json")
    {
        Description = "Print machine-readable JSON instead of tables.",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [DataDir, Postgres, Server, ApiKey, Json];
}
