// The dashboard's sessions: the table (sessions started in the range, filtered, sorted and paged
// in SQL, so a year of sessions costs one page's worth of rows) and one session in detail (its
// API calls over time, models, tool uses, status line snapshots, hook events). Read-only, pure
// functions of a connection; the answers are the types in dashboard-types.ts.
import type Database from 'better-sqlite3';
import { crossCheck } from './crosscheck.js';
import { type DashRange, capabilitiesOf, rangeInfo } from './dashboard-range.js';
import type { SessionDetail, SessionRow, SessionSort, SessionsAnswer, ToolFigures } from './dashboard-types.js';

type Db = Database.Database;

/** SQL for each sort key (a closed list: nothing from the request reaches the SQL text). */
const SORT_SQL: Record<SessionSort, string> = {
  start: 'COALESCE(s.start_time, s.end_time)',
  project: "COALESCE(s.cwd, '')",
  duration: 'COALESCE(julianday(s.end_time) - julianday(s.start_time), -1)',
  calls: 'COALESCE(s.api_calls, 0)',
  tools: 'COALESCE(s.tool_calls, 0)',
  commits: 'COALESCE(s.commits, 0)',
  lines: 'COALESCE(s.lines_added, 0) + COALESCE(s.lines_removed, 0)',
  tokens: 'COALESCE(s.input_tokens, 0) + COALESCE(s.output_tokens, 0) + COALESCE(s.cache_creation_tokens, 0) + COALESCE(s.cache_read_tokens, 0)',
  cost: 'COALESCE(s.total_cost_usd, 0)',
  reported: 'COALESCE(s.reported_cost_usd, -1)',
};

const IN_RANGE = 'COALESCE(s.start_time, s.end_time) >= @from AND COALESCE(s.start_time, s.end_time) < @to';

/** A filter: the text in the project path, a model id, the branch, the developer or machine (team database), or the start of a session id. */
const filterSql = (branch: boolean, team: boolean): string => `(s.cwd LIKE @like ESCAPE '\\' OR s.session_id LIKE @prefix ESCAPE '\\'
  ${branch ? "OR s.git_branch LIKE @like ESCAPE '\\'" : ''}
  ${team ? "OR s.developer LIKE @like ESCAPE '\\' OR s.machine LIKE @like ESCAPE '\\'" : ''}
  OR EXISTS (SELECT 1 FROM session_models m WHERE m.session_id = s.session_id AND m.model LIKE @like ESCAPE '\\'))`;

const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface SessionQuery {
  sort: SessionSort;
  dir: 'asc' | 'desc';
  /** Free text: part of the project path, of a model id, or a session id's start. */
  q: string;
  /** Exactly this project (working folder); '(unknown)' = none recorded. */
  project: string | null;
  /** Sessions with a call on this git branch (schema 8); '(none)' = calls that name none. */
  branch?: string | null;
  /** A team database's mirror: this developer's sessions. */
  developer?: string | null;
  page: number;
  perPage: number;
}

const ROW_COLUMNS = `s.session_id, s.cwd, s.start_time, s.end_time, s.cost_source, s.reported_cost_usd,
  CASE WHEN s.start_time IS NOT NULL AND s.end_time IS NOT NULL THEN round((julianday(s.end_time) - julianday(s.start_time)) * 86400, 3) END AS duration_seconds,
  COALESCE(s.api_calls, 0) AS api_calls, COALESCE(s.tool_calls, 0) AS tool_calls, COALESCE(s.commits, 0) AS commits,
  COALESCE(s.lines_added, 0) AS lines_added, COALESCE(s.lines_removed, 0) AS lines_removed,
  COALESCE(s.input_tokens, 0) AS input_tokens, COALESCE(s.output_tokens, 0) AS output_tokens,
  COALESCE(s.cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(s.cache_read_tokens, 0) AS cache_read_tokens,
  COALESCE(s.total_cost_usd, 0) AS cost_usd`;

