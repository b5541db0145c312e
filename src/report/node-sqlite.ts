// A read-only connection through node:sqlite, built into Node (22.13 and later without a flag):
// it opens in ~2.5 ms where loading better-sqlite3's 2 MB native module costs ~8 ms, which the
// status line (after every turn) and the reports feel. Adapted to the queries' ReadDb shape
// (read-db.ts). Returns null where node:sqlite cannot be loaded (an older Node 22): openReadConnection
// then uses better-sqlite3.
import type { ReadConnection, ReadStatement } from './read-db.js';

interface NodeStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Node 22.16 / 24 and later: rows as arrays. */
  setReturnArrays?(enabled: boolean): void;
}

interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}

type NodeSqlite = { DatabaseSync: new (path: string, options: { readOnly: boolean }) => NodeDatabase };

function loadNodeSqlite(): NodeSqlite | null {
  // process.getBuiltinModule rather than a require: no node:module (and its source maps) to load.
  // node:sqlite announces itself with an ExperimentalWarning on stderr, which the status line must
  // keep quiet: the warning is dropped while the module loads, and only that one.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite/i.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    // undefined where this Node has no node:sqlite (before 22.5, or behind a flag before 22.13).
    return (process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined) ?? null;
  } finally {
    process.emitWarning = emitWarning;
  }
}

function adapt(statement: NodeStatement, firstColumn: boolean): ReadStatement {
  const first = (row: unknown): unknown => (row === undefined || row === null ? undefined : Object.values(row as Record<string, unknown>)[0]);
  return {
    get: (...params) => (firstColumn ? first(statement.get(...params)) : statement.get(...params)),
    all: (...params) => (firstColumn ? statement.all(...params).map(first) : statement.all(...params)),
    pluck: () => adapt(statement, true),
    raw: () => {
      // Arrays straight from node:sqlite (a row object per row costs ~2x as much to build), else
      // each row's values.
      if (statement.setReturnArrays) {
        statement.setReturnArrays(true);
        return adapt(statement, false);
      }
      const values = (row: unknown): unknown => (row === undefined || row === null ? row : Object.values(row as Record<string, unknown>));
      return { ...adapt(statement, false), get: (...params) => values(statement.get(...params)), all: (...params) => statement.all(...params).map(values) };
    },
  };
}

/** The database read-only through node:sqlite with a busy timeout, or null without node:sqlite. */
export function openNodeSqlite(file: string, busyTimeoutMs: number): ReadConnection | null {
  const sqlite = loadNodeSqlite();
  if (sqlite === null) return null;
  const db = new sqlite.DatabaseSync(file, { readOnly: true });
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    prepare: (sql) => adapt(db.prepare(sql), false),
    schemaVersion: () => Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version),
    close: () => db.close(),
  };
}
