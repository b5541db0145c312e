// Apply (status line): one parsed status line snapshot → its `payloads` ledger row (event
// StatusLine; the session's older StatusLine rows are pruned, so the ledger keeps its newest
// only), a statusline_samples row when a recorded value changed, the session's reported figures
// when it is the session's newest snapshot, and the session row itself when the worker has not
// seen the session. Runs inside the batch's transaction (a savepoint per payload, batch.ts); it
// never commits, never touches the spool, and never reads transcripts: status lines fire every
// few seconds, and the Stop hook recomputes the session's figures after each turn.
import type { Db } from './db.js';
import type { ApplyStatements } from './apply.js';
import { SAMPLE_COLUMNS, type SampleValues, type StatusLineSnapshot } from './parse-statusline.js';

/** The ledger's event name for a status line snapshot. */
export const STATUSLINE_EVENT = 'StatusLine';

/**
 * Not compared when deciding whether a snapshot adds a sample: total_duration_ms is the session's
 * wall-clock age, so it grows on every refresh even when nothing happens.
 */
export const UNCOMPARED: ReadonlySet<keyof SampleValues> = new Set(['total_duration_ms']);

export interface StatusLineStatements {
  /**
   * The session's sample in force just before snapshot `payloadId` at `sampledAt`: the latest
   * by (sampled_at, payload_id) before that snapshot's own, or undefined.
   */
  previous: (sessionId: string, sampledAt: string, payloadId: string) => SampleValues | undefined;
  /** Whether snapshot `payloadId` already has its sample (it applied before, and changed something). */
  hasSample: (payloadId: string) => boolean;
  /** The highest StatusLine ledger id of the session (ids order by time: their first 13 digits are epoch ms). */
  newestSnapshot: (sessionId: string) => string | undefined;
  /** Deletes the session's StatusLine ledger rows older than `newestId`, except retried dead letters'. */
  pruneLedger: (sessionId: string, newestId: string) => void;
  insertSample: (sessionId: string, sampledAt: string, payloadId: string, sample: SampleValues) => void;
  /** Creates the session when new; otherwise only fills what it lacks (cwd, transcript, times). */
  ensureSession: (sessionId: string, at: string, cwd: string | null, transcriptPath: string | null) => void;
  /** Whether the session's transcript has been read (it has figures of its own to bring up to date). */
  transcriptRead: (sessionId: string) => boolean;
}

export function prepareStatusLineStatements(db: Db): StatusLineStatements {
  const previous = db.prepare(`SELECT ${SAMPLE_COLUMNS.join(', ')} FROM statusline_samples
    WHERE session_id = @sessionId AND (sampled_at < @sampledAt OR (sampled_at = @sampledAt AND payload_id < @payloadId))
    ORDER BY sampled_at DESC, payload_id DESC LIMIT 1`);
  const hasSample = db.prepare('SELECT 1 FROM statusline_samples WHERE payload_id = ?').pluck();
  // `event = 'StatusLine'` as a literal: it is what lets SQLite use the partial index (0007). The
  // id's kind as well: a hook payload that calls itself StatusLine is no snapshot, and is kept.
  const newest = db.prepare(`SELECT max(id) FROM payloads WHERE event = 'StatusLine' AND session_id = ? AND id GLOB '*-statusline'`).pluck();
  // A dead letter's row stays: it is how a retried dead letter shows as applied (dead_letters).
  const prune = db.prepare(`DELETE FROM payloads WHERE event = 'StatusLine' AND session_id = ? AND id < ?
    AND id GLOB '*-statusline' AND id NOT IN (SELECT id FROM dead_letters)`);
  const insert = db.prepare(`INSERT INTO statusline_samples (session_id, sampled_at, payload_id, ${SAMPLE_COLUMNS.join(', ')})
    VALUES (@session_id, @sampled_at, @payload_id, ${SAMPLE_COLUMNS.map((c) => `@${c}`).join(', ')})`);
  // A status line is not a hook event: it does not move a known session's times (an idle session
  // refreshes it every second), it only gives a new session its first ones. Hooks and the
  // transcript stay the source of cwd and times.
  const ensure = db.prepare(`
    INSERT INTO sessions (session_id, start_time, end_time, cwd, transcript_path)
    VALUES (@sessionId, @at, @at, @cwd, @transcriptPath)
    ON CONFLICT (session_id) DO UPDATE SET
      start_time = COALESCE(start_time, excluded.start_time),
      end_time = COALESCE(end_time, excluded.end_time),
      cwd = COALESCE(cwd, excluded.cwd),
      transcript_path = COALESCE(transcript_path, excluded.transcript_path)
    WHERE start_time IS NULL OR end_time IS NULL OR (cwd IS NULL AND excluded.cwd IS NOT NULL)
       OR (transcript_path IS NULL AND excluded.transcript_path IS NOT NULL)`);
  const read = db.prepare('SELECT 1 FROM transcript_reads WHERE session_id = ?').pluck();
  return {
    transcriptRead: (sessionId) => read.get(sessionId) !== undefined,
    previous: (sessionId, sampledAt, payloadId) => previous.get({ sessionId, sampledAt, payloadId }) as SampleValues | undefined,
    hasSample: (payloadId) => hasSample.get(payloadId) !== undefined,
    newestSnapshot: (sessionId) => (newest.get(sessionId) as string | null) ?? undefined,
    pruneLedger: (sessionId, newestId) => void prune.run(sessionId, newestId),
    insertSample: (sessionId, sampledAt, payloadId, sample) => void insert.run({ session_id: sessionId, sampled_at: sampledAt, payload_id: payloadId, ...sample }),
    ensureSession: (sessionId, at, cwd, transcriptPath) => void ensure.run({ sessionId, at, cwd, transcriptPath }),
  };
}

