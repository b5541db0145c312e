// The dashboard's JSON API: each GET route's parameters checked (time zone, local days, sort keys
// from a closed list, bounded pages), then answered by a query of src/report (dashboard-*.ts,
// which reuse the report's own queries). A bad parameter is a 400 naming it; an unknown route a
// 404. Nothing here writes: the connection is read-only.
import type Database from 'better-sqlite3';
import { blocks, groups, nowAnswer, overview, top } from '../../report/dashboard-overview.js';
import { pipelineAnswer } from '../../report/dashboard-pipeline.js';
import { developersAnswer, teamPipelineAnswer } from '../../report/dashboard-team.js';
import { type DashRange, dashRange } from '../../report/dashboard-range.js';
import { sessionDetail, sessionsPage } from '../../report/dashboard-sessions.js';
import { branchesAnswer, toolsAnswer } from '../../report/dashboard-tools.js';
import { SESSION_SORTS, type SessionSort, type SyncInfo, type TeamAnswer, type TeamInfo } from '../../report/dashboard-types.js';
import { checkTimeZone, parseDay, systemTimeZone } from '../../report/time.js';
import type { Budgets } from '../../shared/user-config.js';
import { type SyncStatus, gatherSync, syncProblems } from '../../sync/sync-status.js';
import { redactUrl } from '../../sync/target.js';

export interface ApiContext {
  db: Database.Database;
  dbPath: string;
  spoolDir: string;
  /** The time taken as now (the clock, or --now in tests). */
  now: () => Date;
  /** The budgets and where they come from, read at each request (the file may change). */
  budgets: () => { budgets: Budgets; file: string | null; error: string | null };
  /** How many changes the live feed has seen. */
  changes: () => number;
  /** `dashboard --postgres`: the team database the database is a mirror of (src/sync/team-mirror.ts). */
  team: { info(): TeamInfo } | null;
  /** The team database set in the environment or config file (its URL without password), or why it cannot be used. */
  syncConfigured: () => { shown: string | null; error: string | null };
}

/** Whether a process of that pid exists (ours or another user's). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This machine's push to a team database, gathered as `status` gathers it; null when none is set or was ever recorded. */
export function syncInfo(ctx: ApiContext): SyncInfo | null {
  const now = ctx.now().getTime();
  const s: SyncStatus = gatherSync(ctx.dbPath, ctx.syncConfigured(), { conn: ctx.db, schemaVersion: ctx.db.pragma('user_version', { simple: true }) as number }, now);
  if (s.configured === null && s.config_error === null && s.state === null && s.error === null) return null;
  const st = s.state;
  return {
    configured: s.configured,
    // The file is ours, but what is sent to a browser never holds a password, whatever it says.
    target: st ? redactUrl(st.target) : '',
    machine: st?.machine ?? '',
    developer: st?.developer ?? '',
    pusher_running: st ? alive(st.pid) : false,
    pid: st?.pid ?? null,
    acked_seq: st?.acked_seq ?? 0,
    last_success_at: st?.last_success_at ?? null,
    last_attempt_at: st?.last_attempt_at ?? null,
    last_error: st?.last_error ?? null,
    last_error_at: st?.last_error_at ?? null,
    consecutive_failures: st?.consecutive_failures ?? 0,
    lag_rows: s.lag?.rows ?? null,
    oldest_unpushed_at: s.lag?.oldest_change_at ?? null,
    oldest_unpushed_age_seconds: s.lag?.age_seconds ?? null,
    error: s.config_error ?? s.error,
    problems: syncProblems(s),
  };
}

export class BadRequest extends Error {}
class NotFound extends Error {}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

function rangeOf(params: URLSearchParams): DashRange {
  const tzText = params.get('tz');
  const tz = tzText === null || tzText === '' ? systemTimeZone() : checkTimeZone(tzText);
  if (tz === null) throw new BadRequest(`unknown time zone ${JSON.stringify(tzText)}`);
  const day = (name: string): string | null => {
    const v = params.get(name);
    if (v === null || v === '') return null;
    if (!parseDay(v)) throw new BadRequest(`${name} must be a date YYYY-MM-DD, not ${JSON.stringify(v)}`);
    return v;
  };
  const from = day('from');
  const to = day('to');
  if (from !== null && to !== null && from > to) throw new BadRequest(`from ${from} is after to ${to}`);
  return dashRange(tz, from, to);
}

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const v = params.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BadRequest(`${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(v)}`);
  return n;
}

