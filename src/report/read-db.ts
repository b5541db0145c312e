// The part of a read-only SQLite connection the queries shared with the status line use:
// prepare, then get / all, or pluck for the first column. better-sqlite3's Database fits it as it
// is; the status line's node:sqlite connection (src/statusline/node-sqlite.ts) is adapted to it.
export interface ReadStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** The same statement, answering with its first column's value instead of a row. */
  pluck(): ReadStatement;
}

export interface ReadDb {
  prepare(sql: string): ReadStatement;
}
