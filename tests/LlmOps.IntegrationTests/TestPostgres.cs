using Npgsql;

namespace LlmOps.IntegrationTests;

/// <summary>The real PostgreSQL the tests run against, from <c>LLMOPS_TEST_POSTGRES</c> (a server-level connection string).
/// Outside CI a missing or unreachable server skips these tests with a message; in CI it fails them.</summary>
public static class TestPostgres
{
    public const string Variable = "LLMOPS_TEST_POSTGRES";

    static readonly Lazy<Task<string?>> Unavailable = new(ProbeAsync);

    /// <summary>Creates an empty database for one test and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var reason = await Unavailable.Value;
        if (reason is not null)
        {
            if (IsCi) throw new InvalidOperationException($"PostgreSQL is required in CI: {reason}");
            Skip.If(true, $"PostgreSQL not available ({reason}); set {Variable} to run the PostgreSQL half of the suite.");
        }
        var name = $"llmops_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = true }.ToString();
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    static string ServerConnectionString => Environment.GetEnvironmentVariable(Variable) ?? "";

    static async Task<string?> ProbeAsync()
    {
        if (string.IsNullOrEmpty(ServerConnectionString)) return $"{Variable} is not set";
        try
        {
            await using var connection = new NpgsqlConnection(ServerConnectionString);
            await connection.OpenAsync();
            return null;
        }
        catch (NpgsqlException exception)
        {
            return exception.Message;
        }
        catch (System.Net.Sockets.SocketException exception)
        {
            return exception.Message;
        }
    }
}
