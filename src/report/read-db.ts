// The part of a read-only SQLite connection the queries use: prepare, then get / all, or pluck for
// the first column. better-sqlite3's Database fits it as it is; a node:sqlite connection
// (node-sqlite.ts) is adapted to it. openReadConnection opens one for the status line and the
// reports: node:sqlite where this Node has it, else better-sqlite3, loaded only then.
import type BetterSqlite3 from 'better-sqlite3';
import { openNodeSqlite } from './node-sqlite.js';
export interface ReadStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** The same statement, answering with its first column's value instead of a row. */
  pluck(): ReadStatement;
  /** The same statement, answering with each row as an array of its columns' values, in order (no object per row). */
  raw(): ReadStatement;
}

export interface ReadDb {
  prepare(sql: string): ReadStatement;
}

export interface ReadConnection extends ReadDb {
  /** PRAGMA user_version. */
  schemaVersion(): number;
  close(): void;
}

/** The database read-only with a busy timeout: node:sqlite where this Node has it, else better-sqlite3. */
export function openReadConnection(file: string, busyTimeoutMs: number): ReadConnection {
  return openNodeSqlite(file, busyTimeoutMs) ?? openBetterSqlite(file, busyTimeoutMs);
}

function openBetterSqlite(file: string, busyTimeoutMs: number): ReadConnection {
  // Only where node:sqlite is missing: node:module is loaded for this path alone. __filename in
  // the CommonJS bundle and in dist/main.js's chunks (their banner); import.meta.url under tsx.
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
  const requireHere = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  const Database = requireHere('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  return {
    prepare: (sql) => db.prepare(sql),
    schemaVersion: () => db.pragma('user_version', { simple: true }) as number,
    close: () => db.close(),
  };
}
