// The push to the team database at a glance, for `status` and the dashboard's pipeline view:
// whether one is configured, what the pusher last recorded (sync-state.ts), and the lag: the
// local changes after the cursor the server last acknowledged (rows, and the age of the oldest),
// read from the outbox through a read-only connection the caller gives. Never loads pg, never
// connects to PostgreSQL: status must answer while the server is down.
import type { ReadDb } from '../report/read-db.js';
import { InvalidConfigError, loadUserConfig } from '../shared/user-config.js';
import { type SyncState, readSyncState } from './sync-state.js';
import { SyncTargetError, resolveSyncTarget } from './target.js';

export interface SyncStatus {
  /** A team database is set (flag aside: environment or config file), its URL without password. */
  configured: string | null;
  /** Why the configured target cannot be used (a bad URL or name), else null. */
  config_error: string | null;
  state: SyncState | null;
  lag: { rows: number; oldest_change_at: string | null; age_seconds: number | null } | null;
  error: string | null;
}

/** The team database set in the environment or the config file (no flags here): its URL as shown, or why it cannot be used. */
export function configuredSyncTarget(configFile: string, env: NodeJS.ProcessEnv = process.env): { shown: string | null; error: string | null } {
  try {
    return { shown: resolveSyncTarget({}, loadUserConfig(configFile).sync, env)?.shown ?? null, error: null };
  } catch (err) {
    if (err instanceof SyncTargetError) return { shown: null, error: err.message };
    // An unusable config file is the budgets' problem already (one message, not two).
    if (err instanceof InvalidConfigError) return { shown: null, error: null };
    throw err;
  }
}

/** A lag older than this, with pushes not succeeding, is worth a person's attention. */
export const SYNC_LAG_PROBLEM_SECONDS = 15 * 60;

/** The outbox after `ackedSeq` (schema 10 or later; else null). */
export function outboxLag(db: ReadDb, schemaVersion: number, ackedSeq: number, now: number): SyncStatus['lag'] {
  if (schemaVersion < 10) return null;
  const r = db.prepare('SELECT COUNT(*) AS rows, MIN(changed_at) AS oldest FROM sync_outbox WHERE seq > ?').get(ackedSeq) as { rows: number; oldest: string | null };
  const age = r.oldest === null ? null : Math.max(0, Math.round((now - Date.parse(r.oldest)) / 1000));
  return { rows: Number(r.rows), oldest_change_at: r.oldest, age_seconds: age };
}

export function gatherSync(dbPath: string, configured: { shown: string | null; error: string | null }, db: { conn: ReadDb; schemaVersion: number } | null, now = Date.now()): SyncStatus {
  const status: SyncStatus = { configured: configured.shown, config_error: configured.error, state: null, lag: null, error: null };
  try {
    status.state = readSyncState(dbPath);
  } catch (err) {
    status.error = (err as Error).message;
  }
  if (db && (status.configured !== null || status.state !== null)) {
    try {
      status.lag = outboxLag(db.conn, db.schemaVersion, status.state?.acked_seq ?? 0, now);
    } catch (err) {
      status.error = (err as Error).message;
    }
  }
  return status;
}

/** What needs a person: a push failing now, a bad target, pushes that never ran while changes wait. */
export function syncProblems(s: SyncStatus): string[] {
  const problems: string[] = [];
  if (s.config_error) problems.push(`the team database setting cannot be used: ${s.config_error}`);
  if (s.error) problems.push(`cannot tell how the push to the team database goes: ${s.error}`);
  const st = s.state;
  if (st?.last_error) {
    problems.push(`pushing to the team database (${st.target}) fails since ${st.last_error_at} (${st.consecutive_failures} tries): ${st.last_error}${s.lag ? `; ${s.lag.rows} changes wait` : ''}`);
  } else if (s.configured !== null && st === null && s.lag && s.lag.rows > 0) {
    problems.push(`a team database is set (${s.configured}) but nothing was pushed yet: start the worker with it, or run 'claude-metrics sync --once'`);
  } else if (st && s.lag && s.lag.age_seconds !== null && s.lag.age_seconds > SYNC_LAG_PROBLEM_SECONDS) {
    problems.push(`the team database is ${s.lag.rows} changes behind (the oldest ${Math.round(s.lag.age_seconds / 60)} min old): is a worker with --postgres or 'claude-metrics sync' running?`);
  }
  return problems;
}

export function formatSync(s: SyncStatus): string {
  if (s.configured === null && s.state === null) return 'not set (a team database: docs/TEAM.md)';
  const st = s.state;
  const parts = [st?.target ?? s.configured ?? '?'];
  if (st) parts.push(`as ${st.developer}@${st.machine}`);
  if (st?.last_success_at) parts.push(`last pushed ${st.last_success_at} (cursor ${st.acked_seq})`);
  else parts.push('never pushed');
  if (s.lag) parts.push(`lag ${s.lag.rows} changes${s.lag.age_seconds !== null ? `, oldest ${s.lag.age_seconds}s` : ''}`);
  if (st?.last_error) parts.push(`last error ${st.last_error_at}: ${st.last_error}`);
  return parts.join('; ');
}
