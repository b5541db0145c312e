// Budgets against what was spent: how far a cost is into its budget (ok, warn from 80 %, over
// past 100 %), and the checks of the current day, week, month and 5-hour block that `status` and
// the status line make. Pure, apart from reading a connection it is given.
import type Database from 'better-sqlite3';
import type { BudgetPeriod, Budgets } from '../shared/user-config.js';
import { activeBlock } from './blocks.js';
import { type LocalBounds, localDayBounds, localMonthBounds, localWeekBounds, spentBetween } from './spend.js';

/** From this share of its budget a figure is shown as a warning. */
export const BUDGET_WARN_RATIO = 0.8;

export type BudgetLevel = 'ok' | 'warn' | 'over';

/** ok below 80 %, warn from 80 % up to 100 % included, over past 100 %. */
export function budgetLevel(costUsd: number, budgetUsd: number): BudgetLevel {
  const ratio = costUsd / budgetUsd;
  if (ratio > 1) return 'over';
  if (ratio >= BUDGET_WARN_RATIO) return 'warn';
  return 'ok';
}

/** Percent of the budget used, to one decimal. */
export function budgetUsedPct(costUsd: number, budgetUsd: number): number {
  return Math.round((costUsd / budgetUsd) * 1000) / 10;
}

export interface BudgetCheck {
  period: BudgetPeriod;
  /** The period checked, RFC 3339 UTC: [start, end). */
  start: string;
  end: string;
  budget_usd: number;
  cost_usd: number;
  used_pct: number;
  level: BudgetLevel;
}

/** The local range of a calendar period holding `now`. */
export function periodBounds(period: Exclude<BudgetPeriod, 'block'>, now: Date): LocalBounds {
  return period === 'day' ? localDayBounds(undefined, now) : period === 'week' ? localWeekBounds(now) : localMonthBounds(now);
}

/**
 * Each budget set, checked against the current period's spending: the local day, week (Monday
 * first) and month of `now`, and the active 5-hour block (none active: nothing spent in it).
 */
export function checkBudgets(db: Database.Database, budgets: Budgets, now: Date): BudgetCheck[] {
  const checks: BudgetCheck[] = [];
  for (const period of ['day', 'week', 'month', 'block'] as const) {
    const budget = budgets[period];
    if (budget === undefined) continue;
    let start: string;
    let end: string;
    let cost: number;
    if (period === 'block') {
      const block = activeBlock(db, now);
      if (block === null) continue;
      ({ start, end } = block);
      cost = block.cost_usd;
    } else {
      ({ start, end } = periodBounds(period, now));
      cost = spentBetween(db, start, end).cost_usd ?? 0;
    }
    checks.push({ period, start, end, budget_usd: budget, cost_usd: cost, used_pct: budgetUsedPct(cost, budget), level: budgetLevel(cost, budget) });
  }
  return checks;
}

/** The budget period a report's rows cover: daily → day, weekly → week, monthly → month. */
export const REPORT_BUDGET_PERIOD: Partial<Record<string, BudgetPeriod>> = { daily: 'day', weekly: 'week', monthly: 'month', blocks: 'block' };

export interface ReportBudget {
  period: BudgetPeriod;
  usd: number;
}

/**
 * A report with its budget beside each period, when the config sets one for the report's period:
 * `budget` {period, usd} and, on each row, `budget_used_pct` and `budget_level`. Otherwise the
 * report as it is (no budget key).
 */
export function withBudget<R extends { report: string; rows: Array<Record<string, unknown> & { cost_usd: number }> }>(
  report: R,
  budgets: Budgets,
): R & { budget?: ReportBudget } {
  const period = REPORT_BUDGET_PERIOD[report.report];
  const usd = period === undefined ? undefined : budgets[period];
  if (period === undefined || usd === undefined) return report;
  const rows = report.rows.map((row) => ({ ...row, budget_used_pct: budgetUsedPct(row.cost_usd, usd), budget_level: budgetLevel(row.cost_usd, usd) }));
  return { ...report, rows, budget: { period, usd } };
}

/** A row's budget cell: '31%', '85%' or '104%!' (past the budget). */
export function budgetCell(row: Record<string, unknown>): string {
  if (typeof row.budget_used_pct !== 'number') return '';
  return `${Math.round(row.budget_used_pct)}%${row.budget_level === 'over' ? '!' : ''}`;
}
