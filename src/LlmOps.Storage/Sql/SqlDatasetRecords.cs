using LlmOps.Datasets;
using LlmOps.Registry;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlDatasetRecords(SqlSession session) : IDatasetRecords
{
    const string Columns = "id, name, splits, sources, recipe, created_at, created_by";

    public async Task InsertAsync(DatasetVersion version, CancellationToken cancellationToken = default)
    {
        await session.ExecuteAsync($"INSERT INTO dataset_versions ({Columns}) VALUES (@Id, @Name, @Splits, @Sources, @Recipe, @CreatedAt, @CreatedBy)",
            new
            {
                version.Id, version.Name, Splits = Write(version.Splits), Sources = Write(version.Sources), Recipe = version.RecipeJson,
                CreatedAt = Millis(version.CreatedAt), version.CreatedBy,
            }, cancellationToken);
        foreach (var file in version.Files)
        {
            await session.ExecuteAsync("INSERT INTO dataset_files (dataset_id, name, sha256, size) VALUES (@Id, @Name, @Sha256, @Size)",
                new { version.Id, file.Name, file.Sha256, file.Size }, cancellationToken);
        }
    }

    public async Task<DatasetVersion?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await LoadAsync($"SELECT {Columns} FROM dataset_versions WHERE id = @id", new { id }, cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<DatasetVersion>> FindByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) =>
        LoadAsync($"SELECT {Columns} FROM dataset_versions WHERE id LIKE @pattern ORDER BY id LIMIT @limit", new { pattern = prefix + "%", limit }, cancellationToken);

    public Task<IReadOnlyList<DatasetVersion>> ListAsync(string? name, CancellationToken cancellationToken = default) =>
        LoadAsync($"SELECT {Columns} FROM dataset_versions WHERE (@name IS NULL OR name = @name) ORDER BY created_at DESC, id", new { name }, cancellationToken);

    public async Task<IReadOnlyList<string>> ListReferencedBlobsAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<string>("SELECT DISTINCT sha256 FROM dataset_files", null, cancellationToken)).ToList();

    async Task<IReadOnlyList<DatasetVersion>> LoadAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        var rows = (await session.QueryAsync<DatasetRow>(sql, parameters, cancellationToken)).ToList();
        var result = new List<DatasetVersion>(rows.Count);
        foreach (var row in rows)
        {
            var files = await session.QueryAsync<FileRow>("SELECT name, sha256, size FROM dataset_files WHERE dataset_id = @Id ORDER BY name", new { row.Id }, cancellationToken);
            result.Add(new DatasetVersion(row.Id, row.Name, files.Select(f => new ArtifactFile(f.Name, f.Sha256, f.Size)).ToList(),
                Read<List<DatasetSplit>>(row.Splits, []), Read<List<DatasetSource>>(row.Sources, []), row.Recipe, Time(row.CreatedAt), row.CreatedBy));
        }
        return result;
    }

    sealed class DatasetRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Splits { get; set; } = "[]";
        public string Sources { get; set; } = "[]";
        public string Recipe { get; set; } = "{}";
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";
    }

    sealed class FileRow
    {
        public string Name { get; set; } = "";
        public string Sha256 { get; set; } = "";
        public long Size { get; set; }
    }
}
