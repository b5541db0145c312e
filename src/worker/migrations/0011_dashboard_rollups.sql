-- 0011: rollups for the dashboard's per-branch and per-tool views (docs/REPORTS.md, "Speed";
-- docs/ARCHITECTURE.md, invariant 30), like 0009's for the reports:
--   branch_hours per UTC hour, session, branch and model; branch_days per UTC day, session, branch
--   and model: token_usage's calls (those with an RFC 3339 time SQLite can read), the call count,
--   the calls without a price, the four token counts, the cost of the priced calls. A NULL
--   git_branch is '(none)', a NULL model 'unknown'.
--   tool_hours per UTC hour, session and tool name; tool_days per UTC day and tool name: tool_uses
--   (those whose used_at is RFC 3339 text SQLite can read), the uses, those whose result was an
--   error (is_error = 1), those with a result (is_error not NULL), those of a subagent (agent_id not
--   NULL). A NULL name is '(unknown)'.
-- A key without calls or uses has no row. Triggers on token_usage and tool_uses keep them in the
-- transaction of every write, whoever makes it; the backfill below fills them from the rows before.
-- `hour` counts whole hours since 1970-01-01T00:00Z (unixepoch / 3600), `day` whole days (/ 86400).
CREATE TABLE branch_hours (
    hour INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    branch TEXT NOT NULL,
    model TEXT NOT NULL,
    api_calls INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (hour, session_id, branch, model)
) WITHOUT ROWID;
-- Session first: a range's rows grouped per session and branch without sorting them.
CREATE TABLE branch_days (
    day INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    branch TEXT NOT NULL,
    model TEXT NOT NULL,
    api_calls INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (session_id, branch, model, day)
) WITHOUT ROWID;
CREATE TABLE tool_hours (
    hour INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    uses INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    with_result INTEGER NOT NULL,
    subagent_uses INTEGER NOT NULL,
    PRIMARY KEY (hour, session_id, name)
) WITHOUT ROWID;
-- The distinct sessions per tool name over a range, in one pass over a narrow index.
CREATE INDEX tool_hours_name ON tool_hours(name, session_id, hour);
CREATE TABLE tool_days (
    day INTEGER NOT NULL,
    name TEXT NOT NULL,
    uses INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    with_result INTEGER NOT NULL,
    subagent_uses INTEGER NOT NULL,
    PRIMARY KEY (day, name)
) WITHOUT ROWID;

INSERT INTO branch_hours (hour, session_id, branch, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd)
SELECT unixepoch(timestamp) / 3600, session_id, COALESCE(git_branch, '(none)'), COALESCE(model, 'unknown'), count(*), count(*) - count(cost_usd),
       sum(COALESCE(input_tokens, 0)), sum(COALESCE(output_tokens, 0)), sum(COALESCE(cache_creation_tokens, 0)),
       sum(COALESCE(cache_read_tokens, 0)), COALESCE(sum(cost_usd), 0)
FROM token_usage WHERE typeof(timestamp) = 'text' AND substr(timestamp, 11, 1) = 'T' AND unixepoch(timestamp) IS NOT NULL
GROUP BY 1, 2, 3, 4;

INSERT INTO branch_days (day, session_id, branch, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd)
SELECT unixepoch(timestamp) / 86400, session_id, COALESCE(git_branch, '(none)'), COALESCE(model, 'unknown'), count(*), count(*) - count(cost_usd),
       sum(COALESCE(input_tokens, 0)), sum(COALESCE(output_tokens, 0)), sum(COALESCE(cache_creation_tokens, 0)),
       sum(COALESCE(cache_read_tokens, 0)), COALESCE(sum(cost_usd), 0)
FROM token_usage WHERE typeof(timestamp) = 'text' AND substr(timestamp, 11, 1) = 'T' AND unixepoch(timestamp) IS NOT NULL
GROUP BY 1, 2, 3, 4;

