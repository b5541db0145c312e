// The rollups of migrations 0009 and 0013 as the reports read them: usage_hours (token_usage summed
// per UTC hour, session and model), usage_days (per UTC day and model) and usage_sessions (per
// session and model, with its first and last hour), kept by triggers. Whether they
// can answer for a time zone and range, and the SQL sources built on them. A UTC hour lies in a
// single local day only where the offset is a whole number of hours changing at whole hours
// (every zone but a few such as Asia/Kolkata, +05:30, or Australia/Lord_Howe, whose DST moves 30
// minutes); elsewhere the reports read token_usage (usage-report.ts). Pure but for hasRollups and
// hasSessionRollup.
import type { ReadDb } from './read-db.js';
import type { Grain, OffsetPeriod } from './time.js';
import { hasTables } from './schema.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The calls the reports count and the rollups hold: an RFC 3339 time ('YYYY-MM-DDTHH…') SQLite can read. */
export const READABLE = "typeof(timestamp) = 'text' AND substr(timestamp, 11, 1) = 'T' AND unixepoch(timestamp) IS NOT NULL";
export const SUMS = ['api_calls', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'cost_usd'] as const;

/** Whether the database has the rollups (a database the worker has not upgraded yet may not). */
export function hasRollups(db: ReadDb): boolean {
  return hasTables(db, 'usage_hours', 'usage_days');
}

/** Whether the database has usage_sessions (migration 0013; a mirror or an older database may not). */
export function hasSessionRollup(db: ReadDb): boolean {
  return hasTables(db, 'usage_sessions');
}

/**
 * Rows (session_id, model, a, b, sums) of the calls in [@fromH, @toH) per session and model, a and
 * b their first and last hour: usage_sessions' rows as they are for the sessions whose hours all
 * lie in the range (every one when it is open: one pass in key order, no sort), usage_hours
 * summed for those that straddle a bound. Without usage_sessions, usage_hours summed for all.
 */
export function sessionSumsSql(withSessionRollup: boolean, open: boolean): string {
  const cols = SUMS.join(', ');
  const sums = SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ');
  const fromHours = (which: string): string =>
    `SELECT session_id, model, min(hour) AS a, max(hour) AS b, ${sums} FROM usage_hours WHERE hour >= @fromH AND hour < @toH${which} GROUP BY session_id, model`;
  if (!withSessionRollup) return fromHours('');
  if (open) return `SELECT session_id, model, first_hour AS a, last_hour AS b, ${cols} FROM usage_sessions`;
  const inside = 'first_hour >= @fromH AND last_hour < @toH';
  return `SELECT session_id, model, first_hour AS a, last_hour AS b, ${cols} FROM usage_sessions WHERE ${inside}
    UNION ALL ${fromHours(` AND (session_id, model) IN (SELECT session_id, model FROM usage_sessions WHERE first_hour < @toH AND last_hour >= @fromH AND NOT (${inside}))`)}`;
}

/** Whether every UTC hour lies in one local day: offsets of whole hours, changing at whole hours, and range bounds at whole hours. */
export function wholeHours(periods: OffsetPeriod[], bounds: Array<number | null>): boolean {
  return (
    periods.every((p, i) => p.offsetSeconds % 3600 === 0 && (i === 0 || p.fromMs % HOUR_MS === 0)) &&
    bounds.every((b) => b === null || b % HOUR_MS === 0)
  );
}

/**
 * A step function in SQL: values[i] for breaks[i-1] <= expr < breaks[i] (values has one more
 * entry than breaks, which are ascending), as nested CASEs a few levels deep. Numbers only.
 */
export function stepSql(expr: string, breaks: number[], values: number[]): string {
  const rec = (lo: number, hi: number): string => {
    if (lo === hi) return String(values[lo]);
    const mid = (lo + hi + 1) >> 1;
    return `CASE WHEN ${expr} < ${breaks[mid - 1]} THEN ${rec(lo, mid - 1)} ELSE ${rec(mid, hi)} END`;
  };
  return rec(0, values.length - 1);
}

/** SQL for the local day number (days since 1970-01-01 on the local calendar) of the UTC hour number in `column`. */
export function localDaySql(column: string, periods: OffsetPeriod[]): string {
  const offsets = periods.map((p) => p.offsetSeconds / 3600);
  const breaks = periods.slice(1).map((p) => p.fromMs / HOUR_MS);
  return `((${column} + ${stepSql(column, breaks, offsets)}) / 24)`;
}

/**
 * The bucket of a local day number (`d`, a column) as an integer key, and the SQL that labels a
 * key ('YYYY-MM-DD' for a day or the first day of its week, 'YYYY-MM' for a month). Months need
 * the instants the data spans, [loMs, hiMs].
 */
