using LlmOps.Registry;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlModelRecords(SqlSession session) : IModelRecords
{
    const string ModelColumns = "name, description, tags, created_at, created_by";
    const string VersionColumns = "model_name, version, format, source_uri, base_model, base_version, dataset_version, run_id, metrics, tags, model_card, approval_state, created_at, created_by";

    public async Task<RegisteredModel?> GetModelAsync(string name, CancellationToken cancellationToken = default)
    {
        var row = await session.QuerySingleOrDefaultAsync<ModelRow>($"SELECT {ModelColumns} FROM registered_models WHERE name = @name", new { name }, cancellationToken);
        if (row is null) return null;
        var aliases = await session.QueryAsync<AliasRow>("SELECT model_name, alias, version FROM model_aliases WHERE model_name = @name", new { name }, cancellationToken);
        return row.ToModel(aliases);
    }

    public async Task<IReadOnlyList<RegisteredModel>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var rows = await session.QueryAsync<ModelRow>($"SELECT {ModelColumns} FROM registered_models ORDER BY name", null, cancellationToken);
        var aliases = (await session.QueryAsync<AliasRow>("SELECT model_name, alias, version FROM model_aliases", null, cancellationToken)).ToLookup(a => a.ModelName);
        return rows.Select(r => r.ToModel(aliases[r.Name])).ToList();
    }

    public Task InsertModelAsync(RegisteredModel model, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync($"INSERT INTO registered_models ({ModelColumns}) VALUES (@Name, @Description, @Tags, @CreatedAt, @CreatedBy)",
            new { model.Name, model.Description, Tags = Write(model.Tags), CreatedAt = Millis(model.CreatedAt), model.CreatedBy }, cancellationToken);

    public Task UpdateModelAsync(RegisteredModel model, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("UPDATE registered_models SET description = @Description, tags = @Tags WHERE name = @Name",
            new { model.Name, model.Description, Tags = Write(model.Tags) }, cancellationToken);

    public async Task<int> GetLatestVersionNumberAsync(string modelName, CancellationToken cancellationToken = default) =>
        (int)await session.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE model_name = @modelName", new { modelName }, cancellationToken);

    public async Task<ModelVersion?> GetVersionAsync(string modelName, int version, CancellationToken cancellationToken = default)
    {
        var row = await session.QuerySingleOrDefaultAsync<VersionRow>($"SELECT {VersionColumns} FROM model_versions WHERE model_name = @modelName AND version = @version",
            new { modelName, version }, cancellationToken);
        if (row is null) return null;
        var files = await session.QueryAsync<FileRow>("SELECT model_name, version, name, sha256, size FROM model_version_files WHERE model_name = @modelName AND version = @version ORDER BY name",
            new { modelName, version }, cancellationToken);
        return row.ToVersion(files);
    }

    public async Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string modelName, CancellationToken cancellationToken = default)
    {
        var rows = await session.QueryAsync<VersionRow>($"SELECT {VersionColumns} FROM model_versions WHERE model_name = @modelName ORDER BY version", new { modelName }, cancellationToken);
        var files = (await session.QueryAsync<FileRow>("SELECT model_name, version, name, sha256, size FROM model_version_files WHERE model_name = @modelName ORDER BY name",
            new { modelName }, cancellationToken)).ToLookup(f => f.Version);
        return rows.Select(r => r.ToVersion(files[r.Version])).ToList();
    }

    public async Task InsertVersionAsync(ModelVersion version, CancellationToken cancellationToken = default)
    {
        await session.ExecuteAsync($"""
            INSERT INTO model_versions ({VersionColumns})
            VALUES (@ModelName, @Version, @Format, @SourceUri, @BaseModel, @BaseVersion, @DatasetVersion, @RunId, @Metrics, @Tags, @ModelCard, @ApprovalState, @CreatedAt, @CreatedBy)
            """,
            new
            {
                version.ModelName, version.Version, version.Format, version.SourceUri,
                version.Lineage.BaseModel, version.Lineage.BaseVersion, version.Lineage.DatasetVersion, version.Lineage.RunId,
                Metrics = Write(version.Metrics), Tags = Write(version.Tags), version.ModelCard,
                ApprovalState = version.ApprovalState.ToString(), CreatedAt = Millis(version.CreatedAt), version.CreatedBy,
            }, cancellationToken);
        foreach (var file in version.Files)
        {
            await session.ExecuteAsync("INSERT INTO model_version_files (model_name, version, name, sha256, size) VALUES (@ModelName, @Version, @Name, @Sha256, @Size)",
                new { version.ModelName, version.Version, file.Name, file.Sha256, file.Size }, cancellationToken);
        }
    }

    public Task SetApprovalStateAsync(string modelName, int version, ApprovalState state, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("UPDATE model_versions SET approval_state = @State WHERE model_name = @modelName AND version = @version",
            new { modelName, version, State = state.ToString() }, cancellationToken);

    public Task InsertApprovalEventAsync(ApprovalEvent approvalEvent, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync("""
            INSERT INTO approval_events (id, model_name, version, action, actor_id, comment, evidence, at)
            VALUES (@Id, @ModelName, @Version, @Action, @ActorId, @Comment, @Evidence, @At)
            """,
            new
            {
                approvalEvent.Id, approvalEvent.ModelName, approvalEvent.Version, Action = approvalEvent.Action.ToString(), approvalEvent.ActorId,
                approvalEvent.Comment, Evidence = Write(approvalEvent.Evidence), At = Millis(approvalEvent.At),
            }, cancellationToken);

    public async Task<IReadOnlyList<ApprovalEvent>> ListApprovalEventsAsync(string modelName, int version, CancellationToken cancellationToken = default)
    {
        var rows = await session.QueryAsync<ApprovalRow>("""
            SELECT id, model_name, version, action, actor_id, comment, evidence, at FROM approval_events
            WHERE model_name = @modelName AND version = @version ORDER BY at, id
            """, new { modelName, version }, cancellationToken);
        return rows.Select(r => new ApprovalEvent(r.Id, r.ModelName, (int)r.Version, Enum.Parse<ApprovalAction>(r.Action), r.ActorId, r.Comment,
            Read<IReadOnlyList<Evidence>>(r.Evidence, []), Time(r.At))).ToList();
    }

    public async Task SetAliasAsync(AliasMove move, CancellationToken cancellationToken = default)
    {
        if (move.ToVersion is { } version)
        {
            await session.ExecuteAsync("""
                INSERT INTO model_aliases (model_name, alias, version) VALUES (@ModelName, @Alias, @Version)
                ON CONFLICT (model_name, alias) DO UPDATE SET version = excluded.version
                """, new { move.ModelName, move.Alias, Version = version }, cancellationToken);
        }
        else
        {
            await session.ExecuteAsync("DELETE FROM model_aliases WHERE model_name = @ModelName AND alias = @Alias", new { move.ModelName, move.Alias }, cancellationToken);
        }
        await session.ExecuteAsync("""
            INSERT INTO alias_moves (id, model_name, alias, from_version, to_version, actor_id, at)
            VALUES (@Id, @ModelName, @Alias, @FromVersion, @ToVersion, @ActorId, @At)
            """,
            new { Id = Guid.CreateVersion7().ToString("N"), move.ModelName, move.Alias, move.FromVersion, move.ToVersion, move.ActorId, At = Millis(move.At) },
            cancellationToken);
    }

    public async Task<IReadOnlyList<AliasMove>> ListAliasMovesAsync(string modelName, CancellationToken cancellationToken = default)
    {
        var rows = await session.QueryAsync<AliasMoveRow>("""
            SELECT model_name, alias, from_version, to_version, actor_id, at FROM alias_moves WHERE model_name = @modelName ORDER BY at, id
            """, new { modelName }, cancellationToken);
        return rows.Select(r => new AliasMove(r.ModelName, r.Alias, (int?)r.FromVersion, (int?)r.ToVersion, r.ActorId, Time(r.At))).ToList();
    }

    public async Task<IReadOnlyList<string>> ListReferencedBlobsAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<string>("SELECT DISTINCT sha256 FROM model_version_files", null, cancellationToken)).ToList();

    sealed class ModelRow
    {
        public string Name { get; set; } = "";
        public string? Description { get; set; }
        public string Tags { get; set; } = "{}";
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";

        public RegisteredModel ToModel(IEnumerable<AliasRow> aliases) => new(Name, Description,
            Read<Dictionary<string, string>>(Tags, []), Time(CreatedAt), CreatedBy,
            aliases.ToDictionary(a => a.Alias, a => (int)a.Version, StringComparer.Ordinal));
    }

    sealed class AliasRow
    {
        public string ModelName { get; set; } = "";
        public string Alias { get; set; } = "";
        public long Version { get; set; }
    }

    sealed class VersionRow
    {
        public string ModelName { get; set; } = "";
        public long Version { get; set; }
        public string Format { get; set; } = "";
        public string? SourceUri { get; set; }
        public string? BaseModel { get; set; }
        public long? BaseVersion { get; set; }
        public string? DatasetVersion { get; set; }
        public string? RunId { get; set; }
        public string Metrics { get; set; } = "{}";
        public string Tags { get; set; } = "{}";
        public string? ModelCard { get; set; }
        public string ApprovalState { get; set; } = "";
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";

        public ModelVersion ToVersion(IEnumerable<FileRow> files) => new(ModelName, (int)Version, Format,
            files.Select(f => new ArtifactFile(f.Name, f.Sha256, f.Size)).ToList(), SourceUri,
            new ModelLineage(BaseModel, (int?)BaseVersion, DatasetVersion, RunId),
            Read<Dictionary<string, double>>(Metrics, []), Read<Dictionary<string, string>>(Tags, []), ModelCard,
            Enum.Parse<ApprovalState>(ApprovalState), Time(CreatedAt), CreatedBy);
    }

    sealed class FileRow
    {
        public string ModelName { get; set; } = "";
        public long Version { get; set; }
        public string Name { get; set; } = "";
        public string Sha256 { get; set; } = "";
        public long Size { get; set; }
    }

    sealed class ApprovalRow
    {
        public string Id { get; set; } = "";
        public string ModelName { get; set; } = "";
        public long Version { get; set; }
        public string Action { get; set; } = "";
        public string ActorId { get; set; } = "";
        public string Comment { get; set; } = "";
        public string Evidence { get; set; } = "[]";
        public long At { get; set; }
    }

    sealed class AliasMoveRow
    {
        public string ModelName { get; set; } = "";
        public string Alias { get; set; } = "";
        public long? FromVersion { get; set; }
        public long? ToVersion { get; set; }
        public string ActorId { get; set; } = "";
        public long At { get; set; }
    }
}
