// Time zones and local days for `claude-metrics report`: which time zone, where a local day
// starts as a UTC instant, and the SQL that turns an RFC 3339 UTC column into a local day, week
// or month. SQLite has no time-zone database, so the UTC offsets (and their DST changes) over
// the range asked for are worked out here with Intl and handed to SQLite as a CASE of
// '+N seconds' modifiers; pure, no database.

const DAY_MS = 86_400_000;

/** The system's time zone (honours $TZ). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The canonical name of a time zone, or null when Intl does not know it. */
export function checkTimeZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a time zone. */
export function localParts(timeZone: string, epochMs: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

/** Seconds to add to UTC to get local time at that instant (e.g. 3600 in Paris in winter). */
export function offsetSeconds(timeZone: string, epochMs: number): number {
  const p = localParts(timeZone, epochMs);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((wall - Math.floor(epochMs / 1000) * 1000) / 1000);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 'YYYY-MM-DD HH:MM' in the time zone. */
export function localDateTime(timeZone: string, epochMs: number): string {
  const p = localParts(timeZone, epochMs);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
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
  const ymd = parseDay(day);
  if (!ymd) throw new Error(`not a date: ${day}`);
  const wall = Date.UTC(ymd[0], ymd[1] - 1, ymd[2]);
  // Two rounds find the offset in force at that wall time; a third settles the DST edge cases.
  let guess = wall - offsetSeconds(timeZone, wall) * 1000;
  for (let i = 0; i < 2; i++) guess = wall - offsetSeconds(timeZone, guess) * 1000;
  // In a gap, the guess lands on the previous day's late evening: move to the day's first instant.
  const p = localParts(timeZone, guess);
  if (Date.UTC(p.year, p.month - 1, p.day) < wall) {
    let lo = guess;
    let hi = guess + DAY_MS;
    while (hi - lo > 1000) {
      const mid = Math.floor((lo + hi) / 2);
      const q = localParts(timeZone, mid);
      if (Date.UTC(q.year, q.month - 1, q.day) < wall) lo = mid;
      else hi = mid;
    }
    return hi;
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
  const step = 6 * 3_600_000;
  const periods: OffsetPeriod[] = [{ fromMs, offsetSeconds: offsetSeconds(timeZone, fromMs) }];
  let prevT = fromMs;
  let prevOff = periods[0]!.offsetSeconds;
  for (let t = fromMs + step; ; t += step) {
    const at = Math.min(t, toMs);
    const off = offsetSeconds(timeZone, at);
    if (off !== prevOff) {
      let lo = prevT;
      let hi = at;
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetSeconds(timeZone, mid) === prevOff) lo = mid;
        else hi = mid;
      }
      periods.push({ fromMs: Math.ceil(hi / 1000) * 1000, offsetSeconds: off });
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
