// The daily, weekly, monthly, model, project and developer reports: API calls (plus sessions the
// old hook wrote without calls, at their start, as model 'unknown') summed per row and model in
// SQL, the distinct sessions per row and over the range, folded into rows, per-model breakdowns
// and totals. The developer report (a mirror of the team database only: src/sync/mirror.ts) is
// the project report keyed by the session's developer, with the distinct machines.
// Two sources give the same figures: the rollups of migration 0009 (hours.ts) when every UTC
// hour lies in one local day of the zone; else token_usage itself, each call bucketed by the
// offsets in force. Pure function of a connection and options.
import type { ReadDb } from './read-db.js';
import type { Figures, ModelFigures, ReportKind, ReportOptions, Row } from './queries.js';
import { type Grain, type OffsetPeriod, bucketSql, offsetPeriods } from './time.js';
import { READABLE, SUMS, dayBucketSql, daySumsSql, hasRollups, hasSessionRollup, hourParams, localDaySql, movedHours, sessionSumsSql, wholeHours } from './hours.js';

/** The range asked for: instants (null = open) and the RFC 3339 bounds the SQL compares. */
export interface Range {
  fromMs: number | null;
  toMs: number | null;
  from: string;
  to: string;
}

export interface UsageResult {
  rows: Row[];
  totals: Figures;
  /** Where the figures came from: the rollups, or token_usage. */
  source: 'rollups' | 'calls';
  /** The first and last instants with figures in range (to the hour from the rollups), or null. */
  firstMs: number | null;
  lastMs: number | null;
}

type Params = Record<string, number | string>;

/**
 * Sessions the old hook wrote without any call: one pseudo-call each, at their start, in range.
 * The range's terms under a unary + so that they cannot use sessions_start (migration 0014):
 * the few sessions without calls are found by their partial index, not every session of the range.
 */
const NO_CALLS = `FROM sessions s WHERE +COALESCE(s.start_time, s.end_time) >= @from AND +COALESCE(s.start_time, s.end_time) < @to
    AND unixepoch(COALESCE(s.start_time, s.end_time)) IS NOT NULL AND COALESCE(s.api_calls, 0) = 0
    AND NOT EXISTS (SELECT 1 FROM token_usage u WHERE u.session_id = s.session_id)`;
const NO_CALLS_FIGURES = `s.session_id, 'unknown' AS model, 0 AS api_calls, 0 AS unpriced_calls, COALESCE(s.input_tokens, 0) AS input_tokens,
    COALESCE(s.output_tokens, 0) AS output_tokens, COALESCE(s.cache_creation_tokens, 0) AS cache_creation_tokens,
    COALESCE(s.cache_read_tokens, 0) AS cache_read_tokens, COALESCE(s.total_cost_usd, 0) AS cost_usd`;
const COLS = SUMS.join(', ');

/** The SQL sources, with the pseudo-calls' arms only when there are such sessions in range. */
function sources(withNoCalls: boolean, open: boolean, withSessionRollup: boolean): { calls: string; sessionSums: string; sessionHours: string; noCallsHours: string | null } {
  const noCallsHours = withNoCalls ? `SELECT unixepoch(COALESCE(s.start_time, s.end_time)) / 3600 AS hour, ${NO_CALLS_FIGURES} ${NO_CALLS}` : null;
  return {
    // Per call from token_usage (times SQLite can read only, as the rollups); the pseudo-calls at their start.
    calls: `SELECT t.timestamp AS ts, t.session_id, COALESCE(t.model, 'unknown') AS model, 1 AS api_calls, t.cost_usd IS NULL AS unpriced_calls,
        COALESCE(t.input_tokens, 0) AS input_tokens, COALESCE(t.output_tokens, 0) AS output_tokens,
        COALESCE(t.cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(t.cache_read_tokens, 0) AS cache_read_tokens, COALESCE(t.cost_usd, 0) AS cost_usd
      FROM token_usage t WHERE t.timestamp >= @from AND t.timestamp < @to AND ${READABLE.replaceAll('timestamp', 't.timestamp')}
      ${withNoCalls ? `UNION ALL SELECT COALESCE(s.start_time, s.end_time), ${NO_CALLS_FIGURES} ${NO_CALLS}` : ''}`,
    // Sums per session and model in range (hours.ts), and the pseudo-calls at their UTC hour.
    sessionSums: `${sessionSumsSql(withSessionRollup, open)}${noCallsHours ? ` UNION ALL SELECT session_id, model, hour, hour, ${COLS} FROM (${noCallsHours})` : ''}`,
    // usage_hours' hour, session and model in range; unbounded, from the narrower session index.
    sessionHours: `SELECT hour, session_id, model FROM usage_hours ${open ? 'INDEXED BY usage_hours_session' : ''} WHERE hour >= @fromH AND hour < @toH${
      noCallsHours ? ` UNION ALL SELECT hour, session_id, model FROM (${noCallsHours})` : ''}`,
    noCallsHours,
  };
}

