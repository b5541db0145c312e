// What the readers (report, status's budgets, the status line, the dashboard) may find in a
// database: the oldest schema they can read, and whether the tables a later migration added are
// there. A module of its own so that the status line's bundle can know it without loading
// queries.ts, whose imports format numbers with Intl at load time (~5 ms of the status line's start).
import type { ReadDb } from './read-db.js';

/** sessions.cwd and cost_source, token_usage.cost_usd, session_models: migration 0003. */
export const MIN_SCHEMA_VERSION = 3;

/** Whether every one of `names` is a table of the database (an older or mirrored one may lack some). */
export function hasTables(db: ReadDb, ...names: string[]): boolean {
  const marks = names.map(() => '?').join(', ');
  return db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (${marks})`).pluck().get(...names) === names.length;
}
