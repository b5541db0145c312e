// Spool writing: how a payload enters the spool (used by the hook and by `import`). The bytes go
// to incoming/<id>.json through write-file-atomic (temp file, fsync, rename), then the folder is
// fsynced so the rename itself survives a crash. Kept small: the hook bundles it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { formatPayloadId, spoolDirs } from './spool-layout.js';

/** Writes one payload; creates missing spool folders (0700). Returns its id. */
export function writePayload(root: string, bytes: Buffer | string, options: { syncDir?: boolean } = {}): string {
  const dirs = spoolDirs(root);
  const id = formatPayloadId(Date.now(), process.pid, crypto.randomBytes(6).toString('hex'));
  const file = path.join(dirs.incoming, `${id}.json`);
  try {
    writeFileFully(file, bytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // First run: create spool/ and its folders (0700), then try once more.
    for (const dir of [dirs.incoming, dirs.processing, dirs.dead]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileFully(file, bytes);
  }
  if (options.syncDir !== false) syncIncoming(root);
  return id;
}

/**
 * write-file-atomic (temp file, fsync, rename, mode 0600), refusing to leave a short file: its
 * single write(2) may write only part of the bytes on a nearly full disk and still succeed. So we
 * check for room first, and afterwards that the whole file landed; a short one is removed (unless a
 * worker already took it, which then dead-letters it as not JSON) and reported as ENOSPC.
 */
export function writeFileFully(file: string, bytes: Buffer | string): void {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  const room = fs.statfsSync(path.dirname(file));
  if (room.bavail * room.bsize < size + room.bsize) throw noSpace(file, size);
  writeFileAtomic.sync(file, bytes, { mode: 0o600, fsync: true });
  const written = fs.statSync(file, { throwIfNoEntry: false });
  if (written && written.size !== size) {
    fs.rmSync(file, { force: true });
    throw noSpace(file, size);
  }
}

function noSpace(file: string, size: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device for ${size} bytes in ${path.dirname(file)}`), { code: 'ENOSPC' });
}

/** fsyncs incoming/: write-file-atomic syncs the file but not the folder entry its rename made. */
export function syncIncoming(root: string): void {
  const dirFd = fs.openSync(spoolDirs(root).incoming, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
