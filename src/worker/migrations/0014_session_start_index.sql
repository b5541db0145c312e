-- 0014: sessions by their start (their end when they have none), then id: the session report's
-- range and order (src/report/session-report.ts), read in index order instead of a scan and a
-- sort of every session; a range (--since, --until) a seek.
CREATE INDEX sessions_start ON sessions(COALESCE(start_time, end_time), session_id);
