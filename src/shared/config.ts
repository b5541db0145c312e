// Where things live: the spool directory and the database path, resolved the same way by
// every command (flag, else environment, else default).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SPOOL_ENV = 'CLAUDE_METRICS_SPOOL';
export const DB_ENV = 'CLAUDE_METRICS_DB';
export const PRICES_ENV = 'CLAUDE_METRICS_PRICES';

/** The folder holding package.json, found by walking up from `fromFile` (src/… or dist/…). */
export function packageRoot(fromFile: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(fromFile);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fromFile}`);
    dir = parent;
  }
}

/** `fromFile`: a file of the package, for bundles where import.meta.url is not there (CommonJS). */
export function resolveSpoolDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, fromFile?: string): string {
  const chosen = flag ?? nonEmpty(env[SPOOL_ENV]) ?? path.join(packageRoot(fromFile), 'spool');
  return path.resolve(chosen);
}

export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? nonEmpty(env[DB_ENV]) ?? path.join(os.homedir(), '.claude', 'claude_metrics.db');
  return path.resolve(chosen);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Price overrides: `--prices FILE`, else $CLAUDE_METRICS_PRICES, else ~/.claude/claude_metrics_prices.json
 * when it exists; null when there is none (the built-in table applies).
 */
export function resolvePricesFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const chosen = flag ?? nonEmpty(env[PRICES_ENV]);
  if (chosen !== undefined) return path.resolve(chosen);
  const fallback = path.join(os.homedir(), '.claude', 'claude_metrics_prices.json');
  return fs.existsSync(fallback) ? fallback : null;
}

/** This package's version (package.json), e.g. for the team database's record of each machine. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