/** Sessions rows for the ids given, in that order, with their models and branch. */
function rowsFor(db: Db, ids: string[]): SessionRow[] {
  if (ids.length === 0) return [];
  const marks = ids.map(() => '?').join(',');
  const caps = capabilitiesOf(db);
  const branch = caps.sessionBranch ? 's.git_branch' : 'NULL';
  const team = caps.team ? 's.developer, s.machine' : 'NULL AS developer, NULL AS machine';
  const base = db.prepare(`SELECT ${ROW_COLUMNS}, ${branch} AS git_branch, ${team} FROM sessions s WHERE s.session_id IN (${marks})`).all(...ids) as Array<Record<string, unknown>>;
  const models = db
    .prepare(`SELECT session_id, model, unpriced_calls FROM session_models WHERE session_id IN (${marks}) ORDER BY model`)
    .all(...ids) as Array<{ session_id: string; model: string; unpriced_calls: number }>;
  const byId = new Map(base.map((r) => [r.session_id as string, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const mine = models.filter((m) => m.session_id === id);
    const tokens = Number(r.input_tokens) + Number(r.output_tokens) + Number(r.cache_creation_tokens) + Number(r.cache_read_tokens);
    const check = crossCheck(r);
    return [
      {
        session_id: id,
        project: (r.cwd as string | null) ?? null,
        developer: (r.developer as string | null) ?? null,
        machine: (r.machine as string | null) ?? null,
        branch: (r.git_branch as string | null) ?? null,
        start_time: (r.start_time as string | null) ?? null,
        end_time: (r.end_time as string | null) ?? null,
        duration_seconds: (r.duration_seconds as number | null) ?? null,
        models: mine.map((m) => m.model),
        api_calls: Number(r.api_calls),
        unpriced_calls: mine.reduce((a, m) => a + m.unpriced_calls, 0),
        tool_calls: Number(r.tool_calls),
        commits: Number(r.commits),
        lines_added: Number(r.lines_added),
        lines_removed: Number(r.lines_removed),
        input_tokens: Number(r.input_tokens),
        output_tokens: Number(r.output_tokens),
        cache_creation_tokens: Number(r.cache_creation_tokens),
        cache_read_tokens: Number(r.cache_read_tokens),
        total_tokens: tokens,
        cost_usd: Number(r.cost_usd),
        reported_cost_usd: check.reported_cost_usd,
        cost_differs: check.cost_differs,
      },
    ];
  });
}

/** One page of the sessions that started in the range and match the filter, sorted in SQL. */
export function sessionsPage(db: Db, range: DashRange, q: SessionQuery): SessionsAnswer {
  const where = [IN_RANGE];
  const text = q.q.trim();
  const params: Record<string, unknown> = { from: range.fromIso, to: range.toIso };
  if (text !== '') {
    where.push(filterSql(capabilitiesOf(db).sessionBranch, capabilitiesOf(db).team));
    params.like = `%${likeEscape(text)}%`;
    params.prefix = `${likeEscape(text)}%`;
  }
  if (q.project !== null) {
    where.push(q.project === '(unknown)' ? 's.cwd IS NULL' : 's.cwd = @project');
    if (q.project !== '(unknown)') params.project = q.project;
  }
  if (q.branch != null && capabilitiesOf(db).callBranch) {
    where.push(`EXISTS (SELECT 1 FROM token_usage t WHERE t.session_id = s.session_id AND ${q.branch === '(none)' ? 't.git_branch IS NULL' : 't.git_branch = @branch'})`);
    if (q.branch !== '(none)') params.branch = q.branch;
  }
  if (q.developer != null && capabilitiesOf(db).team) {
    where.push(q.developer === '(unknown)' ? 's.developer IS NULL' : 's.developer = @developer');
    if (q.developer !== '(unknown)') params.developer = q.developer;
  }
  const whereSql = where.join(' AND ');
  const total = db.prepare(`SELECT count(*) FROM sessions s WHERE ${whereSql}`).pluck().get(params) as number;
  const dir = q.dir === 'asc' ? 'ASC' : 'DESC';
  const ids = db
    .prepare(`SELECT s.session_id FROM sessions s WHERE ${whereSql} ORDER BY ${SORT_SQL[q.sort]} ${dir}, s.session_id ${dir} LIMIT @limit OFFSET @offset`)
    .pluck()
    .all({ ...params, limit: q.perPage, offset: (q.page - 1) * q.perPage }) as string[];
  return { range: rangeInfo(range), rows: rowsFor(db, ids), total, page: q.page, per_page: q.perPage, sort: q.sort, dir: q.dir, q: q.q };
}

/** Calls a session detail sends at most (the latest); a session has ~1,000 in a long day. */
export const SESSION_CALLS_LIMIT = 20_000;

/** One session with its calls, models, tools, snapshots and events; null when unknown. */
export function sessionDetail(db: Db, sessionId: string): SessionDetail | null {
  const caps = capabilitiesOf(db);
  const row = rowsFor(db, [sessionId])[0];
  if (!row) return null;
  const extra = db
    .prepare(`SELECT cwd, end_reason, cost_complete, cost_source, total_duration_ms, total_api_duration_ms,
        ${caps.reported ? 'reported_source, reported_at' : 'NULL AS reported_source, NULL AS reported_at'}
      FROM sessions WHERE session_id = ?`)
    .get(sessionId) as Record<string, unknown>;
  const models = db
    .prepare(`SELECT model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
        input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens AS total_tokens, cost_usd
      FROM session_models WHERE session_id = ? ORDER BY cost_usd DESC, model`)
    .all(sessionId) as SessionDetail['models'];
  const totalCalls = db.prepare('SELECT count(*) FROM token_usage WHERE session_id = ?').pluck().get(sessionId) as number;
  const callRows = db
    .prepare(`SELECT * FROM (SELECT timestamp, COALESCE(model, 'unknown'), agent_id, COALESCE(input_tokens, 0), COALESCE(output_tokens, 0),
        COALESCE(cache_creation_tokens, 0), COALESCE(cache_read_tokens, 0), cost_usd
      FROM token_usage WHERE session_id = ? ORDER BY timestamp DESC, id DESC LIMIT ?) ORDER BY 1`)
    .raw()
    .all(sessionId, SESSION_CALLS_LIMIT) as Array<[string, string, string | null, number, number, number, number, number | null]>;
  const calls: SessionDetail['calls'] = { t: [], model: [], agent: [], input: [], output: [], cache_write: [], cache_read: [], cost: [], total: totalCalls, limit: SESSION_CALLS_LIMIT };
  for (const c of callRows) {
    calls.t.push(c[0]);
    calls.model.push(c[1]);
    calls.agent.push(c[2]);
    calls.input.push(c[3]);
    calls.output.push(c[4]);
    calls.cache_write.push(c[5]);
    calls.cache_read.push(c[6]);
    calls.cost.push(c[7]);
  }
  let byName: ToolFigures[] | null = null;
  if (caps.toolNames) {
    byName = db
      .prepare(`SELECT COALESCE(name, '(unknown)') AS name, count(*) AS uses, COALESCE(sum(is_error = 1), 0) AS errors,
          count(is_error) AS with_result, count(DISTINCT session_id) AS sessions
        FROM tool_uses WHERE session_id = ? GROUP BY 1 ORDER BY uses DESC, name`)
      .all(sessionId) as ToolFigures[];
  }
  const context: SessionDetail['context'] = { t: [], used_pct: [], window: [], reported_cost: [] };
  if (caps.samples) {
    const samples = db
      .prepare('SELECT sampled_at, context_used_pct, context_window_size, total_cost_usd FROM statusline_samples WHERE session_id = ? ORDER BY sampled_at, payload_id')
      .raw()
      .all(sessionId) as Array<[string, number | null, number | null, number | null]>;
    for (const s of samples) {
      context.t.push(s[0]);
      context.used_pct.push(s[1]);
      context.window.push(s[2]);
      context.reported_cost.push(s[3]);
    }
  }
  const events = db
    .prepare("SELECT event, received_at, applied_at FROM payloads WHERE session_id = ? AND event <> 'StatusLine' ORDER BY id")
    .all(sessionId) as SessionDetail['events'];
  return {
    session: {
      ...row,
      cwd: (extra.cwd as string | null) ?? null,
      end_reason: (extra.end_reason as string | null) ?? null,
      cost_complete: extra.cost_complete === null || extra.cost_complete === undefined ? null : extra.cost_complete === 1,
      cost_source: (extra.cost_source as string | null) ?? null,
      reported_source: (extra.reported_source as string | null) ?? null,
      reported_at: (extra.reported_at as string | null) ?? null,
      total_duration_ms: (extra.total_duration_ms as number | null) ?? null,
      total_api_duration_ms: (extra.total_api_duration_ms as number | null) ?? null,
    },
    models,
    calls,
    tools: { by_name: byName, total: row.tool_calls },
    context,
    events,
  };
}