/** The parameters a statement names (node:sqlite refuses the others), from one scan of its text. */
function bind(sql: string, params: Params): Params {
  const named = new Set(sql.match(/@\w+/g));
  return Object.fromEntries(Object.entries(params).filter(([k]) => named.has(`@${k}`)));
}

function all<T>(db: ReadDb, sql: string, params: Params): T[] {
  return db.prepare(sql).all(bind(sql, params)) as T[];
}

function value<T>(db: ReadDb, sql: string, params: Params): T {
  return db.prepare(sql).pluck().get(bind(sql, params)) as T;
}

/**
 * The parts a statement selects (key, model, sessions, then SUMS in order), read as arrays: a
 * node:sqlite row object has no shape V8 can learn, and folding a year of days' parts from
 * them cost ~6 ms of a daily report; objects made here all share one.
 */
function partsOf(db: ReadDb, sql: string, params: Params): Part[] {
  const rows = db.prepare(sql).raw().all(bind(sql, params)) as Array<[string, string, number, number, number, number, number, number, number, number]>;
  return rows.map((r) => ({
    key: r[0], model: r[1], sessions: r[2], api_calls: r[3], unpriced_calls: r[4], input_tokens: r[5],
    output_tokens: r[6], cache_creation_tokens: r[7], cache_read_tokens: r[8], cost_usd: r[9],
  }));
}

/** A key → count map from rows (k, n). */
function counts(db: ReadDb, sql: string, params: Params): Map<string, number> {
  return new Map(all<{ k: string; n: number }>(db, sql, params).map((r) => [r.k, r.n]));
}

/** The reports whose rows are a column of the call's session (joined as `p`). */
const BY_SESSION: Partial<Record<ReportKind, string>> = {
  project: "COALESCE(p.cwd, '(unknown)')",
  developer: "COALESCE(p.developer, '(unknown)')",
};

/** Sums per row key and model; sessions: per key and model where asked for, else 0. */
interface Part {
  key: string;
  model: string;
  sessions: number;
  api_calls: number;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
}

interface Sums {
  parts: Part[];
  /** Distinct sessions per row key (unused for the model report, whose rows are Parts). */
  sessions: Map<string, number>;
  total: number;
  /** The developer report: distinct machines per row key and over the range. */
  machines?: { byKey: Map<string, number>; total: number };
}

/** The developer report's machines, from rows keyed `k` that carry the session's `machine`. */
function machinesOf(db: ReadDb, keyed: string, params: Params): Sums['machines'] {
  return {
    byKey: counts(db, `SELECT k, count(DISTINCT machine) AS n FROM (${keyed}) GROUP BY k`, params),
    total: value<number>(db, `SELECT count(DISTINCT machine) FROM (${keyed})`, params),
  };
}

