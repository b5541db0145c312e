-- 0009: rollups of token_usage for reports that answer from a few thousand rows instead of every
-- API call (docs/REPORTS.md, "Speed"): usage_hours per UTC hour, session and model, usage_days per
-- UTC day and model. Invariant (docs/ARCHITECTURE.md, 20): each row holds exactly what summing
-- token_usage gives for its calls (those with an RFC 3339 time, 'YYYY-MM-DDTHH…', that SQLite can
-- read, as the blocks have always required; model NULL counted as 'unknown'): the call count, the calls without a price, the four token
-- counts, the cost of the priced calls; a key with no call has no row. Triggers on token_usage
-- keep both in the transaction of every write (the worker's, the old Python hook's, anyone's), so
-- no writer has to remember them; the backfill below fills them from the calls already there.
-- `hour` counts whole hours since 1970-01-01T00:00Z (unixepoch / 3600), `day` whole days (/ 86400).
CREATE TABLE usage_hours (
    hour INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    model TEXT NOT NULL,
    api_calls INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (hour, session_id, model)
) WITHOUT ROWID;
-- A session's hours; and the distinct sessions of a range in one pass over a narrow index.
CREATE INDEX usage_hours_session ON usage_hours(session_id, hour);

CREATE TABLE usage_days (
    day INTEGER NOT NULL,
    model TEXT NOT NULL,
    api_calls INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (day, model)
) WITHOUT ROWID;

-- The sessions without calls (written by the old hook), which the reports count at their start:
-- found without reading every session.
CREATE INDEX sessions_without_calls ON sessions(session_id) WHERE COALESCE(api_calls, 0) = 0;

INSERT INTO usage_hours
SELECT unixepoch(timestamp) / 3600, session_id, COALESCE(model, 'unknown'), count(*), count(*) - count(cost_usd),
       sum(COALESCE(input_tokens, 0)), sum(COALESCE(output_tokens, 0)), sum(COALESCE(cache_creation_tokens, 0)),
       sum(COALESCE(cache_read_tokens, 0)), COALESCE(sum(cost_usd), 0)
FROM token_usage WHERE typeof(timestamp) = 'text' AND substr(timestamp, 11, 1) = 'T' AND unixepoch(timestamp) IS NOT NULL
GROUP BY 1, 2, 3;

INSERT INTO usage_days
SELECT hour / 24, model, sum(api_calls), sum(unpriced_calls), sum(input_tokens), sum(output_tokens),
       sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd)
FROM usage_hours GROUP BY 1, 2;

-- A call in: add it to its hour and day. A call out: take it away, and drop a row left with no
-- call. An update of a summed column is the old call out, then the new one in.
CREATE TRIGGER usage_rollups_insert AFTER INSERT ON token_usage
WHEN typeof(NEW.timestamp) = 'text' AND substr(NEW.timestamp, 11, 1) = 'T' AND unixepoch(NEW.timestamp) IS NOT NULL
BEGIN
    INSERT INTO usage_hours VALUES (
        unixepoch(NEW.timestamp) / 3600, NEW.session_id, COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL,
        COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0),
        COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (hour, session_id, model) DO UPDATE SET
        api_calls = api_calls + 1, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO usage_days VALUES (
        unixepoch(NEW.timestamp) / 86400, COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL,
        COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0),
        COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (day, model) DO UPDATE SET
        api_calls = api_calls + 1, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
END;

CREATE TRIGGER usage_rollups_delete AFTER DELETE ON token_usage
WHEN typeof(OLD.timestamp) = 'text' AND substr(OLD.timestamp, 11, 1) = 'T' AND unixepoch(OLD.timestamp) IS NOT NULL
BEGIN
    UPDATE usage_hours SET
        api_calls = api_calls - 1, unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL),
        input_tokens = input_tokens - COALESCE(OLD.input_tokens, 0), output_tokens = output_tokens - COALESCE(OLD.output_tokens, 0),
        cache_creation_tokens = cache_creation_tokens - COALESCE(OLD.cache_creation_tokens, 0),
        cache_read_tokens = cache_read_tokens - COALESCE(OLD.cache_read_tokens, 0), cost_usd = cost_usd - COALESCE(OLD.cost_usd, 0)
    WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM usage_hours WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
    UPDATE usage_days SET
        api_calls = api_calls - 1, unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL),
        input_tokens = input_tokens - COALESCE(OLD.input_tokens, 0), output_tokens = output_tokens - COALESCE(OLD.output_tokens, 0),
        cache_creation_tokens = cache_creation_tokens - COALESCE(OLD.cache_creation_tokens, 0),
        cache_read_tokens = cache_read_tokens - COALESCE(OLD.cache_read_tokens, 0), cost_usd = cost_usd - COALESCE(OLD.cost_usd, 0)
    WHERE day = unixepoch(OLD.timestamp) / 86400 AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM usage_days WHERE day = unixepoch(OLD.timestamp) / 86400 AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
END;

CREATE TRIGGER usage_rollups_update_out AFTER UPDATE OF timestamp, session_id, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd ON token_usage
WHEN typeof(OLD.timestamp) = 'text' AND substr(OLD.timestamp, 11, 1) = 'T' AND unixepoch(OLD.timestamp) IS NOT NULL
BEGIN
    UPDATE usage_hours SET
        api_calls = api_calls - 1, unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL),
        input_tokens = input_tokens - COALESCE(OLD.input_tokens, 0), output_tokens = output_tokens - COALESCE(OLD.output_tokens, 0),
        cache_creation_tokens = cache_creation_tokens - COALESCE(OLD.cache_creation_tokens, 0),
        cache_read_tokens = cache_read_tokens - COALESCE(OLD.cache_read_tokens, 0), cost_usd = cost_usd - COALESCE(OLD.cost_usd, 0)
    WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM usage_hours WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
    UPDATE usage_days SET
        api_calls = api_calls - 1, unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL),
        input_tokens = input_tokens - COALESCE(OLD.input_tokens, 0), output_tokens = output_tokens - COALESCE(OLD.output_tokens, 0),
        cache_creation_tokens = cache_creation_tokens - COALESCE(OLD.cache_creation_tokens, 0),
        cache_read_tokens = cache_read_tokens - COALESCE(OLD.cache_read_tokens, 0), cost_usd = cost_usd - COALESCE(OLD.cost_usd, 0)
    WHERE day = unixepoch(OLD.timestamp) / 86400 AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM usage_days WHERE day = unixepoch(OLD.timestamp) / 86400 AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
END;

CREATE TRIGGER usage_rollups_update_in AFTER UPDATE OF timestamp, session_id, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd ON token_usage
WHEN typeof(NEW.timestamp) = 'text' AND substr(NEW.timestamp, 11, 1) = 'T' AND unixepoch(NEW.timestamp) IS NOT NULL
BEGIN
    INSERT INTO usage_hours VALUES (
        unixepoch(NEW.timestamp) / 3600, NEW.session_id, COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL,
        COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0),
        COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (hour, session_id, model) DO UPDATE SET
        api_calls = api_calls + 1, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO usage_days VALUES (
        unixepoch(NEW.timestamp) / 86400, COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL,
        COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0),
        COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (day, model) DO UPDATE SET
        api_calls = api_calls + 1, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
END;
