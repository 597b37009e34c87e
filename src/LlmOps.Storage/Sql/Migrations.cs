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
        new(2, "dataset versions", """
            CREATE TABLE dataset_versions (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                splits TEXT NOT NULL,
                sources TEXT NOT NULL,
                recipe TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL
            );
            CREATE INDEX ix_dataset_versions_name ON dataset_versions(name, created_at);
            CREATE TABLE dataset_files (
                dataset_id TEXT NOT NULL REFERENCES dataset_versions(id),
                name TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                PRIMARY KEY (dataset_id, name)
            );
            CREATE INDEX ix_dataset_files_sha256 ON dataset_files(sha256);
            """),
        new(3, "pipeline runs", """
            CREATE TABLE pipeline_runs (
                id TEXT PRIMARY KEY,
                pipeline TEXT NOT NULL,
                definition_yaml TEXT NOT NULL,
                params TEXT NOT NULL,
                status TEXT NOT NULL,
                actor TEXT NOT NULL,
                trigger_kind TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                ended_at BIGINT,
                error TEXT
            );
            CREATE INDEX ix_pipeline_runs_pipeline ON pipeline_runs(pipeline, created_at);
            CREATE TABLE step_runs (
                run_id TEXT NOT NULL REFERENCES pipeline_runs(id),
                step_id TEXT NOT NULL,
                status TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                cache_key TEXT,
                outputs TEXT NOT NULL,
                error TEXT,
                started_at BIGINT,
                ended_at BIGINT,
                heartbeat_at BIGINT,
                PRIMARY KEY (run_id, step_id)
            );
            CREATE INDEX ix_step_runs_cache ON step_runs(cache_key, status);
            CREATE TABLE step_logs (
                run_id TEXT NOT NULL REFERENCES pipeline_runs(id),
                step_id TEXT NOT NULL,
                sequence BIGINT NOT NULL,
                at BIGINT NOT NULL,
                line TEXT NOT NULL,
                PRIMARY KEY (run_id, sequence)
            );
            """),
        new(4, "registered pipelines, event cursors, webhooks", """
            CREATE TABLE pipelines (
                name TEXT PRIMARY KEY,
                yaml TEXT NOT NULL,
                actor TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE TABLE event_cursors (
                name TEXT PRIMARY KEY,
                sequence BIGINT NOT NULL
            );
            CREATE TABLE webhooks (
                id TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                secret TEXT NOT NULL,
                events TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL
            );
            """),
        new(5, "evaluation runs and case results", """
            CREATE TABLE eval_runs (
                id TEXT PRIMARY KEY,
                suite TEXT NOT NULL,
                suite_sha256 TEXT NOT NULL,
                candidate TEXT NOT NULL,
                candidate_version TEXT NOT NULL,
                baseline TEXT,
                baseline_version TEXT,
                gate_passed INTEGER NOT NULL,
                cases INTEGER NOT NULL,
                passed INTEGER NOT NULL,
                summary TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                seconds DOUBLE PRECISION NOT NULL,
                created_by TEXT NOT NULL
            );
            CREATE INDEX ix_eval_runs_started ON eval_runs(started_at);
            CREATE TABLE eval_case_results (
                run_id TEXT NOT NULL REFERENCES eval_runs(id),
                role TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                prompt_id TEXT NOT NULL,
                test_index INTEGER NOT NULL,
                test_name TEXT NOT NULL,
                repeat_index INTEGER NOT NULL,
                passed INTEGER NOT NULL,
                score DOUBLE PRECISION NOT NULL,
                output TEXT,
                error TEXT,
                latency_ms DOUBLE PRECISION NOT NULL,
                assertions TEXT NOT NULL,
                PRIMARY KEY (run_id, role, ordinal)
            );
            """),
        new(6, "deployment revisions", """
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
        new(7, "traces, feedback, scores, prices, alerts", """
            CREATE TABLE traces (
                id TEXT NOT NULL,
                shadow INTEGER NOT NULL,
                source TEXT NOT NULL,
                at BIGINT NOT NULL,
                deployment TEXT NOT NULL,
                revision INTEGER NOT NULL,
                version TEXT NOT NULL,
                key_id TEXT NOT NULL,
                route TEXT NOT NULL,
                status TEXT NOT NULL,
                error TEXT,
                fallback_from TEXT,
                queue_ms DOUBLE PRECISION,
                ttft_ms DOUBLE PRECISION,
                total_ms DOUBLE PRECISION NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                cost DOUBLE PRECISION,
                trace_id TEXT,
                span_id TEXT,
                parent_span_id TEXT,
                operation TEXT,
                service TEXT,
                prompt TEXT,
                completion TEXT,
                attributes TEXT,
                PRIMARY KEY (id, shadow)
            );
            CREATE INDEX ix_traces_at ON traces(at);
            CREATE INDEX ix_traces_deployment_at ON traces(deployment, at);
            CREATE INDEX ix_traces_version_at ON traces(version, at);
            CREATE INDEX ix_traces_key_at ON traces(key_id, at);
            CREATE INDEX ix_traces_trace_id ON traces(trace_id);
            CREATE TABLE trace_feedback (
                id TEXT PRIMARY KEY,
                trace_id TEXT NOT NULL,
                deployment TEXT NOT NULL,
                version TEXT NOT NULL,
                score DOUBLE PRECISION,
                label TEXT,
                comment TEXT,
                source TEXT NOT NULL,
                created_by TEXT NOT NULL,
                at BIGINT NOT NULL
            );
            CREATE INDEX ix_trace_feedback_trace ON trace_feedback(trace_id);
            CREATE INDEX ix_trace_feedback_at ON trace_feedback(at);
            CREATE TABLE trace_scores (
                trace_id TEXT NOT NULL,
                name TEXT NOT NULL,
                score DOUBLE PRECISION NOT NULL,
                passed INTEGER NOT NULL,
                reason TEXT,
                deployment TEXT NOT NULL,
                version TEXT NOT NULL,
                at BIGINT NOT NULL,
                PRIMARY KEY (trace_id, name)
            );
            CREATE INDEX ix_trace_scores_at ON trace_scores(at);
            CREATE TABLE model_prices (
                model TEXT PRIMARY KEY,
                input_per_1k DOUBLE PRECISION,
                output_per_1k DOUBLE PRECISION,
                per_hour DOUBLE PRECISION,
                updated_at BIGINT NOT NULL,
                updated_by TEXT NOT NULL
            );
            CREATE TABLE alert_rules (
                name TEXT PRIMARY KEY,
                spec TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL
            );
            CREATE TABLE alert_states (
                name TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                value DOUBLE PRECISION,
                since BIGINT NOT NULL,
                evaluated_at BIGINT NOT NULL,
                message TEXT
            );
            CREATE TABLE alert_events (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                from_state TEXT NOT NULL,
                to_state TEXT NOT NULL,
                value DOUBLE PRECISION,
                message TEXT,
                at BIGINT NOT NULL
            );
            CREATE INDEX ix_alert_events_name_at ON alert_events(name, at);
            """),
        new(8, "rendered prompts of evaluation cases (drift references)", """
            ALTER TABLE eval_case_results ADD COLUMN prompt TEXT;
            """),
        new(9, "gateway usage per key", """
            CREATE TABLE key_usage (
                key_id TEXT PRIMARY KEY,
                requests BIGINT NOT NULL,
                prompt_tokens BIGINT NOT NULL,
                completion_tokens BIGINT NOT NULL,
                cost DOUBLE PRECISION NOT NULL,
                updated_at BIGINT NOT NULL
            );
            """),
    ];
}
