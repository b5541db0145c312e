// What the pusher last knew, for `status` and the dashboard: a small JSON file beside the
// database (`<db>-sync.json`, 0600, replaced atomically), never a table. The pusher runs beside
// the worker, whose batch transaction may be open across awaits; a write of its own to the
// database would wait on that lock with the event loop blocked. The file is advisory: the
// cursor that counts is the one the team database holds.
import fs from 'node:fs';
import writeFileAtomic from 'write-file-atomic';

export interface SyncState {
  /** The team database, its password hidden. */
  target: string;
  replica_id: string | null;
  machine: string;
  developer: string;
  /** The server's cursor after the last successful push (an outbox sequence number). */
  acked_seq: number;
  /** When a push last succeeded (RFC 3339). */
  last_success_at: string | null;
  last_attempt_at: string | null;
  /** The last failure's message (never a password) and when; cleared by the next success. */
  last_error: string | null;
  last_error_at: string | null;
  consecutive_failures: number;
  /** The process pushing (a worker or `sync`), to tell a stale file from a live pusher. */
  pid: number;
}

export function syncStatePath(dbFile: string): string {
  return `${dbFile}-sync.json`;
}

export function writeSyncState(dbFile: string, state: SyncState): void {
  writeFileAtomic.sync(syncStatePath(dbFile), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The state file, or null when no pusher has written one; a damaged file is an error naming it. */
export function readSyncState(dbFile: string): SyncState | null {
  const file = syncStatePath(dbFile);
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) throw new Error(`${file} is not a regular file`);
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as SyncState;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
}
