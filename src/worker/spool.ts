// Spool file operations for the worker: claim (rename incoming → processing), read a claimed
// file safely, acknowledge (delete), dead-letter (with a reason), unclaim, and the start-up
// recovery and sweep. The directory is the truth; nothing here touches the database.
import fs from 'node:fs';
import path from 'node:path';
import { type FileKind, readRegularFile } from '../shared/regular-file.js';
import { writeFileFully } from '../shared/spool-write.js';
import { PAYLOAD_FILE_RE, type SpoolDirs, TEMP_FILE_RE, spoolDirs } from '../shared/spool-layout.js';

export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

export function ensureSpool(root: string): SpoolDirs {
  const dirs = spoolDirs(root);
  for (const dir of [dirs.root, dirs.incoming, dirs.processing, dirs.dead]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  return dirs;
}

/** Payload file names in `dir`, sorted by name (= by arrival). */
export function listPayloads(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => PAYLOAD_FILE_RE.test(name)).sort();
}

function isGone(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Claims by rename; false when the file is gone (another worker won, or it was a stale hint).
 * A processing/ removed under the worker is made again (else every claim would look lost and
 * the payloads would wait forever).
 */
export function claimPayload(dirs: SpoolDirs, name: string): boolean {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(`${dirs.incoming}/${name}`, `${dirs.processing}/${name}`);
      return true;
    } catch (err) {
      if (!isGone(err)) throw err;
      if (attempt > 0 || fs.existsSync(dirs.processing)) return false;
      fs.mkdirSync(dirs.processing, { recursive: true, mode: 0o700 });
    }
  }
}

/** Puts a claimed payload back in incoming/ to be tried again later. */
export function unclaimPayload(dirs: SpoolDirs, name: string): void {
  try {
    fs.renameSync(path.join(dirs.processing, name), path.join(dirs.incoming, name));
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

export type ClaimedRead =
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'rejected'; reason: string }
  | { kind: 'gone' };

/** How a dead letter's reason names what a claimed "payload" turned out to be. */
const NOT_A_FILE: Record<Exclude<FileKind, 'file'>, string> = {
  symlink: 'a symlink (never followed)',
  socket: 'a socket or FIFO',
  directory: 'a directory',
  fifo: 'a FIFO',
  device: 'a device',
  other: 'not a file',
};

/** Reads a claimed payload without following symlinks or blocking on a FIFO (regular-file.ts). */
export function readClaimedPayload(dirs: SpoolDirs, name: string): ClaimedRead {
  let read;
  try {
    read = readRegularFile(`${dirs.processing}/${name}`, MAX_PAYLOAD_BYTES, { skipLarger: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw err;
  }
  if (read.kind !== 'file') return { kind: 'rejected', reason: `not a regular file: ${NOT_A_FILE[read.kind]}` };
  if (read.size > MAX_PAYLOAD_BYTES) {
    return { kind: 'rejected', reason: `payload too large: ${read.size} bytes, larger than 8 MiB (${MAX_PAYLOAD_BYTES})` };
  }
  return { kind: 'bytes', bytes: read.bytes };
}

/**
 * Deletes payloads whose effect has committed, in parallel on libuv's thread pool (on a disk
 * with online discard a delete waits ~80 µs; the next batch goes on meanwhile). Resolves with
 * the names that could not be deleted, and why; a name already gone counts as deleted.
 */
export async function acknowledgePayloads(dirs: SpoolDirs, names: readonly string[]): Promise<Array<[string, Error]>> {
  const failed: Array<[string, Error]> = [];
  await Promise.all(
    names.map((name) =>
      fs.promises.unlink(`${dirs.processing}/${name}`).catch((err: NodeJS.ErrnoException) => {
        if (!isGone(err)) failed.push([name, err]);
      }),
    ),
  );
  return failed;
}

export interface DeadLetterReason {
  reason: string;
  stack?: string;
  attempts?: number;
}

/**
 * Moves a claimed payload to dead/<id>.json after writing dead/<id>.error.json, in that order,
 * so that a dead letter never lacks its reason (a crash in between leaves it in processing/,
 * to be tried and dead-lettered again).
 */
export function deadLetter(dirs: SpoolDirs, name: string, why: DeadLetterReason): void {
  const id = name.slice(0, -'.json'.length);
  const error = { ...why, id, dead_lettered_at: new Date().toISOString() };
  writeFileFully(path.join(dirs.dead, `${id}.error.json`), `${JSON.stringify(error, null, 2)}\n`);
  try {
    fs.renameSync(path.join(dirs.processing, name), path.join(dirs.dead, name));
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

/** On start: whatever a crashed worker left claimed goes back to incoming/. */
export function recoverProcessing(dirs: SpoolDirs): number {
  let recovered = 0;
  for (const name of listPayloads(dirs.processing)) {
    unclaimPayload(dirs, name);
    recovered++;
  }
  return recovered;
}

/** Removes write-file-atomic temp files that a killed hook left behind, once old enough. */
export function sweepStaleTemps(dirs: SpoolDirs, maxAgeMs: number, now = Date.now()): number {
  let removed = 0;
  for (const name of fs.readdirSync(dirs.incoming)) {
    if (!TEMP_FILE_RE.test(name)) continue;
    const file = path.join(dirs.incoming, name);
    try {
      const stat = fs.lstatSync(file);
      if (stat.isFile() && now - stat.mtimeMs > maxAgeMs) {
        fs.unlinkSync(file);
        removed++;
      }
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
  return removed;
}
