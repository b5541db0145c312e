// Apply: one parsed payload → its effect on the database plus its ledger row. Runs inside the
// transaction the batch opened (see batch.ts); it never commits and never touches the spool.
import type { Db } from './db.js';
import type { HookPayload, ReportedCost } from './parse.js';

export interface ApplyStatements {
  recordPayload: (id: string, event: string, sessionId: string, receivedAt: string, appliedAt: string) => boolean;
  touchSession: (sessionId: string, seenAt: string, cwd: string | null, transcriptPath: string | null) => void;
  /** touchSession and the end in one statement: SessionEnd is the hot path of a drain. */
  touchAndEndSession: (sessionId: string, at: string, cwd: string | null, transcriptPath: string | null, reason: string | null) => void;
  storeReportedCost: (sessionId: string, cost: ReportedCost) => void;
}

export function prepareApplyStatements(db: Db): ApplyStatements {
  const insertLedger = db.prepare(
    'INSERT OR IGNORE INTO payloads (id, event, session_id, received_at, applied_at) VALUES (?, ?, ?, ?, ?)',
  );
  // start_time = the earliest time known for the session; cwd and transcript path: the latest given.
  const upsertSession = db.prepare(`
    INSERT INTO sessions (session_id, start_time, cwd, transcript_path) VALUES (@sessionId, @seenAt, @cwd, @transcriptPath)
    ON CONFLICT (session_id) DO UPDATE SET
      start_time = CASE WHEN start_time IS NULL OR excluded.start_time < start_time THEN excluded.start_time ELSE start_time END,
      cwd = COALESCE(excluded.cwd, cwd),
      transcript_path = COALESCE(excluded.transcript_path, transcript_path)`);
  // A resumed session ends twice: the later end wins, with its reason. (SET expressions read the
  // row as it was before this statement.)
  const upsertEnd = db.prepare(`
    INSERT INTO sessions (session_id, start_time, end_time, end_reason, cwd, transcript_path)
    VALUES (@sessionId, @at, @at, @reason, @cwd, @transcriptPath)
    ON CONFLICT (session_id) DO UPDATE SET
      start_time = CASE WHEN start_time IS NULL OR excluded.start_time < start_time THEN excluded.start_time ELSE start_time END,
      end_time = CASE WHEN end_time IS NULL OR end_time <= excluded.end_time THEN excluded.end_time ELSE end_time END,
      end_reason = CASE WHEN end_time IS NULL OR end_time <= excluded.end_time THEN COALESCE(excluded.end_reason, end_reason) ELSE end_reason END,
      cwd = COALESCE(excluded.cwd, cwd),
      transcript_path = COALESCE(excluded.transcript_path, transcript_path)`);
  const updateCost = db.prepare(`
    UPDATE sessions SET
      total_cost_usd = COALESCE(@cost, total_cost_usd),
      total_duration_ms = COALESCE(@duration, total_duration_ms),
      total_api_duration_ms = COALESCE(@apiDuration, total_api_duration_ms),
      lines_added = COALESCE(@added, lines_added),
      lines_removed = COALESCE(@removed, lines_removed),
      cost_source = 'reported'
    WHERE session_id = @sessionId`);
  return {
    recordPayload: (id, event, sessionId, receivedAt, appliedAt) =>
      insertLedger.run(id, event, sessionId, receivedAt, appliedAt).changes === 1,
    touchSession: (sessionId, seenAt, cwd, transcriptPath) => void upsertSession.run({ sessionId, seenAt, cwd, transcriptPath }),
    touchAndEndSession: (sessionId, at, cwd, transcriptPath, reason) => void upsertEnd.run({ sessionId, at, cwd, transcriptPath, reason }),
    storeReportedCost: (sessionId, c) =>
      void updateCost.run({
        sessionId,
        cost: c.total_cost_usd ?? null,
        duration: c.total_duration_ms ?? null,
        apiDuration: c.total_api_duration_ms ?? null,
        added: c.total_lines_added ?? null,
        removed: c.total_lines_removed ?? null,
      }),
  };
}

/** The ledger's name for a payload without hook_event_name (the baseline's SessionEnd format). */
export const LEGACY_EVENT = 'legacy';

/**
 * Records the payload in the ledger and applies it. Returns false (and changes nothing) when
 * its id is already recorded: a replayed or recovered payload is applied once.
 */
export function applyPayload(st: ApplyStatements, id: string, receivedAt: string, p: HookPayload, now: string): boolean {
  if (!st.recordPayload(id, p.event ?? LEGACY_EVENT, p.sessionId, receivedAt, now)) return false;
  switch (p.event) {
    case 'SessionEnd':
      applySessionEnd(st, receivedAt, p);
      break;
    case null:
      applyLegacySessionEnd(st, receivedAt, p);
      break;
    default:
      // Every event is activity of its session: the row exists and starts no later than this
      // payload. SessionStart needs nothing more; Stop, SubagentStop and unknown events are
      // recorded in the ledger (transcript figures come from the transcript step, later).
      st.touchSession(p.sessionId, receivedAt, p.cwd, p.transcriptPath);
      break;
  }
  if (p.event !== null && p.reportedCost) st.storeReportedCost(p.sessionId, p.reportedCost);
  return true;
}

export function applySessionEnd(st: ApplyStatements, receivedAt: string, p: HookPayload): void {
  st.touchAndEndSession(p.sessionId, receivedAt, p.cwd, p.transcriptPath, p.reason);
}

/** The baseline treated every payload as a SessionEnd and stored its `cost` object. */
export function applyLegacySessionEnd(st: ApplyStatements, receivedAt: string, p: HookPayload): void {
  st.touchAndEndSession(p.sessionId, receivedAt, p.cwd, p.transcriptPath, p.reason);
  if (p.reportedCost) st.storeReportedCost(p.sessionId, p.reportedCost);
}
