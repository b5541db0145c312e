// The status line's figures from the database: this session's row, the local day's, week's and
// month's spending, and the active 5-hour block, each only when a field shown needs it. The
// database is opened read-only with a short busy timeout, through node:sqlite where this Node has
// it (fast to load), else better-sqlite3 (native, the slowest thing to load), and only when the
// database file exists. Any failure ends the reading with a note and the figures read so far: the
// line is printed whatever happens.
import fs from 'node:fs';
import { type ActiveBlock, activeBlock } from '../report/blocks.js';
import { MIN_SCHEMA_VERSION } from '../report/schema.js';
import { periodBounds } from '../report/budgets.js';
import { callSums } from '../report/spend.js';
import { openReadConnection } from '../report/read-db.js';
import type { DbNeed } from './fields.js';

/** How long a query may wait for a lock before the line goes without the database's figures. */
export const BUSY_TIMEOUT_MS = 100;

export interface SessionRow {
  total_cost_usd: number | null;
  cost_complete: number | null;
  /** 'transcript' when the figures come from its transcripts (exact). */
  cost_source: string | null;
  reported_cost_usd: number | null;
}

export interface DbFigures {
  session: SessionRow | null;
  day: number | null;
  week: number | null;
  month: number | null;
  block: ActiveBlock | null;
}

export function readDbFigures(dbPath: string, sessionId: string | null, needs: Set<DbNeed>, now: Date, note: (message: string) => void): DbFigures {
  const figures: DbFigures = { session: null, day: null, week: null, month: null, block: null };
  if (!fs.existsSync(dbPath)) {
    note(`no database at ${dbPath}: costs from the payload only`);
    return figures;
  }
  try {
    const db = openReadConnection(dbPath, BUSY_TIMEOUT_MS);
    const version = db.schemaVersion();
    if (version < MIN_SCHEMA_VERSION) {
      note(`${dbPath} has schema version ${version} (< ${MIN_SCHEMA_VERSION}): run the worker once to upgrade it`);
      return figures;
    }
    if (sessionId !== null) {
      const row = db.prepare('SELECT total_cost_usd, cost_complete, cost_source, reported_cost_usd FROM sessions WHERE session_id = ?').get(sessionId);
      figures.session = (row as SessionRow | undefined) ?? null;
    }
    for (const period of ['day', 'week', 'month'] as const) {
      if (!needs.has(period)) continue;
      // callSums, not spentBetween: the schema version checked above has token_usage.cost_usd.
      const range = periodBounds(period, now);
      figures[period] = callSums(db, Date.parse(range.start), Date.parse(range.end)).cost_usd;
    }
    if (needs.has('block')) figures.block = activeBlock(db, now);
  } catch (err) {
    note(`cannot read ${dbPath}: ${(err as Error).message}`);
  }
  // Not closed: the process ends as soon as the line is printed, which releases the read-only
  // connection (it holds no lock between statements and writes nothing); closing costs ~0.3 ms.
  return figures;
}
