-- 0002: the payload ledger (one row per applied spool file, so none applies twice) and the
-- session columns the hook events fill.
CREATE TABLE payloads (
    id TEXT PRIMARY KEY,          -- the spool file's id: <epoch ms>-<pid>-<hex>
    event TEXT NOT NULL,          -- hook_event_name, or 'legacy' for the older format without one
    session_id TEXT NOT NULL,
    received_at TEXT NOT NULL,    -- RFC 3339 UTC, from the id: when the hook ran
    applied_at TEXT NOT NULL      -- RFC 3339 UTC: when the worker applied it (its batch's transaction)
) WITHOUT ROWID;
CREATE INDEX idx_payloads_session ON payloads(session_id);

ALTER TABLE sessions ADD COLUMN cwd TEXT;
ALTER TABLE sessions ADD COLUMN transcript_path TEXT;
ALTER TABLE sessions ADD COLUMN end_reason TEXT;
-- Where the cost figures came from: 'reported' = an older-format payload's cost object.
ALTER TABLE sessions ADD COLUMN cost_source TEXT;

-- The baseline wrote datetime('now') ('2026-11-23 19:40:31', UTC). Same instant, in the
-- RFC 3339 text the rest of the table uses, so that times compare and sort as text.
UPDATE sessions SET start_time = COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', start_time), start_time)
    WHERE start_time IS NOT NULL AND start_time NOT LIKE '%Z';
UPDATE sessions SET end_time = COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', end_time), end_time)
    WHERE end_time IS NOT NULL AND end_time NOT LIKE '%Z';
UPDATE sessions SET cost_source = 'reported' WHERE cost_source IS NULL;
