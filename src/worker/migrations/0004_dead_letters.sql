-- 0004: a record of every payload the worker dead-lettered, so the pipeline's health can be
-- charted (Grafana) and queried beside the ledger. The files in spool/dead/ stay the truth for
-- what is still waiting for a person; a row whose id is also in `payloads` was retried and applied.
CREATE TABLE dead_letters (
    id TEXT PRIMARY KEY,               -- the spool file's id
    reason TEXT NOT NULL,
    received_at TEXT NOT NULL,         -- from the id, RFC 3339
    dead_lettered_at TEXT NOT NULL     -- RFC 3339; the last time, if it was dead-lettered again
) WITHOUT ROWID;
CREATE INDEX idx_dead_letters_at ON dead_letters(dead_lettered_at);
