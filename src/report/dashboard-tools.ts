// The dashboard's per-tool and per-branch views (schema 8: tool_uses' name, time, result and
// subagent; token_usage.git_branch): tool uses and error rates per tool name over the range, with
// the top tools per local day; and API calls, tokens and cost per project and branch. An older
// database answers `available: false`. Read-only, pure functions of a connection.
// Both views answer from the rollups of migration 0011 (branch_hours/branch_days, tool_hours/
// tool_days; docs/ARCHITECTURE.md, invariant 30) when every UTC hour of the range lies in one
// local day (offsets of whole hours, as hours.ts `wholeHours`); otherwise, and on a database
// without them, from token_usage and tool_uses. Both sources count only rows whose time is RFC
// 3339 text SQLite can read (as the reports do), and give the same answers (test/dashboard-rollups.test.ts).
import type Database from 'better-sqlite3';
import { type DashRange, capabilitiesOf, daysBetween, localDay, rangeInfo, topDailySeries } from './dashboard-range.js';
import type { BranchesAnswer, BranchRow, ToolFigures, ToolsAnswer } from './dashboard-types.js';
import { localDaySql, wholeHours } from './hours.js';
import { type OffsetPeriod, bucketSql, offsetPeriods, rfc3339 } from './time.js';

type Db = Database.Database;

/** Tools drawn per day; the rest are summed as 'other'. */
const TOP_TOOLS = 7;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const USED_OK = "typeof(used_at) = 'text' AND substr(used_at, 11, 1) = 'T' AND unixepoch(used_at) IS NOT NULL";
const CALL_OK = "typeof(t.timestamp) = 'text' AND substr(t.timestamp, 11, 1) = 'T' AND unixepoch(t.timestamp) IS NOT NULL";

/** How the views read: 'rollups' or 'base' (tests pass `source` to force one). */
export type ToolsSource = 'rollups' | 'base';

/** The range in UTC hours (open ends far out) and the whole UTC days inside it [inD, inToD) and around it [fromD, toD). */
function hourBounds(range: DashRange): { fromH: number; toH: number; fromD: number; toD: number; inD: number; inToD: number } {
  const fromH = range.fromMs === null ? -1e9 : Math.floor(range.fromMs / HOUR_MS);
  const toH = range.toMs === null ? 1e9 : Math.ceil(range.toMs / HOUR_MS);
  const inD = Math.ceil(fromH / 24);
  return { fromH, toH, fromD: Math.floor(fromH / 24), toD: Math.ceil(toH / 24), inD, inToD: Math.max(inD, Math.floor(toH / 24)) };
}

/** Over two months (or open): a tool's sessions are counted along tool_hours_name, without sorting the range's rows. */
function longRange(range: DashRange): boolean {
  const b = hourBounds(range);
  return b.toH - b.fromH > 62 * 24;
}

/** Whether the rollups answer this range: they exist, and every UTC hour in it lies in one local day. */
function useRollups(db: Db, range: DashRange, periods: OffsetPeriod[], source: ToolsSource | undefined): boolean {
  if (!capabilitiesOf(db).dashRollups) return false;
  if (source !== undefined) return source === 'rollups';
  return wholeHours(periods, [range.fromMs, range.toMs]);
}

