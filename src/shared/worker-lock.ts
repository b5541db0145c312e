// The watching worker's lock: at most one watching worker per spool. The lock is an exclusive
// SQLite transaction held open on `<spool>/worker.lock` for the worker's lifetime, so it is a
// POSIX lock the kernel releases when the process dies, however it dies: no stale pid file can
// keep a worker out. `<spool>/worker.pid` beside it says which process holds it (informational;
// `peekWorker` reads only that, for readers that must never touch the lock).
// `--drain` never takes it: a drain alongside a watcher is safe by the spool protocol.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'worker.lock';
export const PID_FILE = 'worker.pid';

export interface HeldLock {
  release(): void;
  /** Set when the pid file could not be written (the lock holds all the same). */
  pidFileError?: string;
}

export interface LockState {
  running: boolean;
  /** The holder's pid as it wrote it, when known. */
  pid: number | null;
  /** When the holder took the lock (RFC 3339), when known. */
  since: string | null;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readPidFile(spoolDir: string): { pid: number | null; since: string | null } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(spoolDir, PID_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { pid: null, since: null };
    throw err;
  }
  const [pidText, since] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : null, since: since ?? null };
}

/** Opens the lock file and tries to hold it; null when another process holds it. */
function tryLock(spoolDir: string): Database.Database | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(path.join(spoolDir, LOCK_FILE), { timeout: 0 });
    // SQLite does not lock an empty database: the table gives the file a page (written once).
    // The journal stays in memory, so holding the lock writes nothing (a full disk is no obstacle).
    db.pragma('journal_mode = MEMORY');
    db.exec('CREATE TABLE IF NOT EXISTS lock (note TEXT)');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (err) {
    db?.close();
    if (isBusy(err)) return null;
    throw err;
  }
}

/**
 * Takes the spool's worker lock, or reports who holds it. The lock lasts until `release()` or
 * the process ends.
 */
export function acquireWorkerLock(spoolDir: string): { held: HeldLock } | { holder: LockState } {
  const db = tryLock(spoolDir);
  if (!db) return { holder: { running: true, ...readPidFile(spoolDir) } };
  const pidFile = path.join(spoolDir, PID_FILE);
  let pidFileError: string | undefined;
  try {
    fs.writeFileSync(pidFile, `${process.pid} ${new Date().toISOString()}\n`, { mode: 0o644 });
  } catch (err) {
    // Informational only (e.g. the spool's disk is full): the lock is what counts.
    pidFileError = (err as Error).message;
    fs.rmSync(pidFile, { force: true });
  }
  return {
    held: {
      pidFileError,
      release(): void {
        // The pid file first: while the lock is still held nobody else can have rewritten it.
        fs.rmSync(pidFile, { force: true });
        db.exec('ROLLBACK');
        db.close();
      },
    },
  };
}

/** Whether a watching worker holds the spool's lock right now, without keeping it. */
export function probeWorkerLock(spoolDir: string): LockState {
  if (!fs.existsSync(path.join(spoolDir, LOCK_FILE))) return { running: false, pid: null, since: null };
  const db = tryLock(spoolDir);
  if (!db) return { running: true, ...readPidFile(spoolDir) };
  db.exec('ROLLBACK');
  db.close();
  return { running: false, pid: null, since: null };
}

/**
 * Who the pid file says holds the lock, when that process is alive; the lock itself is never
 * touched. For a reader that asks every few seconds (the dashboard): a probe taking the lock at the
 * instant a worker starts would make that worker believe the spool taken and exit. A worker killed
 * without its release leaves its pid file, which names a dead process (or, rarely, a reused pid).
 */
export function peekWorker(spoolDir: string): LockState {
  const { pid, since } = readPidFile(spoolDir);
  if (pid === null) return { running: false, pid: null, since: null };
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return { running: false, pid: null, since: null };
    if (code !== 'EPERM') throw err; // EPERM: alive, another user's
  }
  return { running: true, pid, since };
}
