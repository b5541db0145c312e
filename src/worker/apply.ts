// Apply: one parsed payload → its effect on the database plus its ledger row. Runs inside the
// transaction the batch opened (see batch.ts); it never commits and never touches the spool.
import type { Db } from './db.js';
import { type FigureStatements, type PriceFor, prepareFigureStatements } from './figures.js';
import type { HookPayload, ReportedCost } from './parse.js';
import { type StatusLineStatements, prepareStatusLineStatements } from './apply-statusline.js';

export interface ApplyStatements {
  recordPayload: (id: string, event: string, sessionId: string, receivedAt: string, appliedAt: string) => boolean;
  /** Creates or updates the session row; `endReason` only for SessionEnd. */
  touchSession: (sessionId: string, at: string | null, cwd: string | null, transcriptPath: string | null, endReason: string | null) => void;
  /**
   * Takes reported figures into the session (reported_*, durations, their source and time) when
   * `at` is not older than the figures it has; false when it kept newer ones.
   */
  storeReportedCost: (sessionId: string, cost: ReportedCost, source: ReportedSource, at: string) => boolean;
  /** Records a dead-lettered payload in `dead_letters`, in the batch's transaction. */
  recordDeadLetter: (id: string, reason: string, receivedAt: string, at: string) => void;
  figures: FigureStatements;
  statusLine: StatusLineStatements;
}

/** Where a session's reported_* figures came from: a status line snapshot, or an older-format payload's `cost`. */
export type ReportedSource = 'statusline' | 'payload';

export function prepareApplyStatements(db: Db, priceFor: PriceFor): ApplyStatements {
  const insertLedger = db.prepare(
    'INSERT OR IGNORE INTO payloads (id, event, session_id, received_at, applied_at) VALUES (?, ?, ?, ?, ?)',
  );
  // Until a transcript gives the session its times, they are its first and last payloads' receive
  // times; then the transcript's own (figures.ts) win. SET expressions read the row as it was.
  const upsertSession = db.prepare(`
    INSERT INTO sessions (session_id, start_time, end_time, end_reason, cwd, transcript_path)
    VALUES (@sessionId, @at, @at, @endReason, @cwd, @transcriptPath)
    ON CONFLICT (session_id) DO UPDATE SET
      start_time = CASE WHEN cost_source IS 'transcript' THEN start_time
                        WHEN start_time IS NULL OR excluded.start_time < start_time THEN excluded.start_time ELSE start_time END,
      end_time = CASE WHEN cost_source IS 'transcript' THEN end_time
                      WHEN end_time IS NULL OR excluded.end_time > end_time THEN excluded.end_time ELSE end_time END,
      end_reason = COALESCE(excluded.end_reason, end_reason),
      cwd = COALESCE(excluded.cwd, cwd),
      transcript_path = COALESCE(excluded.transcript_path, transcript_path)`);
  // Reported figures are kept in reported_*; they fill the main columns only while no transcript has.
  // The newest figures win (reported_at): a snapshot applied late never overwrites a newer one.
  const updateCost = db.prepare(`
    UPDATE sessions SET
      reported_source = @source, reported_at = @at,
      reported_cost_usd = COALESCE(@cost, reported_cost_usd),
      reported_lines_added = COALESCE(@added, reported_lines_added),
      reported_lines_removed = COALESCE(@removed, reported_lines_removed),
      total_duration_ms = COALESCE(@duration, total_duration_ms),
      total_api_duration_ms = COALESCE(@apiDuration, total_api_duration_ms),
      total_cost_usd = CASE WHEN cost_source IS 'transcript' THEN total_cost_usd ELSE COALESCE(@cost, total_cost_usd) END,
      lines_added = CASE WHEN cost_source IS 'transcript' THEN lines_added ELSE COALESCE(@added, lines_added) END,
      lines_removed = CASE WHEN cost_source IS 'transcript' THEN lines_removed ELSE COALESCE(@removed, lines_removed) END,
      cost_source = CASE WHEN cost_source IS 'transcript' THEN cost_source ELSE 'reported' END
    WHERE session_id = @sessionId AND (reported_at IS NULL OR reported_at <= @at)`);
  const insertDeadLetter = db.prepare(
    'INSERT OR REPLACE INTO dead_letters (id, reason, received_at, dead_lettered_at) VALUES (?, ?, ?, ?)',
  );
  return {
    recordDeadLetter: (id, reason, receivedAt, at) => void insertDeadLetter.run(id, reason, receivedAt, at),
    recordPayload: (id, event, sessionId, receivedAt, appliedAt) =>
      insertLedger.run(id, event, sessionId, receivedAt, appliedAt).changes === 1,
    touchSession: (sessionId, at, cwd, transcriptPath, endReason) => void upsertSession.run({ sessionId, at, cwd, transcriptPath, endReason }),
    storeReportedCost: (sessionId, c, source, at) =>
      updateCost.run({
        sessionId,
        source,
        at,
        cost: c.total_cost_usd ?? null,
        duration: c.total_duration_ms ?? null,
        apiDuration: c.total_api_duration_ms ?? null,
        added: c.total_lines_added ?? null,
        removed: c.total_lines_removed ?? null,
      }).changes === 1,
    figures: prepareFigureStatements(db, priceFor),
    statusLine: prepareStatusLineStatements(db),
  };
}

/** The ledger's name for a payload without hook_event_name (the baseline's SessionEnd format). */
export const LEGACY_EVENT = 'legacy';
/** `claude-metrics import` writes these: recompute from the transcript, without claiming a hook time. */
export const IMPORT_EVENT = 'Import';

/** Events after which the session's transcript may have grown: its figures are recomputed. */
export function recomputesFigures(p: HookPayload): boolean {
  return p.event === 'Stop' || p.event === IMPORT_EVENT || p.event === 'SubagentStop' || p.event === 'SessionEnd' || (p.event === 'SessionStart' && p.source === 'resume');
}

/**
 * Records the payload in the ledger and applies it. Returns false (and changes nothing) when
 * its id is already recorded: a replayed or recovered payload is applied once. Figures are
 * recomputed through `recompute`, which the batch may defer to its end so that a session with
 * many payloads in one transaction reads its transcripts once.
 */
export function applyPayload(
  st: ApplyStatements,
  id: string,
  receivedAt: string,
  p: HookPayload,
  now: string,
  recompute: (sessionId: string, transcriptPath: string) => void = (sid, tp) => void st.figures.recompute(sid, tp),
): boolean {
  if (!st.recordPayload(id, p.event ?? LEGACY_EVENT, p.sessionId, receivedAt, now)) return false;
  const endReason = p.event === 'SessionEnd' || p.event === null ? p.reason : null;
  // An import is not session activity: its time says nothing of when the session ran.
  st.touchSession(p.sessionId, p.event === IMPORT_EVENT ? null : receivedAt, p.cwd, p.transcriptPath, endReason);
  if (p.reportedCost) st.storeReportedCost(p.sessionId, p.reportedCost, 'payload', receivedAt);
  // A missing or unreadable transcript is not a failure: the payload applies with what it has.
  if (p.transcriptPath && recomputesFigures(p)) recompute(p.sessionId, p.transcriptPath);
  return true;
}