INSERT INTO tool_hours (hour, session_id, name, uses, errors, with_result, subagent_uses)
SELECT unixepoch(used_at) / 3600, session_id, COALESCE(name, '(unknown)'), count(*), COALESCE(sum(is_error = 1), 0), count(is_error), count(agent_id)
FROM tool_uses WHERE typeof(used_at) = 'text' AND substr(used_at, 11, 1) = 'T' AND unixepoch(used_at) IS NOT NULL
GROUP BY 1, 2, 3;

INSERT INTO tool_days (day, name, uses, errors, with_result, subagent_uses)
SELECT hour / 24, name, sum(uses), sum(errors), sum(with_result), sum(subagent_uses) FROM tool_hours GROUP BY 1, 2;

-- A row in: add it to its hour and day. A row out: take it away, and drop a row left with no call
-- or use. An update of a column the rollups read is the old row out, then the new one in.
CREATE TRIGGER branch_rollups_insert AFTER INSERT ON token_usage
WHEN typeof(NEW.timestamp) = 'text' AND substr(NEW.timestamp, 11, 1) = 'T' AND unixepoch(NEW.timestamp) IS NOT NULL
BEGIN
    INSERT INTO branch_hours (hour, session_id, branch, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd) VALUES (unixepoch(NEW.timestamp) / 3600, NEW.session_id, COALESCE(NEW.git_branch, '(none)'), COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL, COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0), COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (hour, session_id, branch, model) DO UPDATE SET api_calls = api_calls + excluded.api_calls, unpriced_calls = unpriced_calls + excluded.unpriced_calls, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO branch_days (day, session_id, branch, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd) VALUES (unixepoch(NEW.timestamp) / 86400, NEW.session_id, COALESCE(NEW.git_branch, '(none)'), COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL, COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0), COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (day, session_id, branch, model) DO UPDATE SET api_calls = api_calls + excluded.api_calls, unpriced_calls = unpriced_calls + excluded.unpriced_calls, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
END;

CREATE TRIGGER branch_rollups_delete AFTER DELETE ON token_usage
WHEN typeof(OLD.timestamp) = 'text' AND substr(OLD.timestamp, 11, 1) = 'T' AND unixepoch(OLD.timestamp) IS NOT NULL
BEGIN
    UPDATE branch_hours SET api_calls = api_calls - (1), unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL), input_tokens = input_tokens - (COALESCE(OLD.input_tokens, 0)), output_tokens = output_tokens - (COALESCE(OLD.output_tokens, 0)), cache_creation_tokens = cache_creation_tokens - (COALESCE(OLD.cache_creation_tokens, 0)), cache_read_tokens = cache_read_tokens - (COALESCE(OLD.cache_read_tokens, 0)), cost_usd = cost_usd - (COALESCE(OLD.cost_usd, 0)) WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM branch_hours WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
    UPDATE branch_days SET api_calls = api_calls - (1), unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL), input_tokens = input_tokens - (COALESCE(OLD.input_tokens, 0)), output_tokens = output_tokens - (COALESCE(OLD.output_tokens, 0)), cache_creation_tokens = cache_creation_tokens - (COALESCE(OLD.cache_creation_tokens, 0)), cache_read_tokens = cache_read_tokens - (COALESCE(OLD.cache_read_tokens, 0)), cost_usd = cost_usd - (COALESCE(OLD.cost_usd, 0)) WHERE day = unixepoch(OLD.timestamp) / 86400 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM branch_days WHERE day = unixepoch(OLD.timestamp) / 86400 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
END;

