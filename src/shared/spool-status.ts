// The spool at a glance, read-only: how many payloads wait in incoming/ and processing/, how many
// dead letters, how long the oldest has waited (from its id), and whether a watching worker holds
// the spool. Shared by `status` and the dashboard's pipeline view. Creates and changes nothing.
import fs from 'node:fs';
import { deadLetterIds } from './dead-letters.js';
import { PAYLOAD_FILE_RE, payloadIdOf, receivedAtOf, spoolDirs } from './spool-layout.js';
import { type LockState, probeWorkerLock } from './worker-lock.js';

export interface SpoolStatus {
  path: string;
  exists: boolean;
  incoming: number;
  processing: number;
  dead: number;
  oldest_waiting: { id: string; received_at: string; age_seconds: number } | null;
  /** Payloads (incoming or processing) received more than max_wait_seconds ago. */
  waiting_too_long: number;
  max_wait_seconds: number;
}

/** Payload ids in one spool folder; a missing folder has none. */
function payloadIdsIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => PAYLOAD_FILE_RE.test(n)).map((n) => payloadIdOf(n)!);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function gatherSpool(root: string, maxWaitSeconds: number, now = Date.now()): SpoolStatus {
  const dirs = spoolDirs(root);
  const incoming = payloadIdsIn(dirs.incoming);
  const processing = payloadIdsIn(dirs.processing);
  const waiting = [...incoming, ...processing];
  const ageSeconds = (id: string): number => Math.max(0, (now - receivedAtOf(id).getTime()) / 1000);
  // Ids sort by time (13-digit ms first).
  const oldest = waiting.length > 0 ? waiting.reduce((a, b) => (b < a ? b : a)) : null;
  return {
    path: root,
    exists: fs.existsSync(root),
    incoming: incoming.length,
    processing: processing.length,
    dead: deadLetterIds(dirs.dead).length,
    oldest_waiting: oldest === null ? null : { id: oldest, received_at: receivedAtOf(oldest).toISOString(), age_seconds: Math.floor(ageSeconds(oldest)) },
    waiting_too_long: waiting.filter((id) => ageSeconds(id) > maxWaitSeconds).length,
    max_wait_seconds: maxWaitSeconds,
  };
}

export function gatherWorker(root: string): LockState {
  return fs.existsSync(root) ? probeWorkerLock(root) : { running: false, pid: null, since: null };
}
