// `claude-metrics status`: one look at the pipeline's health, for people and for scripts. Small
// gathering functions (spool counts and the worker lock: src/shared/spool-status.ts; the database
// read-only: src/report/database-status.ts; the hook; the day's range)
// build one report; problems are derived from it; the edges print it as text or JSON and map it
// to an exit code (0 healthy, 1 attention, 2 usage). Nothing here creates or changes a file.
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot, resolveDbPath, resolveSpoolDir } from '../shared/config.js';
import { spoolDirs } from '../shared/spool-layout.js';
import { type SpoolStatus, gatherSpool, gatherWorker } from '../shared/spool-status.js';
import type { LockState } from '../shared/worker-lock.js';
import { type DatabaseStatus, type DayCost, type DayRange, gatherDatabase } from '../report/database-status.js';
import { defaultClaudeDir } from './import.js';
import { UsageError, parseOptions } from './usage.js';
import { HOOK_EVENTS, ourHookMatcher, parseSettings } from './settings-hooks.js';
import { localDayRange } from '../report/spend.js';
import { resolveConfigFile } from '../shared/user-config.js';
import { type StatusLineStatus, formatStatusLine, gatherStatusLine } from './install-statusline.js';
import { type BudgetStatus, budgetProblems, formatBudgets, gatherBudgets } from './status-budgets.js';
import { type SyncStatus, configuredSyncTarget, formatSync, gatherSync, syncProblems } from '../sync/sync-status.js';
import { openReadConnection } from '../report/read-db.js';

export const DEFAULT_MAX_WAIT_SECONDS = 300;

export const STATUS_HELP = `Usage: claude-metrics status [--json] [--max-wait SECONDS] [--spool-only] [--day YYYY-MM-DD] [--spool DIR] [--db FILE]

Shows the spool (payloads incoming, processing, dead; how long the oldest has waited), whether
a worker is watching the spool (and its pid), the last hook payload and the last status line
snapshot applied, the database (size, sessions) and the cost of today's API calls. Reads only: creates and changes nothing.

  --json                 print one JSON object (fields below)
  --max-wait SECONDS     a payload waiting longer than this is a problem (default ${DEFAULT_MAX_WAIT_SECONDS})
  --spool-only           judge only the spool and the database (for scripts that run
                         'worker --drain' themselves): no worker or no hook is then no problem
  --day YYYY-MM-DD       the day whose cost is shown (default: today); days are local to the
                         system time zone ($TZ), taken as a UTC range for token_usage.timestamp
  --spool DIR            spool directory (default: $CLAUDE_METRICS_SPOOL, else <package>/spool)
  --db FILE              database (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --help, -h             show this help

JSON fields: ok, problems [strings], spool {path, exists, incoming, processing, dead,
oldest_waiting {id, received_at, age_seconds} | null, waiting_too_long, max_wait_seconds},
worker {running, pid, since}, hook {settings, events [the events that run our hook], error},
statusline {state: ours | other | none, command, error}, database {path, exists, size_bytes,
schema_version, sessions, last_applied {id, event, session_id, applied_at} | null (the last hook
payload: status line snapshots aside), last_statusline {id, session_id, applied_at} | null,
error}, day {date, time_zone, start, end, cost_usd, api_calls}, budgets {config, error, budgets,
checks [{period, start, end, budget_usd, cost_usd, used_pct, level: ok | warn | over}],
database_error}, sync {configured (the team database's URL without password, from
$CLAUDE_METRICS_POSTGRES_URL or the config file) | null, config_error, state {target, replica_id,
machine, developer, acked_seq, last_success_at, last_attempt_at, last_error, last_error_at,
consecutive_failures, pid} | null (what the pusher last recorded), lag {rows, oldest_change_at,
age_seconds} | null (local changes the team database has not acknowledged), error}. A missing database or spool is not a problem (counts are 0).

Exit codes: 0 healthy; 1 attention: no worker watching the spool, the hook not registered for
all four events, payloads waiting longer than --max-wait, dead letters (see 'claude-metrics dead
list'), a database that cannot be read, a budget exceeded (this day, week, month or 5-hour
block; $CLAUDE_METRICS_CONFIG, else ~/.config/claude-metrics/config.json) or a config file that
cannot be used, the push to the team database failing (or never run, or behind by more than 15
minutes) (with --spool-only: all but the first two); 2 usage error.
`;