CREATE TRIGGER branch_rollups_update_out AFTER UPDATE OF timestamp, session_id, model, git_branch, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd ON token_usage
WHEN typeof(OLD.timestamp) = 'text' AND substr(OLD.timestamp, 11, 1) = 'T' AND unixepoch(OLD.timestamp) IS NOT NULL
BEGIN
    UPDATE branch_hours SET api_calls = api_calls - (1), unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL), input_tokens = input_tokens - (COALESCE(OLD.input_tokens, 0)), output_tokens = output_tokens - (COALESCE(OLD.output_tokens, 0)), cache_creation_tokens = cache_creation_tokens - (COALESCE(OLD.cache_creation_tokens, 0)), cache_read_tokens = cache_read_tokens - (COALESCE(OLD.cache_read_tokens, 0)), cost_usd = cost_usd - (COALESCE(OLD.cost_usd, 0)) WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM branch_hours WHERE hour = unixepoch(OLD.timestamp) / 3600 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
    UPDATE branch_days SET api_calls = api_calls - (1), unpriced_calls = unpriced_calls - (OLD.cost_usd IS NULL), input_tokens = input_tokens - (COALESCE(OLD.input_tokens, 0)), output_tokens = output_tokens - (COALESCE(OLD.output_tokens, 0)), cache_creation_tokens = cache_creation_tokens - (COALESCE(OLD.cache_creation_tokens, 0)), cache_read_tokens = cache_read_tokens - (COALESCE(OLD.cache_read_tokens, 0)), cost_usd = cost_usd - (COALESCE(OLD.cost_usd, 0)) WHERE day = unixepoch(OLD.timestamp) / 86400 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown');
    DELETE FROM branch_days WHERE day = unixepoch(OLD.timestamp) / 86400 AND session_id = OLD.session_id AND branch = COALESCE(OLD.git_branch, '(none)') AND model = COALESCE(OLD.model, 'unknown') AND api_calls = 0;
END;

CREATE TRIGGER branch_rollups_update_in AFTER UPDATE OF timestamp, session_id, model, git_branch, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd ON token_usage
WHEN typeof(NEW.timestamp) = 'text' AND substr(NEW.timestamp, 11, 1) = 'T' AND unixepoch(NEW.timestamp) IS NOT NULL
BEGIN
    INSERT INTO branch_hours (hour, session_id, branch, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd) VALUES (unixepoch(NEW.timestamp) / 3600, NEW.session_id, COALESCE(NEW.git_branch, '(none)'), COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL, COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0), COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (hour, session_id, branch, model) DO UPDATE SET api_calls = api_calls + excluded.api_calls, unpriced_calls = unpriced_calls + excluded.unpriced_calls, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO branch_days (day, session_id, branch, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd) VALUES (unixepoch(NEW.timestamp) / 86400, NEW.session_id, COALESCE(NEW.git_branch, '(none)'), COALESCE(NEW.model, 'unknown'), 1, NEW.cost_usd IS NULL, COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cache_creation_tokens, 0), COALESCE(NEW.cache_read_tokens, 0), COALESCE(NEW.cost_usd, 0))
    ON CONFLICT (day, session_id, branch, model) DO UPDATE SET api_calls = api_calls + excluded.api_calls, unpriced_calls = unpriced_calls + excluded.unpriced_calls, input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, cost_usd = cost_usd + excluded.cost_usd;
END;

CREATE TRIGGER tool_rollups_insert AFTER INSERT ON tool_uses
WHEN typeof(NEW.used_at) = 'text' AND substr(NEW.used_at, 11, 1) = 'T' AND unixepoch(NEW.used_at) IS NOT NULL
BEGIN
    INSERT INTO tool_hours (hour, session_id, name, uses, errors, with_result, subagent_uses) VALUES (unixepoch(NEW.used_at) / 3600, NEW.session_id, COALESCE(NEW.name, '(unknown)'), 1, COALESCE(NEW.is_error = 1, 0), NEW.is_error IS NOT NULL, NEW.agent_id IS NOT NULL)
    ON CONFLICT (hour, session_id, name) DO UPDATE SET uses = uses + excluded.uses, errors = errors + excluded.errors, with_result = with_result + excluded.with_result, subagent_uses = subagent_uses + excluded.subagent_uses;
    INSERT INTO tool_days (day, name, uses, errors, with_result, subagent_uses) VALUES (unixepoch(NEW.used_at) / 86400, COALESCE(NEW.name, '(unknown)'), 1, COALESCE(NEW.is_error = 1, 0), NEW.is_error IS NOT NULL, NEW.agent_id IS NOT NULL)
    ON CONFLICT (day, name) DO UPDATE SET uses = uses + excluded.uses, errors = errors + excluded.errors, with_result = with_result + excluded.with_result, subagent_uses = subagent_uses + excluded.subagent_uses;
