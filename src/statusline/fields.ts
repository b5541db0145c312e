// The status line's named fields: what each shows (the --help and README list comes from here),
// how much it is worth keeping when the line must shrink, which database figures it needs, and
// its text and colour from the figures gathered for this run. Pure.
import { type BudgetLevel, budgetLevel, budgetUsedPct } from '../report/budgets.js';
import type { BudgetPeriod, Budgets } from '../shared/user-config.js';
import type { StatusPayload } from './payload.js';
import type { Span } from './render.js';

/** A cost over a period; `estimated` when it includes Claude Code's estimate of this session. */
export interface PeriodCost {
  usd: number;
  estimated: boolean;
}

export interface BlockFigures {
  cost: PeriodCost;
  msLeft: number;
  burnUsdPerHour: number;
  projectedUsd: number;
  fiveHourPct: number | null;
  /** Epoch ms. */
  fiveHourResetsAt: number | null;
  sevenDayPct: number | null;
  limitReached: boolean;
}

export interface LineFigures {
  payload: StatusPayload | null;
  /** This session's cost: exact (from its transcripts, in the database) or Claude Code's estimate. */
  session: { usd: number; exact: boolean; complete: boolean } | null;
  day: PeriodCost | null;
  week: PeriodCost | null;
  month: PeriodCost | null;
  block: BlockFigures | null;
  budgets: Budgets;
  /** Short markers of what went wrong this run ('config!'). */
  problems: string[];
  now: Date;
}

/** Figures the database may be asked for. */
export type DbNeed = 'day' | 'week' | 'month' | 'block';

interface FieldSpec {
  help: string;
  /** How much the field is worth keeping when the line is too wide (higher = kept longer). */
  rank: number;
  needs: DbNeed[];
  value: (f: LineFigures, shown: Set<string>) => Span[] | null;
}

export const DEFAULT_TEMPLATE =
  '{model}[ | session {session_cost}][ | today {today_cost}][ | block {block_cost} {block_left} left]' +
  '[ | 5h {five_hour_pct}][ resets {five_hour_resets}][ | 7d {seven_day_pct}][ | ctx {context_pct}][ | {lines}]' +
  '[ | {budget_alerts}][ | {problems}]';

const PERIOD_FIELD: Record<BudgetPeriod, string> = { day: 'today_cost', week: 'week_cost', month: 'month_cost', block: 'block_cost' };

export function money(usd: number): string {
  return Math.abs(usd) >= 1000 ? `$${usd.toFixed(0)}` : `$${usd.toFixed(2)}`;
}

export function duration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return '<1m';
  if (minutes < 60) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Local 'HH:MM' on the same local day, else 'Tue 09:00'. */
export function clock(epochMs: number, now: Date): string {
  const t = new Date(epochMs);
  const hm = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
  const sameDay = t.getFullYear() === now.getFullYear() && t.getMonth() === now.getMonth() && t.getDate() === now.getDate();
  return sameDay ? hm : `${WEEKDAYS[t.getDay()]} ${hm}`;
}

function percent(pct: number | null, overAt = 95): Span[] | null {
  if (pct === null) return null;
  const style = pct >= overAt ? 'over' : pct >= 80 ? 'warn' : undefined;
  return [{ text: `${Math.round(pct)}%`, style }];
}

/** A cost, with `~` when estimated, coloured by its budget's level and marked `!` past it. */
function cost(c: PeriodCost | null, budget: number | undefined): Span[] | null {
  if (c === null) return null;
  const level: BudgetLevel = budget === undefined ? 'ok' : budgetLevel(c.usd, budget);
  const spans: Span[] = [];
  if (c.estimated) spans.push({ text: '~', style: 'dim' });
  spans.push({ text: `${money(c.usd)}${level === 'over' ? '!' : ''}`, style: level === 'ok' ? undefined : level });
  return spans;
}

