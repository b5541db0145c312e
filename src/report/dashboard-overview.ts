// The dashboard's overview and group views, from the report's own queries (queries.ts runReport,
// blocks.ts activeBlock): the range's figures by day and model, what is being spent now (today,
// this week, this month, the active 5-hour block, the official limits), the top projects and
// sessions, and the project and model tables. Three answers for the overview rather than one, so
// each stays small. Spending against the config file's budgets through spend.ts and budgets.ts.
// Read-only, pure functions of a connection and `now`.
import type Database from 'better-sqlite3';
import type { Budgets } from '../shared/user-config.js';
import { activeBlock } from './blocks.js';
import { budgetLevel, budgetUsedPct } from './budgets.js';
import { type DashRange, capabilitiesOf, daysBetween, localDay, rangeInfo } from './dashboard-range.js';
import { sessionsPage } from './dashboard-sessions.js';
import type { ActiveBlockInfo, BlocksAnswer, BudgetLevel, GroupsAnswer, LimitsSeries, NowAnswer, OverviewAnswer, PeriodSpend, TopAnswer } from './dashboard-types.js';
import { type Report, runReport } from './queries.js';
import { spentBetween } from './spend.js';
import { localDayStart, nextDay, rfc3339 } from './time.js';

type Db = Database.Database;

function report(db: Db, range: DashRange, kind: 'daily' | 'model' | 'project', breakdown: boolean): Report {
  return runReport(db, { kind, timeZone: range.tz, since: range.from, until: range.to, breakdown, weekStart: 1 });
}

/** Cost per day by model, calls and tokens by kind per day, and the range's totals. */
export function overview(db: Db, range: DashRange): OverviewAnswer {
  const r = report(db, range, 'daily', true);
  const byDay = new Map(r.rows.map((row) => [String(row.date), row]));
  const present = [...byDay.keys()].sort();
  const first = range.from ?? present[0];
  const last = range.to ?? present.at(-1);
  const days = first === undefined || last === undefined ? [] : daysBetween(first, last);
  const models = [...new Set(r.rows.flatMap((row) => row.models))].sort();
  const cost_by_model = models.map((model) =>
    days.map((d) => byDay.get(d)?.breakdown?.find((m) => m.model === model)?.cost_usd ?? 0),
  );
  const series = (f: (row: Report['rows'][number]) => number): number[] => days.map((d) => {
    const row = byDay.get(d);
    return row ? f(row) : 0;
  });
  const t = r.totals;
  const cacheable = t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens;
  return {
    range: rangeInfo(range),
    totals: { ...t, cache_hit_ratio: cacheable > 0 ? t.cache_read_tokens / cacheable : null },
    days,
    models,
    cost_by_model,
    calls: series((row) => row.api_calls),
    tokens: {
      input: series((row) => row.input_tokens),
      output: series((row) => row.output_tokens),
      cache_write: series((row) => row.cache_creation_tokens),
      cache_read: series((row) => row.cache_read_tokens),
    },
  };
}

/** A figure against its budget (budgets.ts: ok below 80 %, warn up to 100 %, over past it). */
function level(cost: number, budget: number | undefined): { budget_usd: number | null; used_pct: number | null; level: BudgetLevel | null } {
  if (budget === undefined) return { budget_usd: null, used_pct: null, level: null };
  return { budget_usd: budget, used_pct: budgetUsedPct(cost, budget), level: budgetLevel(cost, budget) };
}

/** The official limits the status line saw in [fromIso, toIso), in time order, at most `max` points. */
export function limitsSeries(db: Db, fromIso: string, toIso: string, max = 5000): LimitsSeries {
  const out: LimitsSeries = { t: [], five_hour: [], seven_day: [] };
  if (!capabilitiesOf(db).samples) return out;
  const rows = db
    .prepare(`SELECT sampled_at, five_hour_used_pct, seven_day_used_pct FROM statusline_samples
      WHERE sampled_at >= ? AND sampled_at < ? AND (five_hour_used_pct IS NOT NULL OR seven_day_used_pct IS NOT NULL)
      ORDER BY sampled_at DESC LIMIT ?`)
    .raw()
    .all(fromIso, toIso, max) as Array<[string, number | null, number | null]>;
  for (const [t, five, seven] of rows.reverse()) {
    out.t.push(t);
    out.five_hour.push(five);
    out.seven_day.push(seven);
  }
  return out;
}

/**
 * Today, this week (Monday first) and this month in the page's time zone (`status` and the status
 * line judge budgets in the system's; the same when the page uses it), the active block, and the
 * official limits over the range.
 */
export function nowAnswer(db: Db, range: DashRange, now: Date, budgets: Budgets, config: NowAnswer['config']): NowAnswer {
  const nowMs = now.getTime();
  const today = localDay(range.tz, nowMs);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  const monday = new Date(Date.UTC(y, m - 1, d - ((weekday + 6) % 7))).toISOString().slice(0, 10);
  const firstOfMonth = `${today.slice(0, 7)}-01`;
  const nextMonth = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  const afterWeek = new Date(Date.UTC(y, m - 1, d - ((weekday + 6) % 7) + 7)).toISOString().slice(0, 10);
  const periods: PeriodSpend[] = (
    [
      ['day', today, nextDay(today)],
      ['week', monday, afterWeek],
      ['month', firstOfMonth, nextMonth],
    ] as const
  ).map(([period, first, after]) => {
    const start = rfc3339(localDayStart(range.tz, first));
    const end = rfc3339(localDayStart(range.tz, after));
    const s = spentBetween(db, start, end);
    const cost = s.cost_usd ?? 0;
    return { period, date: first, start, end, cost_usd: cost, api_calls: s.api_calls, ...level(cost, budgets[period]) };
  });
  const a = activeBlock(db, now);
  const block: ActiveBlockInfo | null = a === null ? null : { ...a, ...level(a.cost_usd, budgets.block) };
  return { now: rfc3339(nowMs), tz: range.tz, periods, block, limits: limitsSeries(db, range.fromIso, range.toIso), config };
}

/** The range's most expensive projects and sessions. */
export function top(db: Db, range: DashRange, n = 8): TopAnswer {
  const projects = report(db, range, 'project', false).rows.slice(0, n).map((row) => ({ project: String(row.project), ...figuresOf(row) }));
  const sessions = sessionsPage(db, range, { sort: 'cost', dir: 'desc', q: '', project: null, page: 1, perPage: n }).rows;
  return { range: rangeInfo(range), projects, sessions };
}

function figuresOf(r: Report['totals']): Report['totals'] {
  const { sessions, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, total_tokens, cost_usd } = r;
  return { sessions, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, total_tokens, cost_usd };
}

/** The project or model table over the range (`report project` / `report model`). */
export function groups(db: Db, range: DashRange, kind: 'project' | 'model'): GroupsAnswer {
  const r = report(db, range, kind, false);
  return {
    range: rangeInfo(range),
    rows: r.rows.map((row) => ({ key: String(row[kind]), models: row.models, ...figuresOf(row) })),
    totals: r.totals,
  };
}

/** The 5-hour blocks that start in the range (`report blocks`); the limits over it come with `nowAnswer`. */
export function blocks(db: Db, range: DashRange, now: Date): BlocksAnswer {
  const r = runReport(db, { kind: 'blocks', timeZone: range.tz, since: range.from, until: range.to, breakdown: false, weekStart: 1, now });
  return {
    range: rangeInfo(range),
    now: r.now!,
    rows: r.rows as unknown as BlocksAnswer['rows'],
    totals: r.totals as BlocksAnswer['totals'],
  };
}