/** Whether Claude Code's settings run our hook (informational: not a problem by itself). */
export interface HookStatus {
  settings: string;
  /** The events (of SessionStart, Stop, SubagentStop, SessionEnd) whose hooks run ours. */
  events: string[];
  /** Why the settings could not be read, when they could not (a missing file is just no events). */
  error: string | null;
}

export interface StatusReport {
  ok: boolean;
  problems: string[];
  spool: SpoolStatus;
  worker: LockState;
  hook: HookStatus;
  statusline: StatusLineStatus;
  database: DatabaseStatus;
  day: DayCost;
  budgets: BudgetStatus;
  sync: SyncStatus;
}

export { localDayRange };
// Gathered in src/shared/spool-status.ts and src/report/database-status.ts (the dashboard reads them too).
export { type SpoolStatus, gatherSpool, gatherWorker };
export { type DatabaseStatus, type DayCost, type DayRange, gatherDatabase };

export function gatherHook(settingsFile: string, hookPath: string): HookStatus {
  const status: HookStatus = { settings: settingsFile, events: [], error: null };
  let text: string;
  try {
    text = fs.readFileSync(settingsFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') status.error = (err as Error).message;
    return status;
  }
  try {
    const hooks = (parseSettings(text).hooks ?? {}) as Record<string, Array<{ hooks: Array<{ command?: unknown }> }>>;
    const ours = ourHookMatcher(hookPath);
    status.events = HOOK_EVENTS.filter((event) =>
      (hooks[event] ?? []).some((group) => group.hooks.some((h) => typeof h.command === 'string' && ours(h.command))),
    );
  } catch (err) {
    status.error = (err as Error).message;
  }
  return status;
}

/** What status judges: everything (default), or only the spool and database (`--spool-only`). */
export type StatusScope = 'all' | 'spool';

export function problemsOf(spool: SpoolStatus, database: DatabaseStatus, worker: LockState, hook: HookStatus, scope: StatusScope = 'all'): string[] {
  const problems: string[] = [];
  if (scope === 'all') {
    if (!worker.running) problems.push("no worker is watching the spool: payloads wait until one runs (start one: 'claude-metrics worker', or 'claude-metrics install --service')");
    if (hook.error !== null) problems.push(`cannot tell whether Claude Code runs the hook: ${hook.error}`);
    else if (hook.events.length < HOOK_EVENTS.length) {
      const missing = HOOK_EVENTS.filter((e) => !hook.events.includes(e));
      problems.push(
        hook.events.length === 0
          ? `Claude Code's settings (${hook.settings}) do not run the hook: nothing is recorded (run 'claude-metrics install')`
          : `the hook is not registered for ${missing.join(', ')} in ${hook.settings} (run 'claude-metrics install')`,
      );
    }
  }
  if (spool.waiting_too_long > 0) {
    const n = spool.waiting_too_long;
    problems.push(
      `${n} payload${n === 1 ? '' : 's'} waiting longer than ${spool.max_wait_seconds}s (oldest ${spool.oldest_waiting?.age_seconds}s): is a worker running?`,
    );
  }
  if (spool.dead > 0) {
    problems.push(`${spool.dead} dead letter${spool.dead === 1 ? '' : 's'} in ${spoolDirs(spool.path).dead} (see 'claude-metrics dead list')`);
  }
  if (database.error !== null) problems.push(`the database cannot be read: ${database.error}`);
  return problems;
}

export function gatherStatus(options: { spoolDir: string; dbPath: string; maxWaitSeconds: number; day?: string; now?: Date; scope?: StatusScope }): StatusReport {
  const now = options.now ?? new Date();
  const spool = gatherSpool(options.spoolDir, options.maxWaitSeconds, now.getTime());
  const worker = gatherWorker(options.spoolDir);
  const hook = gatherHook(path.join(defaultClaudeDir(), 'settings.json'), path.join(packageRoot(), 'dist', 'hook.cjs'));
  const statusline = gatherStatusLine(path.join(defaultClaudeDir(), 'settings.json'));
  const { database, day } = gatherDatabase(options.dbPath, localDayRange(options.day, now));
  const budgets = gatherBudgets(resolveConfigFile(), options.dbPath, now);
  const sync = gatherSyncStatus(options.dbPath, database.exists && database.error === null, now);
  // Budgets and the push are judged in both scopes: --spool-only leaves out only the worker and the hook.
  const problems = [...problemsOf(spool, database, worker, hook, options.scope), ...budgetProblems(budgets), ...syncProblems(sync)];
  return { ok: problems.length === 0, problems, spool, worker, hook, statusline, database, day, budgets, sync };
}

/** The push to the team database: the target set in the environment or config file, the pusher's state, the lag. */
function gatherSyncStatus(dbPath: string, readable: boolean, now: Date): SyncStatus {
  const configured = configuredSyncTarget(resolveConfigFile());
  if (!readable) return gatherSync(dbPath, configured, null, now.getTime());
  const conn = openReadConnection(dbPath, 1000);
  try {
    return gatherSync(dbPath, configured, { conn, schemaVersion: conn.schemaVersion() }, now.getTime());
  } finally {
    conn.close();
  }
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function formatStatus(r: StatusReport): string {
  const rows: Array<[string, string]> = [];
  const s = r.spool;
  rows.push(['spool', `${s.path}${s.exists ? '' : ' (not created yet)'}`]);
  rows.push(['  incoming', String(s.incoming)]);
  rows.push(['  processing', String(s.processing)]);
  rows.push(['  dead', String(s.dead)]);
  rows.push(['  oldest waiting', s.oldest_waiting ? `${duration(s.oldest_waiting.age_seconds)} (received ${s.oldest_waiting.received_at}, ${s.oldest_waiting.id})` : '-']);
  const w = r.worker;
  rows.push(['worker', w.running ? `running${w.pid ? `, pid ${w.pid}` : ''}${w.since ? ` (since ${w.since})` : ''}` : "not running (start one: 'claude-metrics worker', or 'claude-metrics install --service')"]);
  const h = r.hook;
  const hookText =
    h.error !== null
      ? `cannot tell: ${h.error}`
      : h.events.length === HOOK_EVENTS.length
        ? 'installed'
        : h.events.length === 0
          ? "not installed (run 'claude-metrics install')"
          : `only for ${h.events.join(', ')} (run 'claude-metrics install')`;
  rows.push(['hook', `${hookText} in ${h.settings}`]);
  rows.push(['status line', formatStatusLine(r.statusline)]);
  const d = r.database;
  rows.push(['database', `${d.path}${d.exists ? ` (${bytes(d.size_bytes)}${d.schema_version !== null ? `, schema ${d.schema_version}` : ''})` : ' (not created yet)'}`]);
  rows.push(['  sessions', String(d.sessions)]);
  const la = d.last_applied;
  rows.push(['  last applied', la ? `${la.applied_at} ${la.event} of session ${la.session_id} (${la.id})` : '-']);
  const ls = d.last_statusline;
  rows.push(['  last status line', ls ? `${ls.applied_at} of session ${ls.session_id} (${ls.id})` : '-']);
  const cost = r.day.cost_usd === null ? 'unknown (no costs in this database)' : `$${r.day.cost_usd.toFixed(4)}`;
  rows.push([r.day.date === localDayRange().date ? '  today' : `  ${r.day.date}`, `${cost}, ${r.day.api_calls} API calls (${r.day.date}, ${r.day.time_zone})`]);
  rows.push(['budgets', formatBudgets(r.budgets)]);
  rows.push(['team database', formatSync(r.sync)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  lines.push(r.ok ? 'status: ok' : `status: attention`);
  for (const p of r.problems) lines.push(`  - ${p}`);
  return `${lines.join('\n')}\n`;
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseOptions({
    args: argv,
    strict: true,
    options: {
      json: { type: 'boolean' },
      'max-wait': { type: 'string' },
      'spool-only': { type: 'boolean' },
      day: { type: 'string' },
      spool: { type: 'string' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(STATUS_HELP);
    return 0;
  }
  const maxWaitText = values['max-wait'];
  const maxWaitSeconds = maxWaitText === undefined ? DEFAULT_MAX_WAIT_SECONDS : Number(maxWaitText);
  if (!/^\d+$/.test(maxWaitText ?? '0') || !Number.isSafeInteger(maxWaitSeconds)) {
    throw new UsageError(`--max-wait takes a whole number of seconds, not ${JSON.stringify(maxWaitText)}`);
  }
  if (values.day !== undefined) {
    try {
      localDayRange(values.day);
    } catch (err) {
      throw new UsageError(`--day: ${(err as Error).message}`);
    }
  }
  const report = gatherStatus({
    spoolDir: resolveSpoolDir(values.spool),
    dbPath: resolveDbPath(values.db),
    maxWaitSeconds,
    day: values.day,
    scope: values['spool-only'] ? 'spool' : 'all',
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  return report.ok ? 0 : 1;
}
