// Time zones and local days for `claude-metrics report`: where a local day starts as a UTC
// instant, local wall-clock times, and the SQL that turns an RFC 3339 UTC column into a local
// day, week or month. SQLite has no time-zone database, so the UTC offsets (and their DST
// changes) over the range asked for are worked out here (with Date in the zone, zone.ts) and
// handed to SQLite as a CASE of '+N seconds' modifiers; no database.
import { offsetNow, withZone } from './zone.js';

const DAY_MS = 86_400_000;

export { checkTimeZone, systemTimeZone } from './zone.js';

/** The wall-clock fields of an instant in a time zone. */
export function localParts(timeZone: string, epochMs: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  // The local wall clock as a UTC date: the instant shifted by the offset in force.
  const d = new Date(Math.floor(epochMs / 1000) * 1000 + offsetSeconds(timeZone, epochMs) * 1000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** Seconds to add to UTC to get local time at that instant (e.g. 3600 in Paris in winter). */
export function offsetSeconds(timeZone: string, epochMs: number): number {
  return withZone(timeZone, () => offsetNow(epochMs));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 'YYYY-MM-DD HH:MM' in the time zone. */
export function localDateTime(timeZone: string, epochMs: number): string {
  return withZone(timeZone, () => localDateTimes()(epochMs));
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => pad(i));

/**
 * localDateTime for many instants, called inside withZone (the zone it set): the session and
 * blocks reports format thousands, in time order. No parts object, Date or closure per call, and
 * each local day's 'YYYY-MM-DD' made once, when the day changes.
 */
export function localDateTimes(): (epochMs: number) => string {
  let day = NaN;
  let date = '';
  return (epochMs) => {
    // As localParts: the instant's whole second, shifted by the offset in force.
    const local = Math.floor(epochMs / 1000) * 1000 + offsetNow(epochMs) * 1000;
    const d = Math.floor(local / DAY_MS);
    if (d !== day) {
      const t = new Date(local);
      date = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
      day = d;
    }
    const minute = Math.floor((local - d * DAY_MS) / 60_000);
    return `${date} ${TWO_DIGITS[Math.floor(minute / 60)]}:${TWO_DIGITS[minute % 60]}`;
  };
}

/** Parses 'YYYY-MM-DD' (a real calendar date) to [year, month, day], or null. */
export function parseDay(text: string): [number, number, number] | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
  return [y, mo, d];
}

/**
 * The UTC instant (epoch ms) at which the local day `YYYY-MM-DD` starts in the time zone: its
 * midnight, or the first instant after it where midnight does not exist (a DST gap at 00:00).
 */
export function localDayStart(timeZone: string, day: string): number {
  return withZone(timeZone, () => dayStartIn(timeZone, day));
}

function dayStartIn(timeZone: string, day: string): number {
  const ymd = parseDay(day);
  if (!ymd) throw new Error(`not a date: ${day}`);
  const wall = Date.UTC(ymd[0], ymd[1] - 1, ymd[2]);
  // Two rounds find the offset in force at that wall time; a third settles the DST edge cases.
  let guess = wall - offsetSeconds(timeZone, wall) * 1000;
  for (let i = 0; i < 2; i++) guess = wall - offsetSeconds(timeZone, guess) * 1000;
  // In a gap, the guess lands on the previous day's late evening: move to the day's first instant.
  const p = localParts(timeZone, guess);
  if (Date.UTC(p.year, p.month - 1, p.day) < wall) {
    // Offsets change at whole seconds: bisect over seconds, so the start is one exactly.
    let lo = Math.floor(guess / 1000);
    let hi = Math.ceil((guess + DAY_MS) / 1000);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const q = localParts(timeZone, mid * 1000);
      if (Date.UTC(q.year, q.month - 1, q.day) < wall) lo = mid;
      else hi = mid;
    }
    return hi * 1000;
  }
  return guess;
}

/** The day after 'YYYY-MM-DD'. */
export function nextDay(day: string): string {
  const ymd = parseDay(day)!;
  return new Date(Date.UTC(ymd[0], ymd[1] - 1, ymd[2] + 1)).toISOString().slice(0, 10);
}

/** One stretch of constant UTC offset: from `fromMs` (inclusive) to the next period's start. */
export interface OffsetPeriod {
  fromMs: number;
  offsetSeconds: number;
}

/**
 * The offsets in force between two instants, with the instants where they change (found by
 * sampling every 6 hours, then bisecting to the second). Zones change at most a few times a year.
 */
export function offsetPeriods(timeZone: string, fromMs: number, toMs: number): OffsetPeriod[] {
  return withZone(timeZone, () => periodsIn(timeZone, fromMs, toMs));
}

function periodsIn(timeZone: string, fromMs: number, toMs: number): OffsetPeriod[] {
  const step = 6 * 3_600_000;
  const periods: OffsetPeriod[] = [{ fromMs, offsetSeconds: offsetSeconds(timeZone, fromMs) }];
  let prevT = fromMs;
  let prevOff = periods[0]!.offsetSeconds;
  // Inside withZone (offsetPeriods): offsetNow straight, ~1,500 times for a year of samples, without
  // offsetSeconds' nested withZone (a report's first run of this loop is interpreted: 2.5 ms -> ~1).
  for (let t = fromMs + step; ; t += step) {
    const at = Math.min(t, toMs);
    const off = offsetNow(at);
    if (off !== prevOff) {
      // Offsets change at whole seconds: bisect over seconds to the first one of the new offset.
      let lo = Math.floor(prevT / 1000);
      let hi = Math.ceil(at / 1000);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetNow(mid * 1000) === prevOff) lo = mid;
        else hi = mid;
      }
      periods.push({ fromMs: hi * 1000, offsetSeconds: off });
      prevOff = off;
    }
    prevT = at;
    if (at >= toMs) break;
  }
  return periods;
}

/** The instant as the RFC 3339 text the database stores ('2026-11-23T19:40:31.367Z'). */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/**
 * An SQL expression giving the modifier ('+3600 seconds') that turns the UTC text in `column`
 * into local time. Built from numbers and ISO texts only, so it is safe to inline.
 */
export function offsetModifierSql(column: string, periods: OffsetPeriod[]): string {
  const mod = (s: number): string => `'${s >= 0 ? '+' : '-'}${Math.abs(s)} seconds'`;
  if (periods.length === 1) return mod(periods[0]!.offsetSeconds);
  const whens = periods.slice(1).map((p, i) => `WHEN ${column} < '${rfc3339(p.fromMs)}' THEN ${mod(periods[i]!.offsetSeconds)}`);
  return `CASE ${whens.join(' ')} ELSE ${mod(periods.at(-1)!.offsetSeconds)} END`;
}

export type Grain = 'day' | 'week' | 'month';

/**
 * SQL for the local bucket of a UTC column: 'YYYY-MM-DD' (a day, or the first day of its week)
 * or 'YYYY-MM'. `weekStart` is 0 for Sunday … 6 for Saturday (1 = Monday, ISO weeks).
 */
export function bucketSql(grain: Grain, column: string, periods: OffsetPeriod[], weekStart = 1): string {
  const off = offsetModifierSql(column, periods);
  switch (grain) {
    case 'day':
      return `date(${column}, ${off})`;
    case 'week':
      // 'weekday N' moves forward to the week's last day (or stays on it); six days back is its first.
      return `date(${column}, ${off}, 'weekday ${(weekStart + 6) % 7}', '-6 days')`;
    case 'month':
      return `strftime('%Y-%m', ${column}, ${off})`;
  }
}
