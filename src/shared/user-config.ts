// The user's claude-metrics config file: where it is ($CLAUDE_METRICS_CONFIG, else
// $XDG_CONFIG_HOME/claude-metrics/config.json, else ~/.config/claude-metrics/config.json), reading
// it, and checking it. One JSON object whose top-level keys are sections, so later features add
// a section without touching the others:
//
//   {"budgets": {"day": 10, "week": 50, "month": 200, "block": 5},
//    "sync": {"postgres": "postgresql://cm_writer@db.example.com/team?sslmode=verify-full&sslrootcert=/etc/ca.pem",
//             "machine": "laptop", "developer": "ada"}}
//
// Every key is checked: an unknown one is an error naming it (a typo must not silently disable a
// budget). A missing file is an empty config. Validation is pure; the I/O is one bounded read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CONFIG_ENV = 'CLAUDE_METRICS_CONFIG';

export const BUDGET_PERIODS = ['day', 'week', 'month', 'block'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
/** USD per period; a period without a budget is absent. */
export type Budgets = Partial<Record<BudgetPeriod, number>>;

/** The team database this machine pushes to (docs/TEAM.md); each key optional. */
export interface SyncConfig {
  postgres?: string;
  machine?: string;
  developer?: string;
}
const SYNC_KEYS = ['postgres', 'machine', 'developer'] as const;

export interface UserConfig {
  budgets: Budgets;
  sync: SyncConfig;
}

const SECTIONS = ['budgets', 'sync'] as const;
/** Larger than any config anyone writes by hand; a bigger file is refused, not read. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A config file that cannot be used: the message names the file and the entry. */
export class InvalidConfigError extends Error {
  constructor(
    readonly file: string,
    readonly entry: string | null,
    readonly problem: string,
  ) {
    super(`${file}: ${entry === null ? '' : `${entry}: `}${problem}`);
  }
}

export function emptyConfig(): UserConfig {
  return { budgets: {}, sync: {} };
}

export function resolveConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env[CONFIG_ENV]) return path.resolve(env[CONFIG_ENV]);
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'claude-metrics', 'config.json');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function known(list: readonly string[]): string {
  return `known: ${list.join(', ')}`;
}

/** Checks a config file's text; `file` only names it in errors. Whitespace only is an empty config. */
export function parseUserConfig(text: string, file: string): UserConfig {
  if (text.trim() === '') return emptyConfig();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidConfigError(file, null, `not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) throw new InvalidConfigError(file, null, 'the top level is not a JSON object');
  for (const key of Object.keys(value)) {
    if (!(SECTIONS as readonly string[]).includes(key)) throw new InvalidConfigError(file, JSON.stringify(key), `unknown key (${known(SECTIONS)})`);
  }
  return { budgets: parseBudgets(value.budgets, file), sync: parseSync(value.sync, file) };
}

function parseSync(value: unknown, file: string): SyncConfig {
  if (value === undefined) return {};
  if (!isObject(value)) throw new InvalidConfigError(file, '"sync"', 'not an object, e.g. {"postgres": "postgresql://…", "developer": "ada"}');
  const sync: SyncConfig = {};
  for (const [key, v] of Object.entries(value)) {
    const entry = `"sync.${key}"`;
    if (!(SYNC_KEYS as readonly string[]).includes(key)) throw new InvalidConfigError(file, entry, `unknown key (${known(SYNC_KEYS)})`);
    if (v === null) continue;
    if (typeof v !== 'string' || v.trim() === '') throw new InvalidConfigError(file, entry, 'must be a non-empty string');
    sync[key as (typeof SYNC_KEYS)[number]] = v;
  }
  return sync;
}

function parseBudgets(value: unknown, file: string): Budgets {
  if (value === undefined) return {};
  if (!isObject(value)) throw new InvalidConfigError(file, '"budgets"', 'not an object of USD amounts, e.g. {"day": 10}');
  const budgets: Budgets = {};
  for (const [key, amount] of Object.entries(value)) {
    const entry = `"budgets.${key}"`;
    if (!(BUDGET_PERIODS as readonly string[]).includes(key)) throw new InvalidConfigError(file, entry, `unknown period (${known(BUDGET_PERIODS)})`);
    if (amount === null) continue;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) {
      throw new InvalidConfigError(file, entry, `must be a positive number of USD (or null for none), not ${JSON.stringify(amount)}`);
    }
    budgets[key as BudgetPeriod] = amount;
  }
  return budgets;
}

/** Reads and checks the file; a missing one is an empty config. Throws InvalidConfigError. */
export function loadUserConfig(file: string): UserConfig {
  let text: string;
  try {
    // No exception for the usual case, no config file (the status line reads it on every run).
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) return emptyConfig();
    if (!stat.isFile()) throw new InvalidConfigError(file, null, 'not a regular file');
    if (stat.size > MAX_CONFIG_BYTES) throw new InvalidConfigError(file, null, `larger than ${MAX_CONFIG_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InvalidConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw new InvalidConfigError(file, null, `cannot be read (${(err as Error).message})`);
  }
  return parseUserConfig(text, file);
}
