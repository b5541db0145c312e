// The figures of `claude-metrics report`, straight from SQL on a read-only database: per local
// day, week or month, per session, per model and per project, with per-model breakdowns and a
// totals row. Costs and tokens by time come from token_usage (one row per API call, at its own
// timestamp), so a session that runs past midnight is split between its days. Sessions without
// token_usage rows (written by the old Python hook) count at their start time under model
// 'unknown'. Pure functions of a better-sqlite3 Database; the output is the documented JSON
// (docs/REPORTS.md).
import type Database from 'better-sqlite3';
import { type Grain, bucketSql, localDateTime, localDayStart, nextDay, offsetPeriods, rfc3339 } from './time.js';
import { blocksReport } from './blocks-report.js';
import { crossCheck } from './crosscheck.js';

export const REPORT_KINDS = ['daily', 'weekly', 'monthly', 'session', 'model', 'project', 'blocks'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

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
  rows: Row[];
  totals: Figures;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * Bounds outside any stored time, for an open range. Full RFC 3339 texts on purpose: the
 * TIMESTAMP columns have NUMERIC affinity, so a bound that looks like a number ('9999') would be
 * compared as one, and every text is greater than every number.
 */
const MIN_TS = '0000-01-01T00:00:00.000Z';
const MAX_TS = '9999-12-31T23:59:59.999Z';

/**
 * Every API call in range, plus one pseudo-call per session that has no token_usage rows (its
 * session figures, at its start). `calls` = 1 for a real call, 0 for such a session.
 */
const CALLS_CTE = `calls AS (
  SELECT t.session_id, t.timestamp AS ts, COALESCE(t.model, 'unknown') AS model, 1 AS calls,
         CASE WHEN t.cost_usd IS NULL THEN 1 ELSE 0 END AS unpriced,
         COALESCE(t.input_tokens, 0) AS input_tokens, COALESCE(t.output_tokens, 0) AS output_tokens,
         COALESCE(t.cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(t.cache_read_tokens, 0) AS cache_read_tokens,
         COALESCE(t.cost_usd, 0) AS cost_usd
  FROM token_usage t WHERE t.timestamp >= @from AND t.timestamp < @to
  UNION ALL
  SELECT s.session_id, COALESCE(s.start_time, s.end_time), 'unknown', 0, 0,
         COALESCE(s.input_tokens, 0), COALESCE(s.output_tokens, 0), COALESCE(s.cache_creation_tokens, 0), COALESCE(s.cache_read_tokens, 0),
         COALESCE(s.total_cost_usd, 0)
  FROM sessions s
  WHERE COALESCE(s.start_time, s.end_time) >= @from AND COALESCE(s.start_time, s.end_time) < @to
    AND NOT EXISTS (SELECT 1 FROM token_usage u WHERE u.session_id = s.session_id)
)`;

function figures(r: Record<string, unknown>): Figures {
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
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function runReport(db: Database.Database, o: ReportOptions): Report {
  const fromMs = o.since ? localDayStart(o.timeZone, o.since) : null;
  const toMs = o.until ? localDayStart(o.timeZone, nextDay(o.until)) : null;
  const params = { from: fromMs === null ? MIN_TS : rfc3339(fromMs), to: toMs === null ? MAX_TS : rfc3339(toMs) };
  const head = {
    report: o.kind,
    timezone: o.timeZone,
    since: o.since,
    until: o.until,
    ...(o.kind === 'weekly' ? { start_of_week: WEEKDAYS[o.weekStart]! } : {}),
    from_utc: fromMs === null ? null : rfc3339(fromMs),
    to_utc: toMs === null ? null : rfc3339(toMs),
  };
  if (o.kind === 'session') return { ...head, ...sessionReport(db, o, params) };
  if (o.kind === 'blocks') {
    const b = blocksReport(db, o.timeZone, fromMs, toMs, o.now ?? new Date());
    return { ...head, now: b.now, rows: b.rows as unknown as Row[], totals: b.totals };
  }

  // One pass over the calls, grouped by (bucket, model, session): at most a few rows per session
  // and day. Rows, per-model breakdowns and totals are folded from those partial sums here, so
  // the table is scanned once however many views of it are printed.
  let keyName: string;
  let keySql: string;
  if (o.kind === 'model' || o.kind === 'project') {
    keyName = o.kind;
    keySql = "''";
  } else {
    const grain: Grain = o.kind === 'daily' ? 'day' : o.kind === 'weekly' ? 'week' : 'month';
    keyName = grain === 'day' ? 'date' : grain;
    keySql = bucketSql(grain, 'ts', periodsFor(db, o.timeZone, params, fromMs, toMs), o.weekStart);
  }
  const parts = db
    .prepare(
      `WITH ${CALLS_CTE} SELECT ${keySql} AS key, model, session_id, sum(calls) AS api_calls, sum(unpriced) AS unpriced_calls,
         sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cache_creation_tokens) AS cache_creation_tokens,
         sum(cache_read_tokens) AS cache_read_tokens, sum(cost_usd) AS cost_usd
       FROM calls GROUP BY key, model, session_id`,
    )
    .all(params) as Array<Record<string, unknown> & { key: string; model: string; session_id: string }>;
  let projectOf: Map<string, string> | null = null;
  if (o.kind === 'project') {
    projectOf = new Map(
      (db.prepare("SELECT session_id, COALESCE(cwd, '(unknown)') AS project FROM sessions").all() as Array<{ session_id: string; project: string }>).map((r) => [r.session_id, r.project]),
    );
  }
  const keyOf = (p: (typeof parts)[number]): string =>
    o.kind === 'model' ? p.model : projectOf ? (projectOf.get(p.session_id) ?? '(unknown)') : p.key;
  const totals = new Acc();
  const byKey = new Map<string, { acc: Acc; models: Map<string, Acc> }>();
  for (const p of parts) {
    const k = keyOf(p);
    let entry = byKey.get(k);
    if (!entry) byKey.set(k, (entry = { acc: new Acc(), models: new Map() }));
    let m = entry.models.get(p.model);
    if (!m) entry.models.set(p.model, (m = new Acc()));
    for (const acc of [totals, entry.acc, m]) acc.add(p);
  }
  const out: Row[] = [...byKey.entries()].map(([k, e]) => {
    const row = { [keyName]: k, ...e.acc.figures(), models: [...e.models.keys()].sort() } as Row;
    if (o.breakdown) {
      row.breakdown = [...e.models.entries()]
        .map(([model, acc]) => ({ model, ...acc.figures() }))
        .sort((a, b) => b.cost_usd - a.cost_usd || (a.model < b.model ? -1 : 1));
    }
    return row;
  });
  if (o.kind === 'model' || o.kind === 'project') out.sort((a, b) => b.cost_usd - a.cost_usd || (String(a[keyName]) < String(b[keyName]) ? -1 : 1));
  else out.sort((a, b) => (String(a[keyName]) < String(b[keyName]) ? -1 : 1));
  return { ...head, rows: out, totals: totals.figures() };
}

/** Sums of partial figures, and the distinct sessions they came from. */
class Acc {
  private readonly sessions = new Set<string>();
  private readonly f = { api_calls: 0, unpriced_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, cost_usd: 0 };
  add(p: Record<string, unknown> & { session_id: string }): void {
    this.sessions.add(p.session_id);
    for (const k of Object.keys(this.f) as Array<keyof Acc['f']>) this.f[k] += Number(p[k] ?? 0);
  }
  figures(): Figures {
    const f = this.f;
    return figures({ ...f, sessions: this.sessions.size, total_tokens: f.input_tokens + f.output_tokens + f.cache_creation_tokens + f.cache_read_tokens });
  }
}

/** UTC offsets over the data actually in range (the range itself when bounded on both sides). */
function periodsFor(db: Database.Database, timeZone: string, params: { from: string; to: string }, fromMs: number | null, toMs: number | null) {
  let lo = fromMs;
  let hi = toMs;
  if (lo === null || hi === null) {
    const r = db
      .prepare(`SELECT min(m) AS lo, max(x) AS hi FROM (
        SELECT min(timestamp) AS m, max(timestamp) AS x FROM token_usage WHERE timestamp >= @from AND timestamp < @to AND timestamp <> ''
        UNION ALL SELECT min(COALESCE(start_time, end_time)), max(COALESCE(start_time, end_time)) FROM sessions
          WHERE COALESCE(start_time, end_time) >= @from AND COALESCE(start_time, end_time) < @to)`)
      .get(params) as { lo: string | null; hi: string | null };
    const parsedLo = r.lo === null ? NaN : Date.parse(r.lo);
    const parsedHi = r.hi === null ? NaN : Date.parse(r.hi);
    lo ??= Number.isNaN(parsedLo) ? Date.now() : parsedLo - 86_400_000;
    hi ??= Number.isNaN(parsedHi) ? Date.now() : parsedHi + 86_400_000;
  }
  return offsetPeriods(timeZone, lo, Math.max(lo, hi));
}

/** One row per session whose start (its end when it has none) falls in range; whole-session figures. */
function sessionReport(db: Database.Database, o: ReportOptions, params: { from: string; to: string }): { rows: Row[]; totals: Figures } {
  const inRange = `COALESCE(s.start_time, s.end_time) >= @from AND COALESCE(s.start_time, s.end_time) < @to`;
  const reportedSource = schemaVersion(db) >= 5 ? 's.reported_source' : 'NULL'; // the column came with schema 5
  const rows = db
    .prepare(`SELECT s.session_id, s.cwd, s.start_time, s.end_time, s.end_reason, s.cost_complete,
        s.cost_source, s.reported_cost_usd, ${reportedSource} AS reported_source,
        CASE WHEN s.start_time IS NOT NULL AND s.end_time IS NOT NULL THEN round((julianday(s.end_time) - julianday(s.start_time)) * 86400, 3) END AS duration_seconds,
        COALESCE(s.api_calls, 0) AS api_calls,
        COALESCE((SELECT sum(unpriced_calls) FROM session_models m WHERE m.session_id = s.session_id), 0) AS unpriced_calls,
        COALESCE(s.input_tokens, 0) AS input_tokens, COALESCE(s.output_tokens, 0) AS output_tokens,
        COALESCE(s.cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(s.cache_read_tokens, 0) AS cache_read_tokens,
        COALESCE(s.input_tokens, 0) + COALESCE(s.output_tokens, 0) + COALESCE(s.cache_creation_tokens, 0) + COALESCE(s.cache_read_tokens, 0) AS total_tokens,
        COALESCE(s.total_cost_usd, 0) AS cost_usd,
        COALESCE(s.tool_calls, 0) AS tool_calls, COALESCE(s.commits, 0) AS commits,
        COALESCE(s.lines_added, 0) AS lines_added, COALESCE(s.lines_removed, 0) AS lines_removed,
        (SELECT group_concat(model) FROM session_models m WHERE m.session_id = s.session_id) AS model_list
      FROM sessions s WHERE ${inRange}
      ORDER BY COALESCE(s.start_time, s.end_time), s.session_id`)
    .all(params) as Array<Record<string, unknown>>;
  const out: Row[] = rows.map((r) => {
    const start = (r.start_time ?? r.end_time) as string | null;
    const startMs = start === null ? NaN : Date.parse(start);
    return {
      session_id: r.session_id,
      project: r.cwd ?? null,
      start_time: r.start_time ?? null,
      end_time: r.end_time ?? null,
      local_start: Number.isNaN(startMs) ? null : localDateTime(o.timeZone, startMs),
      duration_seconds: r.duration_seconds ?? null,
      end_reason: r.end_reason ?? null,
      cost_complete: r.cost_complete === null || r.cost_complete === undefined ? null : r.cost_complete === 1,
      ...figures({ ...r, sessions: 1 }),
      tool_calls: Number(r.tool_calls),
      commits: Number(r.commits),
      lines_added: Number(r.lines_added),
      lines_removed: Number(r.lines_removed),
      models: String(r.model_list ?? '').split(',').filter((m) => m !== '').sort(),
      ...crossCheck(r),
    } as Row;
  });
  if (o.breakdown) {
    const sub = db
      .prepare(`SELECT m.session_id, m.model, 1 AS sessions, m.api_calls, m.unpriced_calls, m.input_tokens, m.output_tokens,
          m.cache_creation_tokens, m.cache_read_tokens,
          m.input_tokens + m.output_tokens + m.cache_creation_tokens + m.cache_read_tokens AS total_tokens, m.cost_usd
        FROM session_models m JOIN sessions s ON s.session_id = m.session_id WHERE ${inRange}
        ORDER BY m.session_id, m.cost_usd DESC, m.model`)
      .all(params) as Array<Record<string, unknown>>;
    const bySession = new Map<unknown, ModelFigures[]>();
    for (const r of sub) {
      const list = bySession.get(r.session_id) ?? [];
      list.push({ model: String(r.model), ...figures(r) });
      bySession.set(r.session_id, list);
    }
    for (const row of out) row.breakdown = bySession.get(row.session_id) ?? [];
  }
  const t = db
    .prepare(`SELECT count(*) AS sessions, COALESCE(sum(s.api_calls), 0) AS api_calls,
        COALESCE((SELECT sum(m.unpriced_calls) FROM session_models m JOIN sessions s ON s.session_id = m.session_id WHERE ${inRange}), 0) AS unpriced_calls,
        COALESCE(sum(s.input_tokens), 0) AS input_tokens, COALESCE(sum(s.output_tokens), 0) AS output_tokens,
        COALESCE(sum(s.cache_creation_tokens), 0) AS cache_creation_tokens, COALESCE(sum(s.cache_read_tokens), 0) AS cache_read_tokens,
        COALESCE(sum(COALESCE(s.input_tokens, 0) + COALESCE(s.output_tokens, 0) + COALESCE(s.cache_creation_tokens, 0) + COALESCE(s.cache_read_tokens, 0)), 0) AS total_tokens,
        COALESCE(sum(s.total_cost_usd), 0) AS cost_usd,
        COALESCE(sum(s.tool_calls), 0) AS tool_calls, COALESCE(sum(s.commits), 0) AS commits,
        COALESCE(sum(s.lines_added), 0) AS lines_added, COALESCE(sum(s.lines_removed), 0) AS lines_removed,
        COALESCE(sum(CASE WHEN s.start_time IS NOT NULL AND s.end_time IS NOT NULL THEN (julianday(s.end_time) - julianday(s.start_time)) * 86400 END), 0) AS duration_seconds
      FROM sessions s WHERE ${inRange}`)
    .get(params) as Record<string, unknown>;
  const totals = {
    ...figures(t),
    tool_calls: Number(t.tool_calls),
    commits: Number(t.commits),
    lines_added: Number(t.lines_added),
    lines_removed: Number(t.lines_removed),
    duration_seconds: Math.round(Number(t.duration_seconds) * 1000) / 1000,
  };
  return { rows: out, totals };
}