export function dayBucketSql(grain: Grain, d: string, weekStart: number, loMs: number, hiMs: number): { key: string; label: (k: string) => string } {
  const dayLabel = (k: string): string => `date(${k} * 86400, 'unixepoch')`;
  switch (grain) {
    case 'day':
      return { key: d, label: dayLabel };
    case 'week':
      // 1970-01-01 (day 0) was a Thursday: day d is weekday (d + 4) % 7, 0 = Sunday.
      return { key: `(${d} - (${d} + ${11 - weekStart}) % 7)`, label: dayLabel };
    case 'month': {
      // Month numbers (year * 12 + month - 1), by the day numbers on which months start.
      const first = new Date(loMs - DAY_MS);
      const last = new Date(hiMs + DAY_MS);
      const breaks: number[] = [];
      const values: number[] = [first.getUTCFullYear() * 12 + first.getUTCMonth()];
      for (let m = values[0]! + 1; m <= last.getUTCFullYear() * 12 + last.getUTCMonth(); m++) {
        breaks.push(Date.UTC(Math.floor(m / 12), m % 12, 1) / DAY_MS);
        values.push(m);
      }
      return { key: stepSql(d, breaks, values), label: (k) => `printf('%04d-%02d', ${k} / 12, ${k} % 12 + 1)` };
    }
  }
}

/**
 * The UTC hours (hour numbers) in [loMs, hiMs] whose local day, as localDaySql gives it with the
 * same periods, is not their UTC day + `shift`: in Paris one or two hours in 24. Worked out here
 * so that daySumsSql reads those hours of usage_hours by its key instead of testing every row.
 */
export function movedHours(periods: OffsetPeriod[], shift: number, loMs: number, hiMs: number): number[] {
  const first = Math.floor(loMs / HOUR_MS);
  const last = Math.ceil(hiMs / HOUR_MS);
  const moved: number[] = [];
  // Period i holds the hours from its start (the first period: every hour before the second's).
  periods.forEach((p, i) => {
    const a = i === 0 ? first : Math.max(first, Math.ceil(p.fromMs / HOUR_MS));
    const b = i + 1 < periods.length ? Math.min(last, Math.ceil(periods[i + 1]!.fromMs / HOUR_MS) - 1) : last;
    if (a <= b) moved.push(...segmentMoved(a, b, p.offsetSeconds / 3600, shift));
  });
  return moved;
}

/**
 * The moved hours of [a, b] under one offset (hours). SQLite's integer division truncates: at
 * hours and local hours from 0 on, as floor, so whether an hour moves depends only on its hour
 * of the UTC day, and the hours are listed day by day (a year: ~700 of 8,760, in order).
 */
function segmentMoved(a: number, b: number, offset: number, shift: number): number[] {
  const moves = (h: number): boolean => Math.trunc((h + offset) / 24) !== Math.trunc(h / 24) + shift;
  const out: number[] = [];
  if (a < 0 || a + offset < 0) {
    for (let h = a; h <= b; h++) if (moves(h)) out.push(h);
    return out;
  }
  const residues: number[] = [];
  for (let r = 0; r < 24; r++) if (Math.floor((r + offset) / 24) !== shift) residues.push(r);
  for (let day = Math.floor(a / 24) * 24; day <= b; day += 24) {
    for (const r of residues) if (day + r >= a && day + r <= b) out.push(day + r);
  }
  return out;
}

/**
 * Rows (d, model, n, sums) whose sums per local day d equal the calls' of that day in [@fromH,
 * @toH): each UTC day of usage_days counted on local day (its number + `shift`), corrected by the
 * hours of usage_hours that belong elsewhere (the hours past local midnight, and those outside
 * the range), taken out of that day and, when in range, put on their own. Far fewer rows than
 * usage_hours: in Paris one or two hours in 24 move. `n` counts the calls (HAVING sum(n) > 0
 * drops a day whose calls all moved away). `lday` is localDaySql('hour', …), or null for one
 * bucket (d = 0) whatever the day, where only the hours outside the range move. `moved` lists
 * the hours in range whose local day is another (movedHours: every such hour with calls); each
 * part is read by usage_hours' key (ranges and an IN list), never by a scan testing each row.
 */
export function daySumsSql(lday: string | null, shift: number, moved: number[]): string {
  const cols = SUMS.join(', ');
  const neg = SUMS.map((c) => `-${c}`).join(', ');
  const inside = moved.length > 0 && lday !== null ? `hour IN (${moved.join(', ')}) AND hour >= @fromH AND hour < @toH` : null;
  const where = ['hour >= @fromD * 24 AND hour < @fromH', 'hour >= @toH AND hour < @toD * 24', ...(inside ? [inside] : [])];
  const out = where.map((w) => `SELECT ${lday === null ? 0 : `hour / 24 + ${shift}`}, model, -api_calls, ${neg} FROM usage_hours WHERE ${w}`);
  const bulk = `SELECT ${lday === null ? 0 : `day + ${shift}`} AS d, model, api_calls AS n, ${cols} FROM usage_days WHERE day >= @fromD AND day < @toD
    UNION ALL ${out.join('\n    UNION ALL ')}`;
  return inside === null ? bulk : `${bulk}
    UNION ALL SELECT ${lday}, model, api_calls, ${cols} FROM usage_hours WHERE ${inside}`;
}

/** Parameters for the rollup sources: the range in UTC hours and in whole UTC days around it. */
export function hourParams(fromMs: number | null, toMs: number | null): { fromH: number; toH: number; fromD: number; toD: number } {
  const fromH = fromMs === null ? -1e12 : fromMs / HOUR_MS;
  const toH = toMs === null ? 1e12 : toMs / HOUR_MS;
  return { fromH, toH, fromD: Math.floor(fromH / 24), toD: Math.ceil(toH / 24) };
}
