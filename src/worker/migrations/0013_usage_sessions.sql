-- 0013: usage_sessions, usage_hours summed per session and model, with the session's first and last
-- hour of that model: the reports that group by session (project, the distinct sessions of every
-- report) read its few thousand rows in key order instead of grouping every hour (a sort).
-- Invariant (as 0009's): each row holds exactly what summing usage_hours gives for its session and
-- model (so what token_usage gives for those calls), first_hour and last_hour their min and max
-- hour; a key with no hour has no row. Triggers on usage_hours keep it in the same transaction as
-- the triggers of 0009 that write usage_hours (and any other writer of usage_hours).
CREATE TABLE usage_sessions (
    session_id TEXT NOT NULL,
    model TEXT NOT NULL,
    first_hour INTEGER NOT NULL,
    last_hour INTEGER NOT NULL,
    api_calls INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (session_id, model)
) WITHOUT ROWID;

INSERT INTO usage_sessions
SELECT session_id, model, min(hour), max(hour), sum(api_calls), sum(unpriced_calls), sum(input_tokens), sum(output_tokens),
       sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd)
FROM usage_hours GROUP BY session_id, model;

-- An hour in (a call in a new hour): added. Its sums changed in place (each call of 0009's
-- triggers): the difference added. An hour moved or gone: its session and model summed again
-- from usage_hours (a session's hours through usage_hours_session), which also finds the new
-- first or last hour.
CREATE TRIGGER usage_sessions_insert AFTER INSERT ON usage_hours BEGIN
    INSERT INTO usage_sessions VALUES (NEW.session_id, NEW.model, NEW.hour, NEW.hour, NEW.api_calls, NEW.unpriced_calls,
        NEW.input_tokens, NEW.output_tokens, NEW.cache_creation_tokens, NEW.cache_read_tokens, NEW.cost_usd)
    ON CONFLICT (session_id, model) DO UPDATE SET
        first_hour = min(first_hour, excluded.first_hour), last_hour = max(last_hour, excluded.last_hour),
        api_calls = api_calls + excluded.api_calls, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
END;

CREATE TRIGGER usage_sessions_update AFTER UPDATE ON usage_hours
WHEN OLD.hour = NEW.hour AND OLD.session_id = NEW.session_id AND OLD.model = NEW.model
BEGIN
    UPDATE usage_sessions SET
        api_calls = api_calls + NEW.api_calls - OLD.api_calls, unpriced_calls = unpriced_calls + NEW.unpriced_calls - OLD.unpriced_calls,
        input_tokens = input_tokens + NEW.input_tokens - OLD.input_tokens, output_tokens = output_tokens + NEW.output_tokens - OLD.output_tokens,
        cache_creation_tokens = cache_creation_tokens + NEW.cache_creation_tokens - OLD.cache_creation_tokens,
        cache_read_tokens = cache_read_tokens + NEW.cache_read_tokens - OLD.cache_read_tokens, cost_usd = cost_usd + NEW.cost_usd - OLD.cost_usd
    WHERE session_id = NEW.session_id AND model = NEW.model;
END;

CREATE TRIGGER usage_sessions_rekey AFTER UPDATE ON usage_hours
WHEN NOT (OLD.hour = NEW.hour AND OLD.session_id = NEW.session_id AND OLD.model = NEW.model)
BEGIN
    DELETE FROM usage_sessions WHERE (session_id = OLD.session_id AND model = OLD.model) OR (session_id = NEW.session_id AND model = NEW.model);
    INSERT INTO usage_sessions
    SELECT session_id, model, min(hour), max(hour), sum(api_calls), sum(unpriced_calls), sum(input_tokens), sum(output_tokens),
           sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd)
    FROM usage_hours WHERE (session_id = OLD.session_id AND model = OLD.model) OR (session_id = NEW.session_id AND model = NEW.model)
    GROUP BY session_id, model;
END;

CREATE TRIGGER usage_sessions_delete AFTER DELETE ON usage_hours BEGIN
    DELETE FROM usage_sessions WHERE session_id = OLD.session_id AND model = OLD.model;
    INSERT INTO usage_sessions
    SELECT session_id, model, min(hour), max(hour), sum(api_calls), sum(unpriced_calls), sum(input_tokens), sum(output_tokens),
           sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd)
    FROM usage_hours WHERE session_id = OLD.session_id AND model = OLD.model GROUP BY session_id, model;
END;
