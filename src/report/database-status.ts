// The database at a glance, read-only: its size (with the -wal), schema version, sessions, the
// last hook payload and the last status line snapshot applied, and the cost of a local day's API
// calls. Shared by `status` (which opens the file by path) and the dashboard's pipeline view (on
// its open connection). An older schema gives what it has; nothing is written.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { type LocalRange, spentBetween } from './spend.js';

export interface DatabaseStatus {
  path: string;
  exists: boolean;
  /** The database file plus its -wal file. */
  size_bytes: number;
  schema_version: number | null;
  sessions: number;
  /** The last hook payload applied (status line snapshots aside: an idle session refreshes one every second). */
  last_applied: { id: string; event: string; session_id: string; applied_at: string } | null;
  /** The last status line snapshot applied (the ledger keeps each session's newest only). */
  last_statusline: { id: string; session_id: string; applied_at: string } | null;
  /** Why the database could not be read (in full), when it could not. */
  error: string | null;
}

/** The local day as a UTC range (src/report/spend.ts). */
export type DayRange = LocalRange;

export interface DayCost extends DayRange {
  /** Sum of token_usage.cost_usd for calls in [start, end); null when the database has no costs. */
  cost_usd: number | null;
  api_calls: number;
}

function fileSize(file: string): number {
  return fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

function emptyStatus(dbPath: string): DatabaseStatus {
  return {
    path: dbPath,
    exists: fs.existsSync(dbPath),
    size_bytes: fileSize(dbPath) + fileSize(`${dbPath}-wal`),
    schema_version: null,
    sessions: 0,
    last_applied: null,
    last_statusline: null,
    error: null,
  };
}

/** What an open connection says of its database; `database` and `day` are filled in. Throws what SQLite throws. */
export function readDatabaseStatus(db: Database.Database, database: DatabaseStatus, day: DayCost): void {
  const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
  database.schema_version = db.pragma('user_version', { simple: true }) as number;
  if (tables.has('sessions')) database.sessions = db.prepare('SELECT count(*) FROM sessions').pluck().get() as number;
  if (tables.has('payloads')) {
    // The highest id (the hook's time) is the last applied: the worker applies in name order,
    // and a primary-key lookup stays instant on a ledger of millions. Status line snapshots (by
    // their id's kind) are skipped on the way: at most one per session since schema 7.
    const row = db.prepare(`SELECT id, event, session_id, applied_at FROM payloads WHERE id NOT GLOB '*-statusline' ORDER BY id DESC LIMIT 1`).get();
    database.last_applied = (row as DatabaseStatus['last_applied']) ?? null;
    const snap = db.prepare(`SELECT id, session_id, applied_at FROM payloads WHERE event = 'StatusLine' AND id GLOB '*-statusline' ORDER BY id DESC LIMIT 1`).get();
    database.last_statusline = (snap as DatabaseStatus['last_statusline']) ?? null;
  }
  Object.assign(day, spentBetween(db, day.start, day.end));
}

/** The database's status on a connection already open (the dashboard's), with the day's cost. */
export function databaseStatusOf(db: Database.Database, dbPath: string, range: DayRange): { database: DatabaseStatus; day: DayCost } {
  const database = emptyStatus(dbPath);
  const day: DayCost = { ...range, cost_usd: null, api_calls: 0 };
  readDatabaseStatus(db, database, day);
  return { database, day };
}

/** Reads what it can from the database file, read-only; why it could not is in `error`. */
export function gatherDatabase(dbPath: string, range: DayRange): { database: DatabaseStatus; day: DayCost } {
  const database = emptyStatus(dbPath);
  const day: DayCost = { ...range, cost_usd: null, api_calls: 0 };
  if (!database.exists) return { database, day };
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 1000 });
    readDatabaseStatus(db, database, day);
  } catch (err) {
    database.error = (err as Error).message;
  } finally {
    db?.close();
  }
  return { database, day };
}
