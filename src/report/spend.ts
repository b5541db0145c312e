// What was spent over a local period: the day, week (Monday first) or month around an instant in
// the system's time zone, as a UTC range, and the sum of token_usage.cost_usd over such a range.
// Shared by `status`, the status line and the budget checks. Pure functions of a read-only
// connection; an older schema (no token_usage, no cost_usd) gives what it has.
import type Database from 'better-sqlite3';

/** A local period as a UTC range. */
export interface LocalBounds {
  /** The period's first local day, YYYY-MM-DD, in the system time zone. */
  date: string;
  /** The period's first instant, RFC 3339 UTC. */
  start: string;
  /** The next period's first instant, RFC 3339 UTC (exclusive). */
  end: string;
}

export interface LocalRange extends LocalBounds {
  /** The system time zone's name. */
  time_zone: string;
}

export interface Spent {
  /** Sum of token_usage.cost_usd for calls in [start, end); null when the database has no costs. */
  cost_usd: number | null;
  api_calls: number;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Built with the Date constructor's local fields, so a day with a DST change is 23 or 25 hours.
 * No Intl here: creating a DateTimeFormat costs the status line ~12 ms.
 */
function boundsOf(y: number, m: number, d: number, next: Date): LocalBounds {
  return { date: `${String(y).padStart(4, '0')}-${pad2(m + 1)}-${pad2(d)}`, start: new Date(y, m, d).toISOString(), end: next.toISOString() };
}

/** The local day (system time zone) as a UTC range, with the zone's name (for `status`). */
export function localDayRange(date?: string, now: Date = new Date()): LocalRange {
  return { ...localDayBounds(date, now), time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone };
}

/** The local day (system time zone) as a UTC range: `date` YYYY-MM-DD, or the day of `now`. */
export function localDayBounds(date?: string, now: Date = new Date()): LocalBounds {
  let y = now.getFullYear();
  let m = now.getMonth();
  let d = now.getDate();
  if (date !== undefined) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    const [py, pm, pd] = match ? [Number(match[1]), Number(match[2]) - 1, Number(match[3])] : [NaN, NaN, NaN];
    const check = new Date(py, pm, pd);
    if (!match || check.getFullYear() !== py || check.getMonth() !== pm || check.getDate() !== pd) {
      throw new RangeError(`not a date (YYYY-MM-DD): ${JSON.stringify(date)}`);
    }
    [y, m, d] = [py, pm, pd];
  }
  return boundsOf(y, m, d, new Date(y, m, d + 1));
}

/** The local week (Monday first, as `report weekly`) holding `now`. */
export function localWeekBounds(now: Date = new Date()): LocalBounds {
  const back = (now.getDay() + 6) % 7;
  const y = now.getFullYear();
  const m = now.getMonth();
  const d = now.getDate() - back;
  const first = new Date(y, m, d);
  return boundsOf(first.getFullYear(), first.getMonth(), first.getDate(), new Date(y, m, d + 7));
}

/** The local calendar month holding `now`. */
export function localMonthBounds(now: Date = new Date()): LocalBounds {
  const y = now.getFullYear();
  const m = now.getMonth();
  return boundsOf(y, m, 1, new Date(y, m + 1, 1));
}

/** Cost and calls of the API calls whose time is in [start, end). */
export function spentBetween(db: Database.Database, start: string, end: string): Spent {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'token_usage'").get() !== undefined;
  if (!hasTable) return { cost_usd: null, api_calls: 0 };
  const hasCost = db.prepare("SELECT 1 FROM pragma_table_info('token_usage') WHERE name = 'cost_usd'").get() !== undefined;
  // RFC 3339 UTC text compares as time: a range on the indexed column.
  const sum = db
    .prepare(`SELECT count(*) AS calls${hasCost ? ', total(cost_usd) AS cost' : ''} FROM token_usage WHERE timestamp >= ? AND timestamp < ?`)
    .get(start, end) as { calls: number; cost?: number };
  return { cost_usd: sum.cost ?? null, api_calls: sum.calls };
}
