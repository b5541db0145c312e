// The time range and time zone a page shows, from its URL: `tz` (default the browser's), and
// either `from`/`to` (local days, custom) or a `range` preset counted back from today in that
// zone (default the last 30 days; `all` = everything). Pure apart from reading the clock.
import type { Loc } from './router';

export const PRESETS: Array<[string, string]> = [
  ['1d', 'Today'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['90d', 'Last 90 days'],
  ['365d', 'Last 365 days'],
  ['all', 'All time'],
];
export const DEFAULT_PRESET = '30d';

export interface Range {
  tz: string;
  from: string | null;
  to: string | null;
  /** The preset, or 'custom' when from/to are given. */
  preset: string;
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function todayIn(tz: string, now = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
}

export function rangeOf(loc: Loc): Range {
  const tzParam = loc.params.get('tz');
  const tz = tzParam && validTimeZone(tzParam) ? tzParam : browserTimeZone();
  const from = loc.params.get('from');
  const to = loc.params.get('to');
  if ((from && DAY_RE.test(from)) || (to && DAY_RE.test(to))) {
    return { tz, from: from && DAY_RE.test(from) ? from : null, to: to && DAY_RE.test(to) ? to : null, preset: 'custom' };
  }
  const preset = PRESETS.some(([k]) => k === loc.params.get('range')) ? loc.params.get('range')! : DEFAULT_PRESET;
  if (preset === 'all') return { tz, from: null, to: null, preset };
  const today = todayIn(tz);
  return { tz, from: addDays(today, 1 - Number(preset.slice(0, -1))), to: today, preset };
}

/** The API query for a range: tz, from, to (open sides left out). */
export function rangeQuery(r: Range, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams({ tz: r.tz });
  if (r.from) p.set('from', r.from);
  if (r.to) p.set('to', r.to);
  for (const [k, v] of Object.entries(extra)) if (v !== '') p.set(k, v);
  return p.toString();
}