export function usageReport(db: ReadDb, o: ReportOptions, range: Range, source: 'auto' | 'calls' = 'auto'): UsageResult {
  const params: Params = { from: range.from, to: range.to, ...hourParams(range.fromMs, range.toMs) };
  const noCalls = value<number>(db, `SELECT count(*) ${NO_CALLS}`, params);
  const haveRollups = source === 'auto' && hasRollups(db);
  const src = sources(noCalls > 0, range.fromMs === null && range.toMs === null, haveRollups && hasSessionRollup(db));
  let { firstMs, lastMs } = boundsOf(db, params, noCalls > 0, haveRollups);
  const grain: Grain | null = o.kind === 'daily' ? 'day' : o.kind === 'weekly' ? 'week' : o.kind === 'monthly' ? 'month' : null;
  // The offsets in force over the data (the range itself when bounded on both sides), a day beyond.
  const lo = range.fromMs ?? (firstMs === null ? Date.now() : firstMs - 86_400_000);
  const hi = Math.max(lo, range.toMs ?? (lastMs === null ? Date.now() : lastMs + 86_400_000));
  const periods: OffsetPeriod[] = offsetPeriods(o.timeZone, lo, hi);
  // Rows by model or project need no local hours, only a range at whole hours.
  const rollups = haveRollups && wholeHours(grain ? periods : [], [range.fromMs, range.toMs]);
  // Bounds to the hour name the right local days only where every hour lies in one.
  if (haveRollups && !wholeHours(periods, [])) ({ firstMs, lastMs } = boundsOf(db, params, noCalls > 0, false));
  const s = rollups ? fromRollups(db, o, grain, periods, params, src, lo, hi, firstMs === null || lastMs === null ? null : [firstMs, lastMs]) : fromCalls(db, o, grain, periods, params, src);
  return { ...fold(o, grain, s), source: rollups ? 'rollups' : 'calls', firstMs, lastMs };
}

/**
 * The first and last instants with figures in range: exact from token_usage's time index, or to
 * the hour from the rollups' key (enough where every hour lies in one local day).
 */
function boundsOf(db: ReadDb, params: Params, withNoCalls: boolean, hours: boolean): { firstMs: number | null; lastMs: number | null } {
  const probe = (fn: 'min' | 'max'): string =>
    hours
      ? `(SELECT ${fn}(hour) * 3600 FROM usage_hours WHERE hour >= @fromH AND hour < @toH)`
      : `(SELECT unixepoch(${fn}(timestamp), 'subsec') FROM token_usage WHERE timestamp >= @from AND timestamp < @to AND ${READABLE})`;
  const calls = `SELECT ${probe('min')} AS lo, ${probe('max')} AS hi`;
  const r = all<{ lo: number | null; hi: number | null }>(db, withNoCalls
    ? `SELECT min(lo) AS lo, max(hi) AS hi FROM (${calls} UNION ALL
         SELECT min(unixepoch(COALESCE(s.start_time, s.end_time), 'subsec')), max(unixepoch(COALESCE(s.start_time, s.end_time), 'subsec')) ${NO_CALLS})`
    : calls, params)[0]!;
  return { firstMs: r.lo === null ? null : Math.round(r.lo * 1000), lastMs: r.hi === null ? null : Math.round(r.hi * 1000) };
}

/** Per-model sessions are counted only where a row shows them: model rows and breakdowns. */
const modelSessions = (o: ReportOptions): boolean => o.kind === 'model' || o.breakdown;
const SUMS_SQL = SUMS.map((c) => `sum(${c}) AS ${c}`).join(', ');

function fromCalls(db: ReadDb, o: ReportOptions, grain: Grain | null, periods: OffsetPeriod[], params: Params, src: ReturnType<typeof sources>): Sums {
  const bySession = BY_SESSION[o.kind];
  const k = grain ? bucketSql(grain, 'ts', periods, o.weekStart) : (bySession ?? "''");
  const machine = o.kind === 'developer' ? ', p.machine AS machine' : '';
  const keyed = `SELECT ${k} AS k${machine}, x.* FROM (${src.calls}) x${bySession ? ' LEFT JOIN sessions p ON p.session_id = x.session_id' : ''}`;
  const parts = partsOf(db, `SELECT k AS key, model, ${modelSessions(o) ? 'count(DISTINCT session_id)' : '0'} AS sessions, ${SUMS_SQL} FROM (${keyed}) GROUP BY k, model`, params);
  const sessions = counts(db, `SELECT k, count(DISTINCT session_id) AS n FROM (${keyed}) GROUP BY k`, params);
  const total = value<number>(db, `SELECT count(DISTINCT session_id) FROM (${src.calls})`, params);
  return { parts, sessions, total, ...(machine ? { machines: machinesOf(db, keyed, params) } : {}) };
}

