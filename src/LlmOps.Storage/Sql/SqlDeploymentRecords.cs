using LlmOps.Deployments;
using static LlmOps.Storage.Sql.JsonColumns;

namespace LlmOps.Storage.Sql;

internal sealed class SqlDeploymentRecords(SqlSession session) : IDeploymentRecords
{
    const string Columns = "environment, endpoint, revision, spec, action, restored_from, created_at, created_by";

    public Task InsertAsync(Deployment deployment, CancellationToken cancellationToken = default) =>
        session.ExecuteAsync($"""
            INSERT INTO deployment_revisions ({Columns})
            VALUES (@Environment, @Endpoint, @Revision, @Spec, @Action, @RestoredFrom, @CreatedAt, @CreatedBy)
            """,
            new
            {
                deployment.Environment, deployment.Endpoint, deployment.Revision, Spec = Write(deployment.Spec), deployment.Action,
                deployment.RestoredFrom, CreatedAt = Millis(deployment.CreatedAt), deployment.CreatedBy,
            }, cancellationToken);

    public async Task<Deployment?> GetLatestAsync(string environment, string endpoint, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<Row>($"""
            SELECT {Columns} FROM deployment_revisions WHERE environment = @environment AND endpoint = @endpoint ORDER BY revision DESC LIMIT 1
            """, new { environment, endpoint }, cancellationToken))?.ToDeployment();

    public async Task<Deployment?> GetAsync(string environment, string endpoint, int revision, CancellationToken cancellationToken = default) =>
        (await session.QuerySingleOrDefaultAsync<Row>($"""
            SELECT {Columns} FROM deployment_revisions WHERE environment = @environment AND endpoint = @endpoint AND revision = @revision
            """, new { environment, endpoint, revision }, cancellationToken))?.ToDeployment();

    public async Task<IReadOnlyList<Deployment>> ListRevisionsAsync(string environment, string endpoint, CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<Row>($"""
            SELECT {Columns} FROM deployment_revisions WHERE environment = @environment AND endpoint = @endpoint ORDER BY revision
            """, new { environment, endpoint }, cancellationToken)).Select(r => r.ToDeployment()).ToList();

    public async Task<IReadOnlyList<Deployment>> ListLatestAsync(CancellationToken cancellationToken = default) =>
        (await session.QueryAsync<Row>($"""
            SELECT {Columns} FROM deployment_revisions d
            WHERE revision = (SELECT MAX(revision) FROM deployment_revisions m WHERE m.environment = d.environment AND m.endpoint = d.endpoint)
            ORDER BY environment, endpoint
            """, null, cancellationToken)).Select(r => r.ToDeployment()).ToList();

    sealed class Row
    {
        public string Environment { get; set; } = "";
        public string Endpoint { get; set; } = "";
        public long Revision { get; set; }
        public string Spec { get; set; } = "{}";
        public string Action { get; set; } = "";
        public long? RestoredFrom { get; set; }
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";

        public Deployment ToDeployment() => new(Environment, Endpoint, (int)Revision,
            Read<DeploymentSpec>(Spec, null!) ?? throw new IntegrityException($"deployment {Endpoint}@{Environment}#{Revision} has no spec."),
            Action, (int?)RestoredFrom, Time(CreatedAt), CreatedBy);
    }
}