/** Whether a snapshot records something its predecessor did not (durations aside). */
export function sampleChanged(before: SampleValues | undefined, now: SampleValues): boolean {
  if (before === undefined) return true;
  return SAMPLE_COLUMNS.some((c) => !UNCOMPARED.has(c) && before[c] !== now[c]);
}

export interface StatusLineOutcome {
  /**
   * False when the id was already in the ledger: nothing else was done. A snapshot whose row was
   * pruned (a newer one of its session applied since) is fresh again if replayed, and re-applies
   * without effect: its sample, if it recorded one, is the one in force at its time, and it is not
   * the session's newest.
   */
  fresh: boolean;
  /** A statusline_samples row was added. */
  sampled: boolean;
  /** The session took this snapshot's figures (it was the newest so far). */
  reported: boolean;
}

/**
 * Records the snapshot in the ledger, prunes the session's older StatusLine rows, and applies it.
 * `sampledAt` is the payload's time (from its id); snapshots may come out of order (a drain
 * after an outage): each is compared with the sample in force at its own time, and only the
 * newest one's figures stay on the session. Applying a snapshot again (replayed after its ledger
 * row was pruned) adds no second sample (it has one, or its values are the ones in force) and
 * leaves reported_* alone (a newer snapshot of the session is in the ledger).
 */
export function applyStatusLine(
  st: ApplyStatements,
  id: string,
  sampledAt: string,
  snap: StatusLineSnapshot,
  now: string,
  recompute: (sessionId: string, transcriptPath: string) => void = () => undefined,
): StatusLineOutcome {
  if (!st.recordPayload(id, STATUSLINE_EVENT, snap.sessionId, sampledAt, now)) return { fresh: false, sampled: false, reported: false };
  const sl = st.statusLine;
  // Only a session already read: a new one's transcript waits for its hooks (an import, a Stop).
  if (snap.transcriptPath !== null && sl.transcriptRead(snap.sessionId)) recompute(snap.sessionId, snap.transcriptPath);
  // This one's row included: the newest is this id, or a later snapshot's already recorded.
  const newest = sl.newestSnapshot(snap.sessionId) ?? id;
  sl.pruneLedger(snap.sessionId, newest);
  sl.ensureSession(snap.sessionId, sampledAt, snap.cwd, snap.transcriptPath);
  const sampled = !sl.hasSample(id) && sampleChanged(sl.previous(snap.sessionId, sampledAt, id), snap.sample);
  if (sampled) sl.insertSample(snap.sessionId, sampledAt, id, snap.sample);
  const s = snap.sample;
  const cost = {
    ...(s.total_cost_usd !== null && { total_cost_usd: s.total_cost_usd }),
    ...(s.total_duration_ms !== null && { total_duration_ms: s.total_duration_ms }),
    ...(s.total_api_duration_ms !== null && { total_api_duration_ms: s.total_api_duration_ms }),
    ...(s.total_lines_added !== null && { total_lines_added: s.total_lines_added }),
    ...(s.total_lines_removed !== null && { total_lines_removed: s.total_lines_removed }),
  };
  // Not the session's newest snapshot: its figures are older than the ones the session has (and
  // on a tie of times, the higher id wins, whatever the order they applied in).
  const reported = newest === id && Object.keys(cost).length > 0 && st.storeReportedCost(snap.sessionId, cost, 'statusline', sampledAt);
  return { fresh: true, sampled, reported };
}
