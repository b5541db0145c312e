-- 0006: token_usage.timestamp as RFC 3339 UTC everywhere. Rows written before claude-metrics
-- (the baseline's parser, datetime('now') style: '2026-11-23 19:40:31', UTC) were never
-- converted (0002 converted only `sessions`), so reports compared them as text ('2026-11-01
-- 23:30:00' sorts before '2026-11-01T00:00:00.000Z': the day before) and blocks skipped them.
-- Same instant, in the text the worker writes: '2026-11-23T19:40:31.000Z'. Only text that is
-- not already UTC RFC 3339 ('…Z') is rewritten; a value SQLite cannot read as a time ('' for a
-- call without one, anything else) is left as it is. An offset ('+02:00') is turned into UTC.
UPDATE token_usage SET timestamp = COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', timestamp), timestamp)
    WHERE typeof(timestamp) = 'text' AND timestamp NOT LIKE '%Z';
