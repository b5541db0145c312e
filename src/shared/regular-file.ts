// Reading a file that an attacker or an accident may have made something else: a symlink is
// never followed and a FIFO never blocks (O_NOFOLLOW | O_NONBLOCK, then fstat before a byte is
// read), and at most a bound is read. Used by the worker for claimed payloads and by the
// dead-letter tools for what lies in dead/.
import fs from 'node:fs';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export type FileKind = 'file' | 'symlink' | 'directory' | 'fifo' | 'socket' | 'device' | 'other';

export function kindOf(stat: fs.Stats): FileKind {
  if (stat.isFile()) return 'file';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isDirectory()) return 'directory';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  return 'other';
}

export type BoundedRead =
  | { kind: 'file'; bytes: Buffer; size: number; cut: number }
  | { kind: Exclude<FileKind, 'file'> };

/**
 * Reads at most `maxBytes` of a regular file; anything else is only named (ENXIO, which a socket
 * gives at open, is 'socket'). `cut` = bytes not read. With `skipLarger`, a file over the bound
 * is not read at all (bytes empty, cut = size). Errors other than ELOOP/ENXIO (ENOENT…) are thrown.
 */
export function readRegularFile(file: string, maxBytes: number, options: { skipLarger?: boolean } = {}): BoundedRead {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'symlink' };
    if (code === 'ENXIO') return { kind: 'socket' };
    throw err;
  }
  try {
    const stat = fs.fstatSync(fd);
    const kind = kindOf(stat);
    if (kind !== 'file') return { kind } as BoundedRead;
    const want = options.skipLarger && stat.size > maxBytes ? 0 : Math.min(stat.size, maxBytes);
    // allocUnsafe: only the `filled` bytes read are ever looked at.
    const bytes = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const n = fs.readSync(fd, bytes, filled, want - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return { kind: 'file', bytes: bytes.subarray(0, filled), size: stat.size, cut: Math.max(0, stat.size - filled) };
  } finally {
    fs.closeSync(fd);
  }
}
