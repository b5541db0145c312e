-- 0005: Claude Code's status line snapshots (the stdin of the `statusLine` command, spooled as
-- `<id>-statusline` payloads). A row is kept only when a recorded value changed from the
-- session's previous sample (total_duration_ms aside: it is wall-clock time and grows on every
-- refresh), so an idle session with a 1 s refresh adds nothing. NULL = absent from the snapshot.
CREATE TABLE statusline_samples (
    session_id TEXT NOT NULL,
    sampled_at TEXT NOT NULL,              -- RFC 3339 UTC, from the payload id: when the status line ran
    payload_id TEXT NOT NULL UNIQUE,       -- the spool id (<ms>-<pid>-<hex>-statusline)
    model_id TEXT,                         -- model.id
    client_version TEXT,                   -- version (Claude Code's)
    total_cost_usd REAL,                   -- cost.*: Claude Code's own figures for the session
    total_duration_ms INTEGER,             -- as of the first snapshot with these values (not compared)
    total_api_duration_ms INTEGER,
    total_lines_added INTEGER,
    total_lines_removed INTEGER,
    context_window_size INTEGER,           -- context_window.context_window_size
    context_used_pct REAL,                 -- context_window.used_percentage
    input_tokens INTEGER,                  -- context_window.current_usage.*: the last call's tokens
    output_tokens INTEGER,
    cache_creation_tokens INTEGER,
    cache_read_tokens INTEGER,
    five_hour_used_pct REAL,               -- rate_limits.five_hour.used_percentage (Pro/Max plans)
    five_hour_resets_at TEXT,              -- rate_limits.five_hour.resets_at (Unix seconds) as RFC 3339
    seven_day_used_pct REAL,
    seven_day_resets_at TEXT,
    cache_ttl TEXT,                        -- prompt_cache.ttl ('5m', '1h')
    cache_hit_ratio REAL                   -- prompt_cache.hit_ratio
);
-- A session's previous (latest) sample; blocks and limits history by time.
CREATE INDEX idx_statusline_samples_session ON statusline_samples(session_id, sampled_at);
CREATE INDEX idx_statusline_samples_time ON statusline_samples(sampled_at);

-- Where the reported_* figures (and total_duration_ms, total_api_duration_ms) came from:
-- 'statusline' (a snapshot) or 'payload' (an older-format payload's cost object), and when
-- (the snapshot's or payload's time). A newer time always wins; an older one never overwrites.
ALTER TABLE sessions ADD COLUMN reported_source TEXT;
ALTER TABLE sessions ADD COLUMN reported_at TEXT;
UPDATE sessions SET reported_source = 'payload'
    WHERE reported_cost_usd IS NOT NULL OR reported_lines_added IS NOT NULL OR reported_lines_removed IS NOT NULL;
