// What was spent over a local period: the day, week (Monday first) or month around an instant in
// the system's time zone, as a UTC range, and the sum of token_usage.cost_usd over such a range.
// Shared by `status`, the status line and the budget checks. Pure functions of a read-only
// connection; an older schema (no token_usage, no cost_usd) gives what it has.
import type { ReadDb, ReadStatement } from './read-db.js';
import { hasTables } from './schema.js';

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
export function spentBetween(db: ReadDb, start: string, end: string): Spent {
  if (!hasTables(db, 'token_usage')) return { cost_usd: null, api_calls: 0 };
  const hasCost = db.prepare("SELECT 1 FROM pragma_table_info('token_usage') WHERE name = 'cost_usd'").get() !== undefined;
  if (!hasCost) {
    const calls = db.prepare('SELECT count(*) FROM token_usage WHERE timestamp >= ? AND timestamp < ?').pluck().get(start, end) as number;
    return { cost_usd: null, api_calls: calls };
  }
  const sums = callSums(db, Date.parse(start), Date.parse(end));
  return { cost_usd: sums.cost_usd, api_calls: sums.calls };
}

export interface CallSums {
  calls: number;
  /** Calls of a model without a price (their cost is not in cost_usd). */
  unpriced_calls: number;
  cost_usd: number;
}

const HOUR_MS = 3_600_000;
/** Call times the rollups count: RFC 3339 text ('YYYY-MM-DDT…'); the old hook's format is not. */
const RFC3339_CALL = "substr(timestamp, 11, 1) = 'T'";

interface SumStatements {
  calls: ReadStatement;
  hours: ReadStatement | null;
}

const sumStatements = new WeakMap<ReadDb, SumStatements>();

function statementsOf(db: ReadDb): SumStatements {
  let st = sumStatements.get(db);
  if (!st) {
    const hasRollups = hasTables(db, 'usage_hours');
    st = {
      calls: db.prepare(`SELECT count(*) AS calls, count(*) - count(cost_usd) AS unpriced_calls, total(cost_usd) AS cost_usd
        FROM token_usage WHERE timestamp >= ? AND timestamp < ? AND ${RFC3339_CALL}`),
      hours: hasRollups
        ? db.prepare('SELECT total(api_calls) AS calls, total(unpriced_calls) AS unpriced_calls, total(cost_usd) AS cost_usd FROM usage_hours WHERE hour >= ? AND hour < ?')
        : null,
    };
    sumStatements.set(db, st);
  }
  return st;
}

/**
 * The calls whose time is in [startMs, endMs): the whole UTC hours inside the range from the
 * rollups (usage_hours, kept equal to token_usage: ARCHITECTURE invariant 22), the part-hours at
 * either edge from token_usage; token_usage alone on a database without rollups. A range over a
 * running session's hundred thousand calls then costs a few rows, which the status line needs
 * after every turn.
 */
export function callSums(db: ReadDb, startMs: number, endMs: number): CallSums {
  const st = statementsOf(db);
  const iso = (ms: number): string => new Date(ms).toISOString();
  const fromCalls = (a: number, b: number): CallSums => (a < b ? sumsOf(st.calls.get(iso(a), iso(b))) : NO_CALLS);
  const hours = st.hours;
  if (hours === null) return fromCalls(startMs, endMs);
  const fromHours = (first: number, end: number): CallSums => (first < end ? sumsOf(hours.get(first, end)) : NO_CALLS);
  // A part of one hour, [a, b): its calls counted directly when it is the smaller half, else the
  // hour's rollup less the calls outside it. "Today" and the active block end at now, most of the
  // way through the current hour, whose outside part is the future: no call at all to read.
  const partHour = (a: number, b: number): CallSums => {
    if (!(a < b)) return NO_CALLS;
    if (b - a <= HOUR_MS / 2) return fromCalls(a, b);
    const hour = Math.floor(a / HOUR_MS);
    return minus(fromHours(hour, hour + 1), fromCalls(hour * HOUR_MS, a), fromCalls(b, (hour + 1) * HOUR_MS));
  };
  const firstHour = Math.ceil(startMs / HOUR_MS);
  const endHour = Math.floor(endMs / HOUR_MS);
  if (firstHour > endHour) return partHour(startMs, endMs); // inside one hour
  return plus(fromHours(firstHour, endHour), partHour(startMs, firstHour * HOUR_MS), partHour(endHour * HOUR_MS, endMs));
}

const NO_CALLS: CallSums = { calls: 0, unpriced_calls: 0, cost_usd: 0 };

/** A row of either sum statement as numbers (a driver may hand back bigints). */
function sumsOf(row: unknown): CallSums {
  const r = row as CallSums;
  return { calls: Number(r.calls), unpriced_calls: Number(r.unpriced_calls), cost_usd: Number(r.cost_usd) };
}

function plus(...sums: CallSums[]): CallSums {
  return sums.reduce((a, b) => ({ calls: a.calls + b.calls, unpriced_calls: a.unpriced_calls + b.unpriced_calls, cost_usd: a.cost_usd + b.cost_usd }));
}

/** `whole` less the `parts` of it; a cost never goes below 0 through rounding. */
function minus(whole: CallSums, ...parts: CallSums[]): CallSums {
  const part = plus(NO_CALLS, ...parts);
  return {
    calls: whole.calls - part.calls,
    unpriced_calls: whole.unpriced_calls - part.unpriced_calls,
    cost_usd: part.calls === 0 ? whole.cost_usd : Math.max(0, whole.cost_usd - part.cost_usd),
  };
}