/** `data`: the first and last instants with figures in range (boundsOf), null when none. */
function fromRollups(
  db: ReadDb, o: ReportOptions, grain: Grain | null, periods: OffsetPeriod[], params: Params, src: ReturnType<typeof sources>, lo: number, hi: number, data: [number, number] | null,
): Sums {
  // The distinct sessions with calls in range (with the pseudo-calls' own sessions), in key order
  // when the range is open.
  const bySession = `SELECT session_id FROM (${src.sessionSums}) GROUP BY session_id`;
  if (grain) {
    const lday = localDaySql('hour', periods);
    const b = dayBucketSql(grain, 'd', o.weekStart, lo, hi);
    // usage_days corrected by the hours that are another local day: UTC day n is mostly local
    // day n, or n + 1 east of +12 h (n - 1 west of -12 h).
    const shift = Math.round(periods[0]!.offsetSeconds / 86_400);
    const daySums = `${daySumsSql(lday, shift, data === null ? [] : movedHours(periods, shift, Math.max(lo, data[0]), Math.min(hi, data[1])))}${src.noCallsHours ? ` UNION ALL SELECT ${lday}, model, 1, ${COLS} FROM (${src.noCallsHours})` : ''}`;
    const parts = partsOf(db, `SELECT ${b.label('k')} AS key, model, 0 AS sessions, ${SUMS_SQL} FROM (SELECT ${b.key} AS k, x.* FROM (${daySums}) x)
        GROUP BY k, model HAVING sum(n) > 0`, params);
    const keyed = `SELECT ${b.key} AS k, session_id, model FROM (SELECT ${lday} AS d, session_id, model FROM (${src.sessionHours}))`;
    // The distinct sessions per key and over the range from each session's first and last hour in
    // range (one pass in the session index's order): a session whose two hours have the same key
    // counts there; only the others (crossing a local midnight, week or month) are looked up hour
    // by hour through the session index. Not a count(DISTINCT) over every hour, sorted by key.
    const keyOf = (hour: string): string => dayBucketSql(grain, localDaySql(hour, periods), o.weekStart, lo, hi).key;
    // Each span's local days in one materialized step (inlined, SQLite would evaluate the local
    // day in every branch of a month's step function); the keys from those columns.
    const spread = all<{ k: string; n: number; total: number }>(db, `WITH days AS MATERIALIZED (SELECT session_id, a, b, ${localDaySql('a', periods)} AS da, ${localDaySql('b', periods)} AS db
          FROM (SELECT session_id, min(a) AS a, max(b) AS b FROM (${src.sessionSums}) GROUP BY session_id)),
        keyed AS (SELECT session_id, a, b, ${dayBucketSql(grain, 'da', o.weekStart, lo, hi).key} AS ka, ${dayBucketSql(grain, 'db', o.weekStart, lo, hi).key} AS kb FROM days)
      SELECT ${b.label('k')} AS k, n, total FROM (
        SELECT k, count(*) AS n FROM (SELECT ka AS k, session_id FROM keyed WHERE ka = kb
          UNION ALL SELECT DISTINCT ${keyOf('h.hour')}, h.session_id FROM keyed s JOIN usage_hours h ON h.session_id = s.session_id AND h.hour >= s.a AND h.hour <= s.b WHERE s.ka <> s.kb)
        GROUP BY k), (SELECT count(*) AS total FROM days)`, params);
    const sessions = new Map(spread.map((r) => [r.k, r.n]));
    const total = spread[0]?.total ?? 0;
    if (modelSessions(o)) {
      const per = counts(db, `SELECT ${b.label('k')} || '|' || model AS k, count(DISTINCT session_id) AS n FROM (${keyed}) GROUP BY k, model`, params);
      for (const p of parts) p.sessions = per.get(`${p.key}|${p.model}`) ?? 0;
    }
    return { parts, sessions, total };
  }
  if (o.kind === 'model') {
    const noCallRows = src.noCallsHours ? ` UNION ALL SELECT 0, model, 1, ${COLS} FROM (${src.noCallsHours})` : '';
    const parts = partsOf(db, `SELECT '' AS key, model, 0 AS sessions, ${SUMS_SQL} FROM (${daySumsSql(null, 0, [])}${noCallRows}) GROUP BY model HAVING sum(n) > 0`, params);
    // The distinct sessions, in all and per model, in one pass grouped by session (in the order
    // of the session index: no sort), a flag per model of the parts: not a count(DISTINCT) per model.
    const flags = parts.map((p, i) => `, max(model = ${sqlText(p.model)}) AS m${i}`).join('');
    const sums = parts.map((_, i) => `, sum(m${i}) AS m${i}`).join('');
    const r = all<Record<string, number>>(db, `SELECT count(*) AS total${sums} FROM (SELECT session_id${flags} FROM (${src.sessionSums}) GROUP BY session_id)`, params)[0]!;
    parts.forEach((p, i) => (p.sessions = Number(r[`m${i}`] ?? 0)));
    return { parts, sessions: new Map(), total: Number(r.total) };
  }
  // project, developer: a column of the sessions (their working folder, who pushed them).
  const machine = o.kind === 'developer' ? ', p.machine AS machine' : '';
  const keyed = `SELECT ${BY_SESSION[o.kind]} AS k${machine}, x.* FROM (${src.sessionSums}) x LEFT JOIN sessions p ON p.session_id = x.session_id`;
  const parts = partsOf(db, `SELECT k AS key, model, ${modelSessions(o) ? 'count(DISTINCT session_id)' : '0'} AS sessions, ${SUMS_SQL} FROM (${keyed}) GROUP BY k, model`, params);
  // A session has one key (its row of sessions): its distinct sessions grouped first (in the
  // session index's order), then counted per key; their sum is the range's.
  const sessions = counts(db, `SELECT ${BY_SESSION[o.kind]} AS k, count(*) AS n FROM (${bySession}) x LEFT JOIN sessions p ON p.session_id = x.session_id GROUP BY k`, params);
  let total = 0;
  for (const n of sessions.values()) total += n;
  return { parts, sessions, total, ...(machine ? { machines: machinesOf(db, keyed, params) } : {}) };
}