export function toolsAnswer(db: Db, range: DashRange, source?: ToolsSource): ToolsAnswer {
  const empty: ToolsAnswer = { range: rangeInfo(range), available: false, rows: [], days: [], series: [], by_agent: { main: 0, subagents: 0 }, undated: 0 };
  if (!capabilitiesOf(db).toolNames) return empty;
  const params = { from: range.fromIso, to: range.toIso };
  const undated = db.prepare('SELECT count(*) FROM tool_uses WHERE used_at IS NULL').pluck().get() as number;
  const span = db
    .prepare(`SELECT (SELECT used_at FROM tool_uses WHERE used_at >= @from AND used_at < @to AND ${USED_OK} ORDER BY used_at LIMIT 1) AS lo,
      (SELECT used_at FROM tool_uses WHERE used_at >= @from AND used_at < @to AND ${USED_OK} ORDER BY used_at DESC LIMIT 1) AS hi`)
    .get(params) as { lo: string | null; hi: string | null };
  if (span.lo === null || span.hi === null) return { ...empty, available: true, undated };
  const loMs = range.fromMs ?? Date.parse(span.lo) - DAY_MS;
  const hiMs = range.toMs ?? Date.parse(span.hi) + DAY_MS;
  const periods = offsetPeriods(range.tz, loMs, Math.max(loMs, hiMs));
  const rollups = useRollups(db, range, periods, source);
  const perDay = rollups ? toolDaysFromRollups(db, range, periods) : toolDaysFromBase(db, range, periods);
  // Each name's figures: its days summed (every use in the range is on one of them).
  const byName = new Map<string, { uses: number; errors: number; with_result: number; sub: number }>();
  for (const r of perDay) {
    const f = byName.get(r.name) ?? { uses: 0, errors: 0, with_result: 0, sub: 0 };
    f.uses += r.uses;
    f.errors += r.errors;
    f.with_result += r.with_result;
    f.sub += r.sub;
    byName.set(r.name, f);
  }
  const sessions = new Map(
    (rollups
      ? db.prepare(`SELECT name, count(DISTINCT session_id) AS n FROM tool_hours ${longRange(range) ? 'INDEXED BY tool_hours_name ' : ''}WHERE hour >= @fromH AND hour < @toH GROUP BY name`).all(hourBounds(range))
      : db.prepare(`SELECT COALESCE(name, '(unknown)') AS name, count(DISTINCT session_id) AS n FROM tool_uses WHERE used_at >= @from AND used_at < @to AND ${USED_OK} GROUP BY 1`).all(params)
    ).map((r) => [(r as { name: string }).name, (r as { n: number }).n]),
  );
  const rows: ToolFigures[] = [...byName]
    .filter(([, f]) => f.uses > 0)
    .map(([name, f]) => ({ name, uses: f.uses, errors: f.errors, with_result: f.with_result, sessions: sessions.get(name) ?? 0 }))
    .sort((a, b) => b.uses - a.uses || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let subagents = 0;
  for (const f of byName.values()) subagents += f.sub;
  const agents = { main: rows.reduce((a, r) => a + r.uses, 0) - subagents, subagents };
  const days = daysBetween(range.from ?? localDay(range.tz, Date.parse(span.lo)), range.to ?? localDay(range.tz, Date.parse(span.hi)));
  const top = rows.slice(0, TOP_TOOLS).map((r) => r.name);
  const series = topDailySeries(days, top, rows.length > TOP_TOOLS, perDay, (r) => r.name, (r) => r.uses).map((s) => ({ name: s.name, uses: s.values }));
  return { ...empty, available: true, rows, days, series, by_agent: agents, undated };
}

type Row = [number, string, number, number, number, number];

interface ToolDay {
  day: string;
  name: string;
  uses: number;
  errors: number;
  with_result: number;
  sub: number;
}

/** Per local day and tool name, from tool_uses. */
function toolDaysFromBase(db: Db, range: DashRange, periods: OffsetPeriod[]): ToolDay[] {
  const day = bucketSql('day', 'used_at', periods);
  return db
    .prepare(`SELECT ${day} AS day, COALESCE(name, '(unknown)') AS name, count(*) AS uses, COALESCE(sum(is_error = 1), 0) AS errors,
        count(is_error) AS with_result, count(agent_id) AS sub
      FROM tool_uses WHERE used_at >= @from AND used_at < @to AND ${USED_OK} GROUP BY 1, 2`)
    .all({ from: range.fromIso, to: range.toIso }) as ToolDay[];
}

/**
 * Per local day and tool name, from the rollups: each UTC day of tool_days counted on the local
 * day it mostly falls on (its number + shift), corrected by the hours of tool_hours that belong to
 * another local day or lie outside the range (taken out of that day and, when in range, put on
 * their own). In Paris one or two hours in 24 move.
 */
function toolDaysFromRollups(db: Db, range: DashRange, periods: OffsetPeriod[]): ToolDay[] {
  const b = hourBounds(range);
  const shift = Math.round(periods[0]!.offsetSeconds / 86_400);
  const lday = localDaySql('hour', periods);
  const sums = 'uses, errors, with_result, subagent_uses';
  const days = db.prepare('SELECT day + @shift, name, uses, errors, with_result, subagent_uses FROM tool_days WHERE day >= @fromD AND day < @toD').raw().all({ ...b, shift }) as Row[];
  // One pass over the hours: those to move, with the local day they belong to (null: outside the range).
  const moved = db
    .prepare(`SELECT hour / 24 + @shift, name, uses, errors, with_result, subagent_uses, CASE WHEN hour >= @fromH AND hour < @toH THEN ${lday} END
      FROM tool_hours WHERE hour >= @fromD * 24 AND hour < @toD * 24 AND (hour < @fromH OR hour >= @toH OR ${lday} <> hour / 24 + @shift)`)
    .raw()
    .all({ ...b, shift }) as Array<[number, string, number, number, number, number, number | null]>;
  const out = new Map<string, ToolDay>();
  const put = (d: number, name: string, sign: number, r: Row): void => {
    const k = `${d}|${name}`;
    let f = out.get(k);
    if (f === undefined) out.set(k, (f = { day: new Date(d * DAY_MS).toISOString().slice(0, 10), name, uses: 0, errors: 0, with_result: 0, sub: 0 }));
    f.uses += sign * r[2];
    f.errors += sign * r[3];
    f.with_result += sign * r[4];
    f.sub += sign * r[5];
  };
  for (const r of days) put(r[0], r[1], 1, r);
  for (const r of moved) {
    put(r[0], r[1], -1, r as unknown as Row);
    if (r[6] !== null) put(r[6], r[1], 1, r as unknown as Row);
  }
  return [...out.values()].filter((f) => f.uses !== 0);
}

export function branchesAnswer(db: Db, range: DashRange, source?: ToolsSource): BranchesAnswer {
  if (!capabilitiesOf(db).callBranch) return { range: rangeInfo(range), available: false, rows: [] };
  // The offsets over the range, or over its calls when it is open.
  const span = db
    .prepare(`SELECT (SELECT timestamp FROM token_usage t WHERE timestamp >= @from AND timestamp < @to AND ${CALL_OK} ORDER BY timestamp LIMIT 1) AS lo,
      (SELECT timestamp FROM token_usage t WHERE timestamp >= @from AND timestamp < @to AND ${CALL_OK} ORDER BY timestamp DESC LIMIT 1) AS hi`)
    .get({ from: range.fromIso, to: range.toIso }) as { lo: string | null; hi: string | null };
  if (span.lo === null || span.hi === null) return { range: rangeInfo(range), available: true, rows: [] };
  const loMs = range.fromMs ?? Date.parse(span.lo) - DAY_MS;
  const hiMs = range.toMs ?? Date.parse(span.hi) + DAY_MS;
  const periods = offsetPeriods(range.tz, loMs, Math.max(loMs, hiMs));
  const rows = useRollups(db, range, periods, source) ? branchRowsFromRollups(db, range) : branchRowsFromBase(db, range);
  return {
    range: rangeInfo(range),
    available: true,
    rows: rows.map((r): BranchRow => {
      const tokens = ['input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens'].map((k) => Number(r[k]));
      return {
        project: String(r.project),
        branch: String(r.branch),
        sessions: Number(r.sessions),
        api_calls: Number(r.api_calls),
        unpriced_calls: Number(r.unpriced_calls),
        input_tokens: tokens[0]!,
        output_tokens: tokens[1]!,
        cache_creation_tokens: tokens[2]!,
        cache_read_tokens: tokens[3]!,
        total_tokens: tokens.reduce((a, b) => a + b, 0),
        cost_usd: Number(r.cost_usd),
        models: [...new Set(String(r.model_list ?? '').split(',').filter((m) => m !== ''))].sort(),
        last_call: String(r.last_call),
      };
    }),
  };
}

const BRANCH_SUMS = `sum(api_calls) AS api_calls, sum(unpriced_calls) AS unpriced_calls, sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens, sum(cache_creation_tokens) AS cache_creation_tokens, sum(cache_read_tokens) AS cache_read_tokens,
  sum(cost_usd) AS cost_usd`;

function branchRowsFromBase(db: Db, range: DashRange): Array<Record<string, unknown>> {
  return db
    .prepare(`SELECT COALESCE(s.cwd, '(unknown)') AS project, COALESCE(t.git_branch, '(none)') AS branch,
        count(DISTINCT t.session_id) AS sessions, count(*) AS api_calls, count(*) - count(t.cost_usd) AS unpriced_calls,
        total(t.input_tokens) AS input_tokens, total(t.output_tokens) AS output_tokens,
        total(t.cache_creation_tokens) AS cache_creation_tokens, total(t.cache_read_tokens) AS cache_read_tokens,
        total(t.cost_usd) AS cost_usd, group_concat(DISTINCT COALESCE(t.model, 'unknown')) AS model_list, max(t.timestamp) AS last_call
      FROM token_usage t LEFT JOIN sessions s ON s.session_id = t.session_id
      WHERE t.timestamp >= @from AND t.timestamp < @to AND ${CALL_OK}
      GROUP BY 1, 2 ORDER BY cost_usd DESC, project, branch`)
    .all({ from: range.fromIso, to: range.toIso }) as Array<Record<string, unknown>>;
}

/**
 * From the rollups: the whole UTC days inside the range from branch_days (grouped per session and
 * branch in its key order), the hours at its edges from branch_hours; then per project and branch.
 * `h` is the last hour with calls, or for a day row day * 24 + 0.5 (some hour of that day): the
 * last call is then found by the hours of that day and a probe of token_usage's time index.
 */
function branchRowsFromRollups(db: Db, range: DashRange): Array<Record<string, unknown>> {
  const b = hourBounds(range);
  const rows = db
    .prepare(`WITH r AS (
        SELECT session_id, branch, model, day * 24 + 0.5 AS h, api_calls, unpriced_calls, input_tokens, output_tokens,
          cache_creation_tokens, cache_read_tokens, cost_usd FROM branch_days WHERE day >= @inD AND day < @inToD
        UNION ALL SELECT session_id, branch, model, hour, api_calls, unpriced_calls, input_tokens, output_tokens,
          cache_creation_tokens, cache_read_tokens, cost_usd FROM branch_hours
          WHERE (hour >= @fromH AND hour < min(@toH, @inD * 24)) OR (hour >= max(@inToD * 24, @fromH) AND hour < @toH)),
      g AS (SELECT session_id, branch, group_concat(DISTINCT model) AS models, max(h) AS h, ${BRANCH_SUMS} FROM r GROUP BY 1, 2)
      SELECT COALESCE(s.cwd, '(unknown)') AS project, g.branch AS branch, count(*) AS sessions, ${BRANCH_SUMS.replaceAll('sum(', 'sum(g.')},
        group_concat(g.models) AS model_list, max(g.h) AS h
      FROM g LEFT JOIN sessions s ON s.session_id = g.session_id
      GROUP BY 1, 2 ORDER BY cost_usd DESC, project, branch`)
    .all(b) as Array<Record<string, unknown>>;
  const lastHour = db
    .prepare(`SELECT max(h.hour) FROM branch_hours h LEFT JOIN sessions s ON s.session_id = h.session_id
      WHERE h.hour >= @lo AND h.hour < @hi AND h.branch = @branch AND COALESCE(s.cwd, '(unknown)') = @project`)
    .pluck();
  const lastCall = db
    .prepare(`SELECT max(t.timestamp) FROM token_usage t LEFT JOIN sessions s ON s.session_id = t.session_id
      WHERE t.timestamp >= @lo AND t.timestamp < @hi AND ${CALL_OK} AND COALESCE(t.git_branch, '(none)') = @branch AND COALESCE(s.cwd, '(unknown)') = @project`)
    .pluck();
  for (const r of rows) {
    let h = Number(r.h);
    const key = { branch: r.branch, project: r.project };
    if (h % 1 !== 0) {
      const d = Math.floor(h / 24);
      h = lastHour.get({ ...key, lo: Math.max(d * 24, b.fromH), hi: Math.min(d * 24 + 24, b.toH) }) as number;
    }
    r.last_call = lastCall.get({ ...key, lo: rfc3339(h * HOUR_MS), hi: rfc3339((h + 1) * HOUR_MS) });
  }
  return rows;
}
