-- 0010: the outbox that makes the push to a central PostgreSQL exactly-once (docs/TEAM.md).
-- Every write of a row the team database holds (sessions, token_usage, session_models,
-- tool_uses, statusline_samples) gives that row's key the next sequence number, by triggers, in
-- the transaction of the write itself, whoever makes it (the worker, the old Python hook, any
-- SQL). The outbox keeps one entry per key (its latest change), never deleted: a deleted row's
-- entry stays as its tombstone, so a push from any older cursor (a lost acknowledgement, a
-- central server restored from a backup) finds every row changed since, as it is now.
-- `seq` only grows: a new value is always the largest plus one, and no entry is ever removed.

-- This database's identity as a replica of the team database: made once, with the database
-- (a database deleted and rebuilt by `import` is a new replica; natural keys count it once).
CREATE TABLE sync_replica (
    replica_id TEXT NOT NULL,                -- a random UUID (version 4)
    created_at TEXT NOT NULL                 -- RFC 3339 UTC
);
INSERT INTO sync_replica (replica_id, created_at)
SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-'
       || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12),
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM (SELECT lower(hex(randomblob(16))) AS h);

CREATE TABLE sync_outbox (
    tbl TEXT NOT NULL,                       -- the local table
    session_id TEXT NOT NULL,                -- the row's key: its session...
    item TEXT NOT NULL,                      -- ...and the rest ('' for sessions; call_key, or 'row:<id>'
                                             -- for a call the old hook wrote; model; tool_use_id; payload_id)
    seq INTEGER NOT NULL UNIQUE,             -- the row's latest change, in commit order
    changed_at TEXT NOT NULL,                -- RFC 3339 UTC: when (for the push lag `status` shows)
    PRIMARY KEY (tbl, session_id, item)
) WITHOUT ROWID;

-- Every row already here is one change to push (a first push sends the whole history).
INSERT INTO sync_outbox (tbl, session_id, item, seq, changed_at)
SELECT tbl, session_id, item, row_number() OVER (ORDER BY tbl, session_id, item), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM (
    SELECT 'sessions' AS tbl, session_id, '' AS item FROM sessions
    UNION ALL SELECT 'token_usage', session_id, COALESCE(call_key, 'row:' || id) FROM token_usage
    UNION ALL SELECT 'session_models', session_id, model FROM session_models
    UNION ALL SELECT 'tool_uses', session_id, tool_use_id FROM tool_uses
    UNION ALL SELECT 'statusline_samples', session_id, payload_id FROM statusline_samples
);

-- One trigger per table and kind of write. An UPSERT, not INSERT OR REPLACE: a conflict clause
-- of the statement that fires a trigger (the worker's INSERT OR IGNORE) would override the
-- trigger's own, and an ignored entry would be a lost change. An update that moves a row to
-- another key (none of ours does) marks both keys.
CREATE TRIGGER sync_outbox_sessions_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO sync_outbox VALUES ('sessions', NEW.session_id, '', (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_sessions_update AFTER UPDATE ON sessions BEGIN
    INSERT INTO sync_outbox SELECT 'sessions', OLD.session_id, '', (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE OLD.session_id IS NOT NEW.session_id
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
    INSERT INTO sync_outbox VALUES ('sessions', NEW.session_id, '', (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_sessions_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO sync_outbox VALUES ('sessions', OLD.session_id, '', (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;

CREATE TRIGGER sync_outbox_token_usage_insert AFTER INSERT ON token_usage BEGIN
    INSERT INTO sync_outbox VALUES ('token_usage', NEW.session_id, COALESCE(NEW.call_key, 'row:' || NEW.id), (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_token_usage_update AFTER UPDATE ON token_usage BEGIN
    INSERT INTO sync_outbox SELECT 'token_usage', OLD.session_id, COALESCE(OLD.call_key, 'row:' || OLD.id), (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE OLD.session_id IS NOT NEW.session_id OR COALESCE(OLD.call_key, 'row:' || OLD.id) IS NOT COALESCE(NEW.call_key, 'row:' || NEW.id)
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
    INSERT INTO sync_outbox VALUES ('token_usage', NEW.session_id, COALESCE(NEW.call_key, 'row:' || NEW.id), (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_token_usage_delete AFTER DELETE ON token_usage BEGIN
    INSERT INTO sync_outbox VALUES ('token_usage', OLD.session_id, COALESCE(OLD.call_key, 'row:' || OLD.id), (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;

CREATE TRIGGER sync_outbox_session_models_insert AFTER INSERT ON session_models BEGIN
    INSERT INTO sync_outbox VALUES ('session_models', NEW.session_id, NEW.model, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_session_models_update AFTER UPDATE ON session_models BEGIN
    INSERT INTO sync_outbox SELECT 'session_models', OLD.session_id, OLD.model, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE OLD.session_id IS NOT NEW.session_id OR OLD.model IS NOT NEW.model
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
    INSERT INTO sync_outbox VALUES ('session_models', NEW.session_id, NEW.model, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_session_models_delete AFTER DELETE ON session_models BEGIN
    INSERT INTO sync_outbox VALUES ('session_models', OLD.session_id, OLD.model, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;

CREATE TRIGGER sync_outbox_tool_uses_insert AFTER INSERT ON tool_uses BEGIN
    INSERT INTO sync_outbox VALUES ('tool_uses', NEW.session_id, NEW.tool_use_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_tool_uses_update AFTER UPDATE ON tool_uses BEGIN
    INSERT INTO sync_outbox SELECT 'tool_uses', OLD.session_id, OLD.tool_use_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE OLD.session_id IS NOT NEW.session_id OR OLD.tool_use_id IS NOT NEW.tool_use_id
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
    INSERT INTO sync_outbox VALUES ('tool_uses', NEW.session_id, NEW.tool_use_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_tool_uses_delete AFTER DELETE ON tool_uses BEGIN
    INSERT INTO sync_outbox VALUES ('tool_uses', OLD.session_id, OLD.tool_use_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;

CREATE TRIGGER sync_outbox_statusline_samples_insert AFTER INSERT ON statusline_samples BEGIN
    INSERT INTO sync_outbox VALUES ('statusline_samples', NEW.session_id, NEW.payload_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_statusline_samples_update AFTER UPDATE ON statusline_samples BEGIN
    INSERT INTO sync_outbox SELECT 'statusline_samples', OLD.session_id, OLD.payload_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE OLD.session_id IS NOT NEW.session_id OR OLD.payload_id IS NOT NEW.payload_id
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
    INSERT INTO sync_outbox VALUES ('statusline_samples', NEW.session_id, NEW.payload_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER sync_outbox_statusline_samples_delete AFTER DELETE ON statusline_samples BEGIN
    INSERT INTO sync_outbox VALUES ('statusline_samples', OLD.session_id, OLD.payload_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_outbox), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (tbl, session_id, item) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