END;

CREATE TRIGGER tool_rollups_delete AFTER DELETE ON tool_uses
WHEN typeof(OLD.used_at) = 'text' AND substr(OLD.used_at, 11, 1) = 'T' AND unixepoch(OLD.used_at) IS NOT NULL
BEGIN
    UPDATE tool_hours SET uses = uses - (1), errors = errors - (COALESCE(OLD.is_error = 1, 0)), with_result = with_result - (OLD.is_error IS NOT NULL), subagent_uses = subagent_uses - (OLD.agent_id IS NOT NULL) WHERE hour = unixepoch(OLD.used_at) / 3600 AND session_id = OLD.session_id AND name = COALESCE(OLD.name, '(unknown)');
    DELETE FROM tool_hours WHERE hour = unixepoch(OLD.used_at) / 3600 AND session_id = OLD.session_id AND name = COALESCE(OLD.name, '(unknown)') AND uses = 0;
    UPDATE tool_days SET uses = uses - (1), errors = errors - (COALESCE(OLD.is_error = 1, 0)), with_result = with_result - (OLD.is_error IS NOT NULL), subagent_uses = subagent_uses - (OLD.agent_id IS NOT NULL) WHERE day = unixepoch(OLD.used_at) / 86400 AND name = COALESCE(OLD.name, '(unknown)');
    DELETE FROM tool_days WHERE day = unixepoch(OLD.used_at) / 86400 AND name = COALESCE(OLD.name, '(unknown)') AND uses = 0;
END;

CREATE TRIGGER tool_rollups_update_out AFTER UPDATE OF used_at, session_id, name, is_error, agent_id ON tool_uses
WHEN typeof(OLD.used_at) = 'text' AND substr(OLD.used_at, 11, 1) = 'T' AND unixepoch(OLD.used_at) IS NOT NULL
BEGIN
    UPDATE tool_hours SET uses = uses - (1), errors = errors - (COALESCE(OLD.is_error = 1, 0)), with_result = with_result - (OLD.is_error IS NOT NULL), subagent_uses = subagent_uses - (OLD.agent_id IS NOT NULL) WHERE hour = unixepoch(OLD.used_at) / 3600 AND session_id = OLD.session_id AND name = COALESCE(OLD.name, '(unknown)');
    DELETE FROM tool_hours WHERE hour = unixepoch(OLD.used_at) / 3600 AND session_id = OLD.session_id AND name = COALESCE(OLD.name, '(unknown)') AND uses = 0;
    UPDATE tool_days SET uses = uses - (1), errors = errors - (COALESCE(OLD.is_error = 1, 0)), with_result = with_result - (OLD.is_error IS NOT NULL), subagent_uses = subagent_uses - (OLD.agent_id IS NOT NULL) WHERE day = unixepoch(OLD.used_at) / 86400 AND name = COALESCE(OLD.name, '(unknown)');
    DELETE FROM tool_days WHERE day = unixepoch(OLD.used_at) / 86400 AND name = COALESCE(OLD.name, '(unknown)') AND uses = 0;
END;