type Handler = (ctx: ApiContext, params: URLSearchParams, tail: string | null) => unknown;

const ROUTES: Record<string, Handler> = {
  version: (ctx) => ({ changes: ctx.changes() }),
  overview: (ctx, p) => overview(ctx.db, rangeOf(p)),
  now: (ctx, p) => {
    const b = ctx.budgets();
    return nowAnswer(ctx.db, rangeOf(p), ctx.now(), b.budgets, { file: b.file, error: b.error });
  },
  top: (ctx, p) => top(ctx.db, rangeOf(p)),
  projects: (ctx, p) => groups(ctx.db, rangeOf(p), 'project'),
  models: (ctx, p) => groups(ctx.db, rangeOf(p), 'model'),
  pipeline: (ctx, p) =>
    ctx.team
      ? teamPipelineAnswer(ctx.db, ctx.team.info(), rangeOf(p), ctx.now())
      : pipelineAnswer(ctx.db, ctx.dbPath, ctx.spoolDir, rangeOf(p), ctx.now(), syncInfo(ctx)),
  team: (ctx): TeamAnswer => ({ team: ctx.team ? ctx.team.info() : null }),
  developers: (ctx, p) => developersAnswer(ctx.db, rangeOf(p)),
  blocks: (ctx, p) => blocks(ctx.db, rangeOf(p), ctx.now()),
  tools: (ctx, p) => toolsAnswer(ctx.db, rangeOf(p)),
  branches: (ctx, p) => branchesAnswer(ctx.db, rangeOf(p)),
  sessions: (ctx, p, id) => {
    if (id !== null) {
      const detail = sessionDetail(ctx.db, id);
      if (detail === null) throw new NotFound(`no session ${JSON.stringify(id)}`);
      return detail;
    }
    const sort = (p.get('sort') || 'start') as SessionSort;
    if (!SESSION_SORTS.includes(sort)) throw new BadRequest(`sort must be one of ${SESSION_SORTS.join(', ')}`);
    const dir = p.get('dir') || 'desc';
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest('dir must be asc or desc');
    const q = p.get('q') ?? '';
    if (q.length > 200) throw new BadRequest('q is at most 200 characters');
    return sessionsPage(ctx.db, rangeOf(p), {
      sort,
      dir,
      q,
      project: p.get('project') || null,
      branch: p.get('branch') || null,
      developer: p.get('developer') || null,
      page: intParam(p, 'page', 1, 1_000_000),
      perPage: intParam(p, 'per_page', 50, 500),
    });
  },
};

/** Answers GET /api/<route>[/<id>]; `pathname` starts with /api/. */
export function answerApi(ctx: ApiContext, pathname: string, params: URLSearchParams): ApiAnswer {
  const parts = pathname.slice('/api/'.length).split('/');
  const handler = Object.hasOwn(ROUTES, parts[0]!) ? ROUTES[parts[0]!] : undefined;
  if (handler === undefined || parts.length > 2 || (parts.length === 2 && parts[0] !== 'sessions')) {
    return { status: 404, body: { error: `no such API: ${pathname}` } };
  }
  let tail: string | null = null;
  if (parts.length === 2) {
    try {
      tail = decodeURIComponent(parts[1]!);
    } catch (err) {
      if (!(err instanceof URIError)) throw err;
      return { status: 400, body: { error: 'malformed path' } };
    }
  }
  try {
    return { status: 200, body: handler(ctx, params, tail) };
  } catch (err) {
    if (err instanceof BadRequest) return { status: 400, body: { error: err.message } };
    if (err instanceof NotFound) return { status: 404, body: { error: err.message } };
    throw err;
  }
}
