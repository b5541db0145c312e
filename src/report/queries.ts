// The figures of `claude-metrics report`, straight from SQL on a read-only database: the report
// kinds, their options and JSON shape (docs/REPORTS.md), and runReport, which works out the range
// in the time zone and hands each kind to its module: usage-report.ts (daily, weekly, monthly,
// model, project, developer), session-report.ts, blocks-report.ts. The developer report reads the
// `developer` and `machine` columns only a mirror of the team database has (src/sync/mirror.ts). Pure functions of a better-sqlite3
// Database and options (the dashboard calls them as the CLI does); costs unrounded (round.ts
// rounds them for JSON).
import type { ReadDb } from './read-db.js';
import { localDateTime, localDayStart, nextDay, rfc3339 } from './time.js';
import { blocksReport } from './blocks-report.js';
import { sessionReport } from './session-report.js';
import { usageReport } from './usage-report.js';
import { REPORT_KINDS, type ReportKind } from './kinds.js';

export { REPORT_KINDS, type ReportKind };
/** The kinds only the team database answers (its rows are who pushed the figures). */
export const TEAM_REPORT_KINDS: readonly ReportKind[] = ['developer'];

/** The oldest schema the report can read (sessions.cwd, token_usage.cost_usd, session_models). */
export { MIN_SCHEMA_VERSION } from './schema.js';

export interface ReportOptions {
  kind: ReportKind;
  timeZone: string;
  /** Inclusive local days 'YYYY-MM-DD', or null for no bound. */
  since: string | null;
  until: string | null;
  breakdown: boolean;
  /** 0 = Sunday … 6 = Saturday; weekly report only. */
  weekStart: number;
  /** The time the blocks report takes as now (default: the clock). */
  now?: Date;
  /**
   * 'calls': daily, weekly, monthly, model and project read token_usage even where the usage_hours
   * rollup could answer (to compare the two); 'auto' (default): the rollup where it can.
   */
  source?: 'auto' | 'calls';
}

export interface Figures {
  sessions: number;
  api_calls: number;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  total_tokens: number;
  cost_usd: number;
}

export interface ModelFigures extends Figures {
  model: string;
}

export type Row = Record<string, unknown> & Figures & { models: string[]; breakdown?: ModelFigures[] };

export interface Report {
  report: ReportKind;
  timezone: string;
  since: string | null;
  until: string | null;
  start_of_week?: string;
  /** blocks only: the time taken as now (the active block, time left). */
  now?: string;
  /** The UTC instants the report covers: [from, to), null where unbounded. */
  from_utc: string | null;
  to_utc: string | null;
  /** The local days of the first and last figures in the range (calls, session starts, block starts), null when none. */
  first_day: string | null;
  last_day: string | null;
  rows: Row[];
  totals: Figures;
  /** `--postgres`: the team database the figures come from (its password never shown) and the filters. */
  team?: TeamSource;
}

export interface TeamSource {
  postgres: string;
  /** Only these developers' and machines' figures (empty: everyone's). */
  developers: string[];
  machines: string[];
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * Bounds outside any stored time, for an open range. Full RFC 3339 texts on purpose: the
 * TIMESTAMP columns have NUMERIC affinity, so a bound that looks like a number ('9999') would be
 * compared as one, and every text is greater than every number.
 */
const MIN_TS = '0000-01-01T00:00:00.000Z';
const MAX_TS = '9999-12-31T23:59:59.999Z';

export function figures(r: Record<string, unknown>): Figures {
  return {
    sessions: Number(r.sessions ?? 0),
    api_calls: Number(r.api_calls ?? 0),
    unpriced_calls: Number(r.unpriced_calls ?? 0),
    input_tokens: Number(r.input_tokens ?? 0),
    output_tokens: Number(r.output_tokens ?? 0),
    cache_creation_tokens: Number(r.cache_creation_tokens ?? 0),
    cache_read_tokens: Number(r.cache_read_tokens ?? 0),
    total_tokens: Number(r.total_tokens ?? 0),
    cost_usd: Number(r.cost_usd ?? 0),
  };
}

/** The schema version, and whether the report can read it. */
export function schemaVersion(db: ReadDb): number {
  return Number(db.prepare('PRAGMA user_version').pluck().get());
}

export function runReport(db: ReadDb, o: ReportOptions): Report {
  const fromMs = o.since ? localDayStart(o.timeZone, o.since) : null;
  const toMs = o.until ? localDayStart(o.timeZone, nextDay(o.until)) : null;
  const range = { fromMs, toMs, from: fromMs === null ? MIN_TS : rfc3339(fromMs), to: toMs === null ? MAX_TS : rfc3339(toMs) };
  const head = {
    report: o.kind,
    timezone: o.timeZone,
    since: o.since,
    until: o.until,
    ...(o.kind === 'weekly' ? { start_of_week: WEEKDAYS[o.weekStart]! } : {}),
    from_utc: fromMs === null ? null : rfc3339(fromMs),
    to_utc: toMs === null ? null : rfc3339(toMs),
  };
  const day = (ms: number | null): string | null => (ms === null || Number.isNaN(ms) ? null : localDateTime(o.timeZone, ms).slice(0, 10));
  if (o.kind === 'session') {
    const s = sessionReport(db, o, range);
    const starts = s.rows.map((r) => String(r.local_start ?? '')).filter((d) => d !== '');
    return { ...head, first_day: starts[0]?.slice(0, 10) ?? null, last_day: starts.at(-1)?.slice(0, 10) ?? null, ...s };
  }
  if (o.kind === 'blocks') {
    const b = blocksReport(db, o.timeZone, fromMs, toMs, o.now ?? new Date());
    return { ...head, now: b.now, first_day: b.rows[0]?.local_start.slice(0, 10) ?? null, last_day: b.rows.at(-1)?.local_start.slice(0, 10) ?? null, rows: b.rows as unknown as Row[], totals: b.totals };
  }
  const u = usageReport(db, o, range, o.source);
  return { ...head, first_day: day(u.firstMs), last_day: day(u.lastMs), rows: u.rows, totals: u.totals };
}
