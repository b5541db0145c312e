// Spool writing: how a payload enters the spool (used by the hook and by `import`). The bytes go
// to incoming/<id>.json through write-file-atomic (temp file, fsync, rename), then the folder is
// fsynced so the rename itself survives a crash. Kept small: the hook bundles it.
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { makeDirs } from './make-dirs.js';
import { type PayloadKind, formatPayloadId, spoolDirs } from './spool-layout.js';

/** Writes one payload; creates missing spool folders (0700). Returns its id. */
export function writePayload(root: string, bytes: Buffer | string, options: { syncDir?: boolean; kind?: PayloadKind } = {}): string {
  const dirs = spoolDirs(root);
  const id = formatPayloadId(Date.now(), process.pid, randomHex(), options.kind);
  const file = path.join(dirs.incoming, `${id}.json`);
  try {
    writeFileFully(file, bytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // First run: create spool/ and its folders (0700), then try once more.
    for (const dir of [dirs.incoming, dirs.processing, dirs.dead]) makeDirs(fs, path.resolve(dir), 0o700);
    writeFileFully(file, bytes);
  }
  if (options.syncDir !== false) syncIncoming(root);
  return id;
}

/**
 * 48 random bits as 12 hex digits: with the time and the pid they make an id unique (import writes
 * many per millisecond). Math.random, not node:crypto: the hook must not pay for loading OpenSSL,
 * and an id needs uniqueness, not secrecy.
 */
function randomHex(): string {
  const part = () => Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0');
  return part() + part();
}

/**
 * write-file-atomic (temp file, fsync, rename, mode 0600) that cannot leave a short file: its
 * single write(2) may write only part of the bytes on a nearly full disk and still succeed. So as
 * soon as it has created its temp file we write the bytes into it ourselves, looping until all
 * are written (ENOSPC if they cannot be); its own write then only overwrites blocks already
 * allocated. On failure write-file-atomic removes its temp file and rethrows.
 */
export function writeFileFully(file: string, bytes: Buffer | string): void {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  writeFileAtomic.sync(file, data, { mode: 0o600, fsync: true, tmpfileCreated: (tmp: string) => writeAll(tmp, data) });
}

function writeAll(tmp: string, data: Buffer): void {
  const fd = fs.openSync(tmp, 'r+');
  try {
    for (let offset = 0; offset < data.length; ) offset += fs.writeSync(fd, data, offset, data.length - offset, offset);
  } finally {
    fs.closeSync(fd);
  }
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
