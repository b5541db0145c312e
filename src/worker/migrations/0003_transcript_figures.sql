-- 0003: figures derived from transcripts (docs/metrics-spec.md), one token_usage row per API
-- call, and the saved reading state that lets each Stop read only new transcript bytes.
ALTER TABLE sessions ADD COLUMN input_tokens INTEGER DEFAULT 0;
ALTER TABLE sessions ADD COLUMN output_tokens INTEGER DEFAULT 0;
ALTER TABLE sessions ADD COLUMN cache_creation_tokens INTEGER DEFAULT 0;
ALTER TABLE sessions ADD COLUMN cache_read_tokens INTEGER DEFAULT 0;
ALTER TABLE sessions ADD COLUMN api_calls INTEGER DEFAULT 0;
-- 1 when every call's model had a price; 0 when some call's cost is unknown (its tokens still count).
ALTER TABLE sessions ADD COLUMN cost_complete INTEGER;
-- JSON: model id → {api_calls, cost_usd, tokens…}.
ALTER TABLE sessions ADD COLUMN models TEXT;
-- The figures an older-format payload reported in its `cost` object, kept beside ours.
ALTER TABLE sessions ADD COLUMN reported_cost_usd REAL;
ALTER TABLE sessions ADD COLUMN reported_lines_added INTEGER;
ALTER TABLE sessions ADD COLUMN reported_lines_removed INTEGER;
UPDATE sessions SET reported_cost_usd = total_cost_usd, reported_lines_added = lines_added, reported_lines_removed = lines_removed
    WHERE cost_source = 'reported';

ALTER TABLE token_usage ADD COLUMN message_id TEXT;
ALTER TABLE token_usage ADD COLUMN request_id TEXT;
ALTER TABLE token_usage ADD COLUMN cache_creation_1h_tokens INTEGER DEFAULT 0;
ALTER TABLE token_usage ADD COLUMN cost_usd REAL;          -- NULL when the model has no known price
ALTER TABLE token_usage ADD COLUMN agent_id TEXT;          -- the subagent that made the call; NULL = main
-- The call's key in the transcript accumulator: message_id|request_id, or a fallback when a line has neither.
ALTER TABLE token_usage ADD COLUMN call_key TEXT;
CREATE UNIQUE INDEX idx_token_usage_call ON token_usage(session_id, message_id, request_id);
CREATE UNIQUE INDEX idx_token_usage_call_key ON token_usage(session_id, call_key);

CREATE TABLE transcript_reads (
    session_id TEXT PRIMARY KEY,
    -- JSON: per-file offsets and the accumulator without its calls (those are the token_usage rows).
    state TEXT NOT NULL,
    generation INTEGER NOT NULL,  -- bumped on every save: a worker's cached state is current while it matches
    updated_at TEXT NOT NULL
);

-- Per session and model running totals, kept by adding each call's change (so a Stop costs what
-- its new lines cost, not what the whole session does). cost_usd sums the priced calls only.
CREATE TABLE session_models (
    session_id TEXT NOT NULL,
    model TEXT NOT NULL,                 -- as written in the transcript; 'unknown' when a call names none
    api_calls INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,     -- calls of a model without a known price
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_creation_1h_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (session_id, model)
) WITHOUT ROWID;

-- Every tool_use id seen in a session's transcripts: tool_calls counts them once however often read.
CREATE TABLE tool_uses (
    session_id TEXT NOT NULL,
    tool_use_id TEXT NOT NULL,
    PRIMARY KEY (session_id, tool_use_id)
) WITHOUT ROWID;
