// `status`'s budgets: the config file's budgets (day, week, month, 5-hour block) checked against
// the database, read-only, at the current time; a budget exceeded, or a config file that cannot
// be used, is a problem (exit 1). Creates and changes nothing.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { type BudgetCheck, checkBudgets } from '../report/budgets.js';
import { MIN_SCHEMA_VERSION } from '../report/schema.js';
import { type BudgetPeriod, type Budgets, InvalidConfigError, loadUserConfig } from '../shared/user-config.js';

export interface BudgetStatus {
  config: string;
  /** Why the config file cannot be used, naming the entry. */
  error: string | null;
  /** USD per period, as set in the config file. */
  budgets: Budgets;
  /** One per budget set (the block's only while a block is active). */
  checks: BudgetCheck[];
  /** Why the database could not be read for the checks (its own line says so too). */
  database_error: string | null;
}

export function gatherBudgets(configFile: string, dbPath: string, now: Date): BudgetStatus {
  const status: BudgetStatus = { config: configFile, error: null, budgets: {}, checks: [], database_error: null };
  try {
    status.budgets = loadUserConfig(configFile).budgets;
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    status.error = err.message;
    return status;
  }
  if (Object.keys(status.budgets).length === 0 || !fs.existsSync(dbPath)) return status;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 1000 });
    // An older schema has no costs to check (status reports the database itself).
    if ((db.pragma('user_version', { simple: true }) as number) >= MIN_SCHEMA_VERSION) status.checks = checkBudgets(db, status.budgets, now);
  } catch (err) {
    if (!(err instanceof Database.SqliteError)) throw err;
    status.database_error = err.message;
  } finally {
    db?.close();
  }
  return status;
}

const money = (usd: number): string => `$${usd.toFixed(2)}`;

export function budgetProblems(b: BudgetStatus): string[] {
  const problems: string[] = [];
  if (b.error !== null) problems.push(`the config file cannot be used: ${b.error}`);
  for (const c of b.checks) {
    if (c.level !== 'over') continue;
    const what = c.period === 'block' ? 'the current 5-hour block' : `this ${c.period}`;
    problems.push(`${c.period} budget exceeded: ${money(c.cost_usd)} of ${money(c.budget_usd)} (${c.used_pct}%) spent ${what}`);
  }
  return problems;
}

/** One line for the text report: each budget and how much of it is used. */
export function formatBudgets(b: BudgetStatus): string {
  if (b.error !== null) return `invalid (${b.config})`;
  const periods = Object.keys(b.budgets) as BudgetPeriod[];
  if (periods.length === 0) return `none set (${b.config})`;
  return periods
    .map((period) => {
      const c = b.checks.find((check) => check.period === period);
      if (!c) return `${period} ${money(b.budgets[period]!)} (${period === 'block' ? 'no active block' : 'not checked'})`;
      return `${period} ${money(c.cost_usd)} of ${money(c.budget_usd)} (${c.used_pct}%${c.level === 'over' ? '!' : ''})`;
    })
    .join(', ');
}