CREATE TRIGGER tool_rollups_update_in AFTER UPDATE OF used_at, session_id, name, is_error, agent_id ON tool_uses
WHEN typeof(NEW.used_at) = 'text' AND substr(NEW.used_at, 11, 1) = 'T' AND unixepoch(NEW.used_at) IS NOT NULL
BEGIN
    INSERT INTO tool_hours (hour, session_id, name, uses, errors, with_result, subagent_uses) VALUES (unixepoch(NEW.used_at) / 3600, NEW.session_id, COALESCE(NEW.name, '(unknown)'), 1, COALESCE(NEW.is_error = 1, 0), NEW.is_error IS NOT NULL, NEW.agent_id IS NOT NULL)
    ON CONFLICT (hour, session_id, name) DO UPDATE SET uses = uses + excluded.uses, errors = errors + excluded.errors, with_result = with_result + excluded.with_result, subagent_uses = subagent_uses + excluded.subagent_uses;
    INSERT INTO tool_days (day, name, uses, errors, with_result, subagent_uses) VALUES (unixepoch(NEW.used_at) / 86400, COALESCE(NEW.name, '(unknown)'), 1, COALESCE(NEW.is_error = 1, 0), NEW.is_error IS NOT NULL, NEW.agent_id IS NOT NULL)
    ON CONFLICT (day, name) DO UPDATE SET uses = uses + excluded.uses, errors = errors + excluded.errors, with_result = with_result + excluded.with_result, subagent_uses = subagent_uses + excluded.subagent_uses;
END;

-- limit_hours, per UTC hour with status line samples carrying rate limits (the blocks' official
-- limits, blocks-report.ts): the hour's sample with the highest five-hour % (the latest on a tie:
-- by sampled_at, then rowid) with its reset and time, and its latest sample with a 7-day % (by
-- sampled_at, then rowid) with its time. A sample is in hour H when its sampled_at text is in
-- [H's RFC 3339 text, the next hour's), as the blocks' own range reads it; an hour without such a
-- sample has no row. Any write of a sample recomputes its hour (old and new) from the samples:
-- two indexed probes of a few rows.
CREATE TABLE limit_hours (
    hour INTEGER PRIMARY KEY,
    five_hour_used_pct REAL,
    five_hour_resets_at TEXT,
    five_at TEXT,
    seven_day_used_pct REAL,
    seven_at TEXT
);

INSERT INTO limit_hours
SELECT h.hour, f.five_hour_used_pct, f.five_hour_resets_at, f.sampled_at, s.seven_day_used_pct, s.sampled_at
FROM (SELECT DISTINCT unixepoch(substr(sampled_at, 1, 13) || ':00:00Z') / 3600 AS hour FROM statusline_samples
      WHERE (five_hour_used_pct IS NOT NULL OR seven_day_used_pct IS NOT NULL) AND unixepoch(substr(sampled_at, 1, 13) || ':00:00Z') IS NOT NULL) h
LEFT JOIN statusline_samples f ON f.rowid = (SELECT rowid FROM statusline_samples
      WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', h.hour * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', h.hour * 3600 + 3600, 'unixepoch')
      AND five_hour_used_pct IS NOT NULL ORDER BY five_hour_used_pct DESC, sampled_at DESC, rowid DESC LIMIT 1)
LEFT JOIN statusline_samples s ON s.rowid = (SELECT rowid FROM statusline_samples
      WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', h.hour * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', h.hour * 3600 + 3600, 'unixepoch')
      AND seven_day_used_pct IS NOT NULL ORDER BY sampled_at DESC, rowid DESC LIMIT 1)
WHERE f.rowid IS NOT NULL OR s.rowid IS NOT NULL;

CREATE TRIGGER limit_rollups_insert AFTER INSERT ON statusline_samples
WHEN unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 IS NOT NULL AND (NEW.five_hour_used_pct IS NOT NULL OR NEW.seven_day_used_pct IS NOT NULL)
BEGIN
    DELETE FROM limit_hours WHERE hour = unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600;
    INSERT INTO limit_hours
    SELECT unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600, f.five_hour_used_pct, f.five_hour_resets_at, f.sampled_at, s.seven_day_used_pct, s.sampled_at
    FROM (SELECT 1) LEFT JOIN statusline_samples f ON f.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND five_hour_used_pct IS NOT NULL ORDER BY five_hour_used_pct DESC, sampled_at DESC, rowid DESC LIMIT 1)
    LEFT JOIN statusline_samples s ON s.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND seven_day_used_pct IS NOT NULL ORDER BY sampled_at DESC, rowid DESC LIMIT 1)
    WHERE f.rowid IS NOT NULL OR s.rowid IS NOT NULL;
