namespace LlmOps.Storage.Sql;

/// <summary>One versioned schema change. Applied migrations are never edited: add a new one.</summary>
/// <param name="Version">Applied in ascending order; recorded in <c>schema_migrations</c>.</param>
/// <param name="Name">What it does, for people.</param>
/// <param name="Sql">Statements separated by semicolons at line ends, valid on both SQLite and PostgreSQL.</param>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>The schema's history. The DDL is written once for both providers: only portable types
/// (TEXT, INTEGER, BIGINT, DOUBLE PRECISION); times are Unix milliseconds, JSON is TEXT.</summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "registry, runs, keys, audit", """
            CREATE TABLE registered_models (
                name TEXT PRIMARY KEY,
                description TEXT,
                tags TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL
            );
            CREATE TABLE model_versions (
                model_name TEXT NOT NULL REFERENCES registered_models(name),
                version INTEGER NOT NULL,
                format TEXT NOT NULL,
                source_uri TEXT,
                base_model TEXT,
                base_version INTEGER,
                dataset_version TEXT,
                run_id TEXT,
                metrics TEXT NOT NULL,
                tags TEXT NOT NULL,
                model_card TEXT,
                approval_state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                PRIMARY KEY (model_name, version)
            );
            CREATE TABLE model_version_files (
                model_name TEXT NOT NULL,
                version INTEGER NOT NULL,
                name TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                PRIMARY KEY (model_name, version, name),
                FOREIGN KEY (model_name, version) REFERENCES model_versions(model_name, version)
            );
            CREATE INDEX ix_model_version_files_sha256 ON model_version_files(sha256);
            CREATE TABLE approval_events (
                id TEXT PRIMARY KEY,
                model_name TEXT NOT NULL,
                version INTEGER NOT NULL,
                action TEXT NOT NULL,
                actor_id TEXT NOT NULL,
                comment TEXT NOT NULL,
                evidence TEXT NOT NULL,
                at BIGINT NOT NULL,
                FOREIGN KEY (model_name, version) REFERENCES model_versions(model_name, version)
            );
            CREATE INDEX ix_approval_events_version ON approval_events(model_name, version, at);
            CREATE TABLE model_aliases (
                model_name TEXT NOT NULL REFERENCES registered_models(name),
                alias TEXT NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (model_name, alias),
                FOREIGN KEY (model_name, version) REFERENCES model_versions(model_name, version)
            );
            CREATE TABLE alias_moves (
                id TEXT PRIMARY KEY,
                model_name TEXT NOT NULL REFERENCES registered_models(name),
                alias TEXT NOT NULL,
                from_version INTEGER,
                to_version INTEGER,
                actor_id TEXT NOT NULL,
                at BIGINT NOT NULL
            );
            CREATE INDEX ix_alias_moves_model ON alias_moves(model_name, at);
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                experiment TEXT NOT NULL,
                name TEXT,
                status TEXT NOT NULL,
                parent_run_id TEXT REFERENCES runs(id),
                params TEXT NOT NULL,
                tags TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                ended_at BIGINT,
                created_by TEXT NOT NULL
            );
            CREATE INDEX ix_runs_experiment ON runs(experiment, started_at);
            CREATE TABLE run_metrics (
                run_id TEXT NOT NULL REFERENCES runs(id),
                name TEXT NOT NULL,
                step BIGINT NOT NULL,
                value DOUBLE PRECISION NOT NULL,
                at BIGINT NOT NULL
            );
            CREATE INDEX ix_run_metrics_series ON run_metrics(run_id, name, step);
            CREATE TABLE run_artifacts (
                run_id TEXT NOT NULL REFERENCES runs(id),
                name TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                PRIMARY KEY (run_id, name)
            );
            CREATE INDEX ix_run_artifacts_sha256 ON run_artifacts(sha256);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                scopes TEXT NOT NULL,
                salt TEXT NOT NULL,
                hash TEXT NOT NULL,
                iterations INTEGER NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                revoked_at BIGINT
            );
            CREATE TABLE audit_log (
                sequence BIGINT PRIMARY KEY,
                at BIGINT NOT NULL,
                actor_id TEXT NOT NULL,
                action TEXT NOT NULL,
                entity_type TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                before_json TEXT,
                after_json TEXT,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            );
            CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY,
                sequence BIGINT NOT NULL,
                hash TEXT NOT NULL
            );
            """),
        new(2, "deployment revisions", """
            CREATE TABLE deployment_revisions (
                environment TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                revision INTEGER NOT NULL,
                spec TEXT NOT NULL,
                action TEXT NOT NULL,
                restored_from INTEGER,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                PRIMARY KEY (environment, endpoint, revision)
            );
            """),
    ];
}
