// The dashboard's per-tool and per-branch views (schema 8: tool_uses' name, time, result and
// subagent; token_usage.git_branch): tool uses and error rates per tool name over the range, with
// the top tools per local day; and API calls, tokens and cost per project and branch. An older
// database answers `available: false`. Read-only, pure functions of a connection.
import type Database from 'better-sqlite3';
import { type DashRange, capabilitiesOf, daysBetween, localDay, rangeInfo } from './dashboard-range.js';
import type { BranchesAnswer, BranchRow, ToolFigures, ToolsAnswer } from './dashboard-types.js';
import { bucketSql, offsetPeriods } from './time.js';

type Db = Database.Database;

/** Tools drawn per day; the rest are summed as 'other'. */
const TOP_TOOLS = 7;
const DAY_MS = 86_400_000;

export function toolsAnswer(db: Db, range: DashRange): ToolsAnswer {
  const empty: ToolsAnswer = { range: rangeInfo(range), available: false, rows: [], days: [], series: [], by_agent: { main: 0, subagents: 0 }, undated: 0 };
  if (!capabilitiesOf(db).toolNames) return empty;
  const params = { from: range.fromIso, to: range.toIso };
  const rows = db
    .prepare(`SELECT COALESCE(name, '(unknown)') AS name, count(*) AS uses, COALESCE(sum(is_error = 1), 0) AS errors,
        count(is_error) AS with_result, count(DISTINCT session_id) AS sessions
      FROM tool_uses WHERE used_at >= @from AND used_at < @to GROUP BY 1 ORDER BY uses DESC, name`)
    .all(params) as ToolFigures[];
  const agents = db
    .prepare('SELECT count(*) - count(agent_id) AS main, count(agent_id) AS subagents FROM tool_uses WHERE used_at >= @from AND used_at < @to')
    .get(params) as { main: number; subagents: number };
  const undated = db.prepare('SELECT count(*) FROM tool_uses WHERE used_at IS NULL').pluck().get() as number;
  const span = db.prepare('SELECT min(used_at) AS lo, max(used_at) AS hi FROM tool_uses WHERE used_at >= @from AND used_at < @to').get(params) as { lo: string | null; hi: string | null };
  let days: string[] = [];
  const series: ToolsAnswer['series'] = [];
  if (span.lo !== null && span.hi !== null) {
    const loMs = range.fromMs ?? Date.parse(span.lo) - DAY_MS;
    const hiMs = range.toMs ?? Date.parse(span.hi) + DAY_MS;
    const day = bucketSql('day', 'used_at', offsetPeriods(range.tz, loMs, Math.max(loMs, hiMs)));
    const perDay = db
      .prepare(`SELECT ${day} AS day, COALESCE(name, '(unknown)') AS name, count(*) AS uses FROM tool_uses
        WHERE used_at >= @from AND used_at < @to GROUP BY 1, 2`)
      .all(params) as Array<{ day: string; name: string; uses: number }>;
    days = daysBetween(range.from ?? localDay(range.tz, Date.parse(span.lo)), range.to ?? localDay(range.tz, Date.parse(span.hi)));
    const index = new Map(days.map((d, i) => [d, i]));
    const top = rows.slice(0, TOP_TOOLS).map((r) => r.name);
    const names = rows.length > TOP_TOOLS ? [...top, 'other'] : top;
    const byName = new Map(names.map((n) => [n, new Array<number>(days.length).fill(0)]));
    for (const r of perDay) {
      const i = index.get(r.day);
      if (i === undefined) continue;
      byName.get(top.includes(r.name) ? r.name : 'other')![i]! += r.uses;
    }
    for (const n of names) series.push({ name: n, uses: byName.get(n)! });
  }
  return { ...empty, available: true, rows, days, series, by_agent: agents, undated };
}

export function branchesAnswer(db: Db, range: DashRange): BranchesAnswer {
  if (!capabilitiesOf(db).callBranch) return { range: rangeInfo(range), available: false, rows: [] };
  const rows = db
    .prepare(`SELECT COALESCE(s.cwd, '(unknown)') AS project, COALESCE(t.git_branch, '(none)') AS branch,
        count(DISTINCT t.session_id) AS sessions, count(*) AS api_calls, count(*) - count(t.cost_usd) AS unpriced_calls,
        total(t.input_tokens) AS input_tokens, total(t.output_tokens) AS output_tokens,
        total(t.cache_creation_tokens) AS cache_creation_tokens, total(t.cache_read_tokens) AS cache_read_tokens,
        total(t.cost_usd) AS cost_usd, group_concat(DISTINCT COALESCE(t.model, 'unknown')) AS model_list, max(t.timestamp) AS last_call
      FROM token_usage t LEFT JOIN sessions s ON s.session_id = t.session_id
      WHERE t.timestamp >= @from AND t.timestamp < @to
      GROUP BY 1, 2 ORDER BY cost_usd DESC, project, branch`)
    .all({ from: range.fromIso, to: range.toIso }) as Array<Record<string, unknown>>;
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
        models: String(r.model_list ?? '').split(',').filter((m) => m !== '').sort(),
        last_call: String(r.last_call),
      };
    }),
  };
}