export const FIELDS: Record<string, FieldSpec> = {
  model: { help: "the model's name (Sonnet 4.5)", rank: 60, needs: [], value: (f) => (f.payload?.model ? [{ text: f.payload.model, style: 'model' }] : null) },
  session_cost: {
    help: "this session's cost, from its transcripts (exact); ~$0.42 = Claude Code's own estimate, while the worker has not recorded the session yet; * = some calls of a model without a known price",
    rank: 100,
    needs: [],
    value: (f) => {
      if (f.session === null) return null;
      const spans: Span[] = f.session.exact ? [] : [{ text: '~', style: 'dim' }];
      spans.push({ text: `${money(f.session.usd)}${f.session.complete ? '' : '*'}` });
      return spans;
    },
  },
  today_cost: { help: "today's cost (local day, all sessions); coloured by the day budget", rank: 90, needs: ['day'], value: (f) => cost(f.day, f.budgets.day) },
  week_cost: { help: "this week's cost (Monday first); coloured by the week budget", rank: 40, needs: ['week'], value: (f) => cost(f.week, f.budgets.week) },
  month_cost: { help: "this month's cost; coloured by the month budget", rank: 40, needs: ['month'], value: (f) => cost(f.month, f.budgets.month) },
  block_cost: {
    help: "the current 5-hour block's cost (a block starts at the UTC hour of its first call and lasts 5 h); coloured by the block budget",
    rank: 80,
    needs: ['block'],
    value: (f) => cost(f.block?.cost ?? null, f.budgets.block),
  },
  block_left: { help: 'time left in the current block (2h13m)', rank: 70, needs: ['block'], value: (f) => (f.block ? [{ text: duration(f.block.msLeft) }] : null) },
  burn_rate: { help: "the block's cost per hour so far ($1.20/h)", rank: 20, needs: ['block'], value: (f) => (f.block ? [{ text: `${money(f.block.burnUsdPerHour)}/h` }] : null) },
  projected_cost: {
    help: "the block's cost at its end at the current rate; coloured by the block budget",
    rank: 20,
    needs: ['block'],
    value: (f) => (f.block ? cost({ usd: f.block.projectedUsd, estimated: f.block.cost.estimated }, f.budgets.block) : null),
  },
  five_hour_pct: {
    help: "Claude Code's official five-hour limit used (Pro/Max plans: rate_limits in the payload, else the last recorded)",
    rank: 85,
    needs: ['block'],
    value: (f) => {
      const pct = f.payload?.fiveHourPct ?? f.block?.fiveHourPct ?? null;
      return percent(pct, f.block?.limitReached ? 0 : 95);
    },
  },
  five_hour_resets: {
    help: 'when the official five-hour window resets (local HH:MM)',
    rank: 30,
    needs: ['block'],
    value: (f) => {
      const at = f.payload?.fiveHourResetsAt ?? f.block?.fiveHourResetsAt ?? null;
      return at === null ? null : [{ text: clock(at, f.now) }];
    },
  },
  seven_day_pct: { help: "Claude Code's official seven-day limit used", rank: 45, needs: ['block'], value: (f) => percent(f.payload?.sevenDayPct ?? f.block?.sevenDayPct ?? null) },
  seven_day_resets: {
    help: 'when the official seven-day window resets (Tue 09:00)',
    rank: 10,
    needs: [],
    value: (f) => (f.payload?.sevenDayResetsAt ? [{ text: clock(f.payload.sevenDayResetsAt, f.now) }] : null),
  },
  context_pct: { help: 'context window used', rank: 50, needs: [], value: (f) => percent(f.payload?.contextPct ?? null) },
  lines: {
    help: 'lines added and removed this session (+120/-30)',
    rank: 20,
    needs: [],
    value: (f) => {
      const p = f.payload;
      if (p?.linesAdded == null || p.linesRemoved == null) return null;
      return [
        { text: `+${p.linesAdded}`, style: 'added' },
        { text: '/' },
        { text: `-${p.linesRemoved}`, style: 'removed' },
      ];
    },
  },
  lines_added: { help: 'lines added this session', rank: 20, needs: [], value: (f) => (f.payload?.linesAdded == null ? null : [{ text: String(f.payload.linesAdded) }]) },
  lines_removed: { help: 'lines removed this session', rank: 20, needs: [], value: (f) => (f.payload?.linesRemoved == null ? null : [{ text: String(f.payload.linesRemoved) }]) },
  budget_alerts: {
    help: 'each budget at 80 % or more whose cost is not a field of the line (week 85%, month 104%!)',
    rank: 75,
    needs: ['day', 'week', 'month', 'block'],
    value: (f, shown) => {
      const spans: Span[] = [];
      for (const period of ['day', 'week', 'month', 'block'] as const) {
        const budget = f.budgets[period];
        const spent = period === 'block' ? (f.block?.cost ?? null) : f[period];
        if (budget === undefined || spent === null || shown.has(PERIOD_FIELD[period])) continue;
        const level = budgetLevel(spent.usd, budget);
        if (level === 'ok') continue;
        if (spans.length > 0) spans.push({ text: ' ' });
        spans.push({ text: `${period} ${Math.round(budgetUsedPct(spent.usd, budget))}%${level === 'over' ? '!' : ''}`, style: level });
      }
      return spans.length > 0 ? spans : null;
    },
  },
  dir: { help: "the working folder's name", rank: 30, needs: [], value: (f) => (f.payload?.dir ? [{ text: f.payload.dir.split(/[\\/]/).filter(Boolean).at(-1) ?? f.payload.dir }] : null) },
  version: { help: "Claude Code's version", rank: 0, needs: [], value: (f) => (f.payload?.version ? [{ text: f.payload.version }] : null) },
  problems: {
    help: 'what went wrong this run: config! (the config file is invalid), format! (an unknown field in --format), args! (an unknown option)',
    rank: 95,
    needs: [],
    value: (f) => (f.problems.length > 0 ? [{ text: f.problems.join(' '), style: 'problem' }] : null),
  },
};

export function isField(name: string): boolean {
  return Object.hasOwn(FIELDS, name);
}

export function fieldRank(name: string): number {
  return FIELDS[name]?.rank ?? 0;
}

/** The database figures the fields shown need (budget_alerts only those with a budget). */
export function dbNeeds(shown: Set<string>, budgets: Budgets): Set<DbNeed> {
  const needs = new Set<DbNeed>();
  for (const name of shown) {
    for (const need of FIELDS[name]?.needs ?? []) {
      if (name === 'budget_alerts' && budgets[need] === undefined) continue;
      needs.add(need);
    }
  }
  return needs;
}

/** Every shown field's value. */
export function fieldValues(f: LineFigures, shown: Set<string>): Map<string, Span[] | null> {
  return new Map([...shown].map((name) => [name, FIELDS[name]!.value(f, shown)]));
}