/** A text as an SQL literal. */
function sqlText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Rows (with breakdowns) and totals from the sums per key and model. */
function fold(o: ReportOptions, grain: Grain | null, s: Sums): { rows: Row[]; totals: Figures & { machines?: number } } {
  const totals: Figures & { machines?: number } = figuresOf();
  const byKey = new Map<string, { f: Figures; models: Part[] }>();
  for (const p of s.parts) {
    const k = o.kind === 'model' ? p.model : String(p.key);
    let entry = byKey.get(k);
    if (!entry) byKey.set(k, (entry = { f: figuresOf(), models: [] }));
    entry.models.push(p);
    add(entry.f, p);
    add(totals, p);
  }
  totals.sessions = s.total;
  if (s.machines) totals.machines = s.machines.total;
  const keyName = o.kind === 'daily' ? 'date' : o.kind === 'weekly' ? 'week' : o.kind === 'monthly' ? 'month' : o.kind;
  const rows: Row[] = [...byKey.entries()].map(([k, e]) => {
    e.f.sessions = o.kind === 'model' ? e.models[0]!.sessions : (s.sessions.get(k) ?? 0);
    const row = { [keyName]: k, ...e.f, models: e.models.map((m) => m.model).sort(), ...(s.machines ? { machines: s.machines.byKey.get(k) ?? 0 } : {}) } as Row;
    if (o.breakdown) {
      row.breakdown = e.models
        .map((m): ModelFigures => ({ model: m.model, ...add(figuresOf(), m, m.sessions) }))
        .sort((a, b) => b.cost_usd - a.cost_usd || (a.model < b.model ? -1 : 1));
    }
    return row;
  });
  if (grain) rows.sort((a, b) => (String(a[keyName]) < String(b[keyName]) ? -1 : 1));
  else rows.sort((a, b) => b.cost_usd - a.cost_usd || (String(a[keyName]) < String(b[keyName]) ? -1 : 1));
  return { rows, totals };
}

function figuresOf(): Figures {
  return { sessions: 0, api_calls: 0, unpriced_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, total_tokens: 0, cost_usd: 0 };
}

/** Adds a part's sums to `f` (and `sessions` when given); keeps total_tokens. */
function add(f: Figures, p: Part, sessions?: number): Figures {
  // Each field by name (SUMS in order), not a loop of keyed accesses: the fold's inner step.
  f.api_calls += p.api_calls;
  f.unpriced_calls += p.unpriced_calls;
  f.input_tokens += p.input_tokens;
  f.output_tokens += p.output_tokens;
  f.cache_creation_tokens += p.cache_creation_tokens;
  f.cache_read_tokens += p.cache_read_tokens;
  f.cost_usd += p.cost_usd;
  f.total_tokens += p.input_tokens + p.output_tokens + p.cache_creation_tokens + p.cache_read_tokens;
  if (sessions !== undefined) f.sessions = sessions;
  return f;
}
