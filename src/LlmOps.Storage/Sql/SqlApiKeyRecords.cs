using LlmOps.Identity;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlApiKeyRecords(SqlSession session) : IApiKeyRecords
{
    const string Columns = "id, name, role, scopes, salt, hash, iterations, created_at, created_by, revoked_at";

    public Task InsertAsync(ApiKey key, ApiKeyHash hash, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync($"""
            INSERT INTO api_keys ({Columns}) VALUES (@Id, @Name, @Role, @Scopes, @Salt, @Hash, @Iterations, @CreatedAt, @CreatedBy, NULL)
            """,
            new
            {
                key.Id, key.Name, Role = key.Role.ToString(), Scopes = Write(key.Scopes), hash.Salt, hash.Hash, hash.Iterations,
                CreatedAt = Millis(key.CreatedAt), key.CreatedBy,
            }, cancellationToken);

    public async Task<(ApiKey Key, ApiKeyHash Hash)?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var row = await session.QuerySingleOrDefaultAsync<KeyRow>($"SELECT {Columns} FROM api_keys WHERE id = @id", new { id }, cancellationToken);
        return row is null ? null : (row.ToKey(), new ApiKeyHash(row.Salt, row.Hash, (int)row.Iterations));
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<KeyRow>($"SELECT {Columns} FROM api_keys ORDER BY created_at, id", null, cancellationToken)).Select(r => r.ToKey()).ToList();

    public Task RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("UPDATE api_keys SET revoked_at = @At WHERE id = @id", new { id, At = Millis(at) }, cancellationToken);

    public async Task<int> CountActiveAsync(CancellationToken cancellationToken = default) =>
        (int)await session.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL", null, cancellationToken);

    sealed class KeyRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public string Scopes { get; set; } = "[]";
        public string Salt { get; set; } = "";
        public string Hash { get; set; } = "";
        public long Iterations { get; set; }
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";
        public long? RevokedAt { get; set; }

        public ApiKey ToKey() => new(Id, Name, Enum.Parse<Role>(Role), Read<List<string>>(Scopes, []), Time(CreatedAt), CreatedBy, Time(RevokedAt));
    }
}
