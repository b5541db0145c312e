-- 0001: the team database (docs/TEAM.md). Everything lives in the schema claude_metrics. Each
-- synced table holds the local table's figures under the same natural key, plus who last wrote
-- the row (replica_id, machine, developer), row_version (from one sequence, bumped by every
-- write: what a reader mirroring the team database asks for since its last look) and deleted_at
-- (a row deleted on its machine is marked, never removed: the writer role can only insert and
-- update, and a mirror learns of the deletion like any change). Times are timestamptz, read from
-- the local RFC 3339 text as SQLite reads it (naive text is UTC).
CREATE SCHEMA IF NOT EXISTS claude_metrics;

-- Each machine's database is a replica: `cursor` is the outbox sequence number of the last change
-- applied here, moved in the transaction that applies the rows up to it.
CREATE TABLE claude_metrics.replicas (
    replica_id uuid PRIMARY KEY,
    machine text NOT NULL,
    developer text NOT NULL,
    cursor bigint NOT NULL DEFAULT 0,
    rows_applied bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),    -- its first push
    last_push_at timestamptz,                         -- its last push that applied rows
    client_version text                               -- claude-metrics' version on that machine
);

CREATE SEQUENCE claude_metrics.row_versions;

CREATE TABLE claude_metrics.sessions (
    session_id text PRIMARY KEY,
    start_time timestamptz,
    end_time timestamptz,
    total_cost_usd double precision,
    total_duration_ms bigint,
    total_api_duration_ms bigint,
    lines_added bigint,
    lines_removed bigint,
    commits bigint,
    tool_calls bigint,
    cwd text,
    transcript_path text,
    end_reason text,
    cost_source text,
    input_tokens bigint,
    output_tokens bigint,
    cache_creation_tokens bigint,
    cache_read_tokens bigint,
    api_calls bigint,
    cost_complete smallint,
    models text,
    reported_cost_usd double precision,
    reported_lines_added bigint,
    reported_lines_removed bigint,
    reported_source text,
    reported_at timestamptz,
    git_branch text,
    replica_id uuid NOT NULL,
    machine text NOT NULL,
    developer text NOT NULL,
    row_version bigint NOT NULL DEFAULT nextval('claude_metrics.row_versions'),
    deleted_at timestamptz
);
CREATE INDEX sessions_start ON claude_metrics.sessions (start_time);
CREATE INDEX sessions_developer ON claude_metrics.sessions (developer, start_time);
CREATE INDEX sessions_row_version ON claude_metrics.sessions (row_version);

-- One row per API call: (session_id, call_key) is the call's natural key (call_key is
-- `message.id|requestId` as the transcript names it; 'row:<id>' for a call the old hook wrote).
CREATE TABLE claude_metrics.token_usage (
    session_id text NOT NULL,
    call_key text NOT NULL,
    "timestamp" timestamptz,
    model text,
    input_tokens bigint,
    output_tokens bigint,
    cache_creation_tokens bigint,
    cache_read_tokens bigint,
    message_id text,
    request_id text,
    cache_creation_1h_tokens bigint,
    cost_usd double precision,
    agent_id text,
    git_branch text,
    replica_id uuid NOT NULL,
    machine text NOT NULL,
    developer text NOT NULL,
    row_version bigint NOT NULL DEFAULT nextval('claude_metrics.row_versions'),
    deleted_at timestamptz,
    PRIMARY KEY (session_id, call_key)
);
CREATE INDEX token_usage_time ON claude_metrics.token_usage ("timestamp");
CREATE INDEX token_usage_developer ON claude_metrics.token_usage (developer, "timestamp");
CREATE INDEX token_usage_row_version ON claude_metrics.token_usage (row_version);

CREATE TABLE claude_metrics.session_models (
    session_id text NOT NULL,
    model text NOT NULL,
    api_calls bigint,
    unpriced_calls bigint,
    input_tokens bigint,
    output_tokens bigint,
    cache_creation_tokens bigint,
    cache_read_tokens bigint,
    cache_creation_1h_tokens bigint,
    cost_usd double precision,
    replica_id uuid NOT NULL,
    machine text NOT NULL,
    developer text NOT NULL,
    row_version bigint NOT NULL DEFAULT nextval('claude_metrics.row_versions'),
    deleted_at timestamptz,
    PRIMARY KEY (session_id, model)
);
CREATE INDEX session_models_row_version ON claude_metrics.session_models (row_version);

CREATE TABLE claude_metrics.tool_uses (
    session_id text NOT NULL,
    tool_use_id text NOT NULL,
    name text,
    used_at timestamptz,
    is_error smallint,
    agent_id text,
    replica_id uuid NOT NULL,
    machine text NOT NULL,
    developer text NOT NULL,
    row_version bigint NOT NULL DEFAULT nextval('claude_metrics.row_versions'),
    deleted_at timestamptz,
    PRIMARY KEY (session_id, tool_use_id)
);
CREATE INDEX tool_uses_time ON claude_metrics.tool_uses (used_at);
CREATE INDEX tool_uses_row_version ON claude_metrics.tool_uses (row_version);

CREATE TABLE claude_metrics.statusline_samples (
    session_id text NOT NULL,
    payload_id text NOT NULL,
    sampled_at timestamptz,
    model_id text,
    client_version text,
    total_cost_usd double precision,
    total_duration_ms bigint,
    total_api_duration_ms bigint,
    total_lines_added bigint,
    total_lines_removed bigint,
    context_window_size bigint,
    context_used_pct double precision,
    input_tokens bigint,
    output_tokens bigint,
    cache_creation_tokens bigint,
    cache_read_tokens bigint,
    five_hour_used_pct double precision,
    five_hour_resets_at timestamptz,
    seven_day_used_pct double precision,
    seven_day_resets_at timestamptz,
    cache_ttl text,
    cache_hit_ratio double precision,
    replica_id uuid NOT NULL,
    machine text NOT NULL,
    developer text NOT NULL,
    row_version bigint NOT NULL DEFAULT nextval('claude_metrics.row_versions'),
    deleted_at timestamptz,
    PRIMARY KEY (session_id, payload_id)
);
CREATE INDEX statusline_samples_time ON claude_metrics.statusline_samples (sampled_at);
CREATE INDEX statusline_samples_row_version ON claude_metrics.statusline_samples (row_version);
