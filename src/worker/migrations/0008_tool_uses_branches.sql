-- 0008: data only transcripts hold, for per-tool and per-branch views: each tool use's name, time,
-- result and subagent; the git branch each API call's line names, and each session's branch.
-- Rows written before have NULL there; `reread` has every session read again from the start,
-- once, at its next Stop, SubagentStop, SessionEnd, resume or `claude-metrics import`, when all
-- the files it was read from still exist (its figures come out the same: ARCHITECTURE.md,
-- invariant 11). A session whose transcript (or a subagent's file) is gone keeps its figures,
-- its NULLs and reread = 1.
ALTER TABLE tool_uses ADD COLUMN name TEXT;
ALTER TABLE tool_uses ADD COLUMN used_at TEXT;      -- the timestamp of the assistant line that carried it
ALTER TABLE tool_uses ADD COLUMN is_error INTEGER;  -- NULL until its tool_result is read; then 1 (is_error: true) or 0
ALTER TABLE tool_uses ADD COLUMN agent_id TEXT;     -- the subagent that used it; NULL = main
-- Uses and errors per tool name over a time range; one tool's uses over time.
CREATE INDEX idx_tool_uses_time ON tool_uses(used_at, name, is_error);
CREATE INDEX idx_tool_uses_name ON tool_uses(name, used_at);

ALTER TABLE token_usage ADD COLUMN git_branch TEXT;  -- the line's gitBranch; NULL when it names none
-- The branch named by the session's latest API call line (by timestamp).
ALTER TABLE sessions ADD COLUMN git_branch TEXT;

-- 1: read the session again from the start when its files allow (figures.ts); 0 once done.
ALTER TABLE transcript_reads ADD COLUMN reread INTEGER NOT NULL DEFAULT 0;
UPDATE transcript_reads SET reread = 1;
