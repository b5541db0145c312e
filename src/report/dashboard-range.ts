// The dashboard's time range: local days `from`..`to` (both included, either open) in a time zone,
// as the UTC instants the queries bound token_usage.timestamp and sessions' start with; the
// days between them; and what the database has (which columns a later schema added), so the
// queries use what is there. Pure apart from reading a connection's schema.
import type Database from 'better-sqlite3';
import type { RangeInfo } from './dashboard-types.js';
import { localDayStart, localParts, nextDay, rfc3339 } from './time.js';
import { hasTables } from './schema.js';

/** Bounds outside any stored time (full RFC 3339 texts: see queries.ts on NUMERIC affinity). */
export const MIN_TS = '0000-01-01T00:00:00.000Z';
export const MAX_TS = '9999-12-31T23:59:59.999Z';

export interface DashRange {
  tz: string;
  from: string | null;
  to: string | null;
  /** [fromIso, toIso): MIN_TS / MAX_TS when open. */
  fromIso: string;
  toIso: string;
  fromMs: number | null;
  toMs: number | null;
}

export function dashRange(tz: string, from: string | null, to: string | null): DashRange {
  const fromMs = from === null ? null : localDayStart(tz, from);
  const toMs = to === null ? null : localDayStart(tz, nextDay(to));
  return {
    tz,
    from,
    to,
    fromIso: fromMs === null ? MIN_TS : rfc3339(fromMs),
    toIso: toMs === null ? MAX_TS : rfc3339(toMs),
    fromMs,
    toMs,
  };
}

export function rangeInfo(r: DashRange): RangeInfo {
  return {
    tz: r.tz,
    from: r.from,
    to: r.to,
    from_utc: r.fromMs === null ? null : rfc3339(r.fromMs),
    to_utc: r.toMs === null ? null : rfc3339(r.toMs),
  };
}

/** The local day 'YYYY-MM-DD' of an instant in a time zone. */
export function localDay(tz: string, epochMs: number): string {
  const p = localParts(tz, epochMs);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Every day from `first` to `last` included (at most `max`, the last ones kept). */
export function daysBetween(first: string, last: string, max = 3660): string[] {
  const out: string[] = [];
  for (let d = first; d <= last; d = nextDay(d)) out.push(d);
  return out.length > max ? out.slice(-max) : out;
}

/**
 * A stacked series per day of `days`: one per name of `top`, then 'other' (every other name) when
 * `withOther`; each entry of `perDay` adds its value to its name's day (a day outside `days`, or a
 * zero, adds nothing). The Tools view's uses per tool, the Developers view's cost per developer.
 */
export function topDailySeries<T extends { day: string }>(
  days: string[],
  top: string[],
  withOther: boolean,
  perDay: Iterable<T>,
  nameOf: (entry: T) => string,
  valueOf: (entry: T) => number,
): Array<{ name: string; values: number[] }> {
  const index = new Map(days.map((d, i) => [d, i]));
  const names = withOther ? [...top, 'other'] : top;
  const byName = new Map(names.map((n) => [n, new Array<number>(days.length).fill(0)]));
  const kept = new Set(top);
  for (const entry of perDay) {
    const i = index.get(entry.day);
    const value = valueOf(entry);
    if (i === undefined || value === 0) continue;
    const name = nameOf(entry);
    byName.get(kept.has(name) ? name : 'other')![i]! += value;
  }
  return names.map((name) => ({ name, values: byName.get(name)! }));
}

/** Optional columns and tables of later schemas, looked up once per connection and schema version. */
export interface Capabilities {
  /** token_usage.git_branch (schema 8): each call's branch. */
  callBranch: boolean;
  /** sessions.git_branch (schema 8): the branch of the session's latest call. */
  sessionBranch: boolean;
  /** tool_uses.name, used_at, is_error, agent_id (schema 8). */
  toolNames: boolean;
  /** statusline_samples (schema 5). */
  samples: boolean;
  /** sessions.reported_source and reported_at (schema 5). */
  reported: boolean;
  /** sessions.developer and machine: a mirror of the team database (src/sync/mirror.ts). */
  team: boolean;
  /** branch_hours, branch_days, tool_hours, tool_days (migration 0011): the rollups of the branch and tool views. */
  dashRollups: boolean;
}

const capabilities = new WeakMap<Database.Database, { version: number; caps: Capabilities }>();

export function capabilitiesOf(db: Database.Database): Capabilities {
  const version = db.pragma('user_version', { simple: true }) as number;
  const cached = capabilities.get(db);
  if (cached && cached.version === version) return cached.caps;
  const columns = (table: string): Set<string> => new Set(db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]);
  const tokenUsage = columns('token_usage');
  const toolUses = columns('tool_uses');
  const sessions = columns('sessions');
  const caps: Capabilities = {
    callBranch: tokenUsage.has('git_branch'),
    sessionBranch: sessions.has('git_branch'),
    toolNames: ['name', 'used_at', 'is_error', 'agent_id'].every((c) => toolUses.has(c)),
    samples: columns('statusline_samples').size > 0,
    reported: sessions.has('reported_source') && sessions.has('reported_at'),
    team: sessions.has('developer') && sessions.has('machine'),
    dashRollups:
      hasTables(db, 'branch_hours', 'branch_days', 'tool_hours', 'tool_days'),
  };
  capabilities.set(db, { version, caps });
  return caps;
}