END;

CREATE TRIGGER limit_rollups_delete AFTER DELETE ON statusline_samples
WHEN unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 IS NOT NULL AND (OLD.five_hour_used_pct IS NOT NULL OR OLD.seven_day_used_pct IS NOT NULL)
BEGIN
    DELETE FROM limit_hours WHERE hour = unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600;
    INSERT INTO limit_hours
    SELECT unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600, f.five_hour_used_pct, f.five_hour_resets_at, f.sampled_at, s.seven_day_used_pct, s.sampled_at
    FROM (SELECT 1) LEFT JOIN statusline_samples f ON f.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND five_hour_used_pct IS NOT NULL ORDER BY five_hour_used_pct DESC, sampled_at DESC, rowid DESC LIMIT 1)
    LEFT JOIN statusline_samples s ON s.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND seven_day_used_pct IS NOT NULL ORDER BY sampled_at DESC, rowid DESC LIMIT 1)
    WHERE f.rowid IS NOT NULL OR s.rowid IS NOT NULL;
END;

CREATE TRIGGER limit_rollups_update_out AFTER UPDATE OF sampled_at, five_hour_used_pct, five_hour_resets_at, seven_day_used_pct ON statusline_samples
WHEN unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 IS NOT NULL
BEGIN
    DELETE FROM limit_hours WHERE hour = unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600;
    INSERT INTO limit_hours
    SELECT unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600, f.five_hour_used_pct, f.five_hour_resets_at, f.sampled_at, s.seven_day_used_pct, s.sampled_at
    FROM (SELECT 1) LEFT JOIN statusline_samples f ON f.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND five_hour_used_pct IS NOT NULL ORDER BY five_hour_used_pct DESC, sampled_at DESC, rowid DESC LIMIT 1)
    LEFT JOIN statusline_samples s ON s.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(OLD.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND seven_day_used_pct IS NOT NULL ORDER BY sampled_at DESC, rowid DESC LIMIT 1)
    WHERE f.rowid IS NOT NULL OR s.rowid IS NOT NULL;
END;

CREATE TRIGGER limit_rollups_update_in AFTER UPDATE OF sampled_at, five_hour_used_pct, five_hour_resets_at, seven_day_used_pct ON statusline_samples
WHEN unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 IS NOT NULL
BEGIN
    DELETE FROM limit_hours WHERE hour = unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600;
    INSERT INTO limit_hours
    SELECT unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600, f.five_hour_used_pct, f.five_hour_resets_at, f.sampled_at, s.seven_day_used_pct, s.sampled_at
    FROM (SELECT 1) LEFT JOIN statusline_samples f ON f.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND five_hour_used_pct IS NOT NULL ORDER BY five_hour_used_pct DESC, sampled_at DESC, rowid DESC LIMIT 1)
    LEFT JOIN statusline_samples s ON s.rowid = (SELECT rowid FROM statusline_samples WHERE sampled_at >= strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600, 'unixepoch') AND sampled_at < strftime('%Y-%m-%dT%H:%M:%fZ', unixepoch(substr(NEW.sampled_at, 1, 13) || ':00:00Z') / 3600 * 3600 + 3600, 'unixepoch')
        AND seven_day_used_pct IS NOT NULL ORDER BY sampled_at DESC, rowid DESC LIMIT 1)
    WHERE f.rowid IS NOT NULL OR s.rowid IS NOT NULL;
END;
