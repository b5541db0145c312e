// `claude-metrics worker` and `claude-metrics import`: their options and help, running a worker
// until drained or stopped (the drain summary line, progress on a terminal), and an import that
// spools every session and, with --drain, applies them (or waits for the watching worker).
// Loaded by main.ts only for these two commands: it brings the worker, chokidar and p-queue.
import path from 'node:path';
import { packageVersion, resolveDbPath, resolvePricesFile, resolveSpoolDir } from '../shared/config.js';
import { LOG_LEVELS, type LogFormat, type LogLevel, type Logger, createLogger } from '../shared/log.js';
import { Worker, WorkerAlreadyRunningError, type WorkerOptions } from '../worker/worker.js';
import { defaultClaudeDir, findSessions, spoolImports, waitForWorker } from './import.js';
import { probeWorkerLock } from '../shared/worker-lock.js';
import { UsageError, parseOptions } from './usage.js';
import type { SyncTarget } from '../sync/target.js';
import { syncTargetFrom } from './sync.js';

/** A watching worker already holds the spool. */
const EXIT_ALREADY_RUNNING = 3;

const IMPORT_HELP = `Usage: claude-metrics import [--claude-dir DIR] [--drain] [--spool DIR] [--db FILE] [--json]

Finds every session transcript under DIR/projects and spools one payload per session; the
worker then reads each transcript (and its subagents') and records the session's figures,
as for any hook event. Safe to run again: figures are recomputed, never added twice.

  --claude-dir DIR       Claude Code's folder (default: $CLAUDE_CONFIG_DIR, else ~/.claude)
  --drain                apply the spool right away (as 'claude-metrics worker --drain'); when a
                         watching worker holds the spool, wait for it to apply them instead
  --wait-seconds N       with --drain beside a watching worker: wait at most N seconds (default 600)
  --spool DIR            spool directory (default: $CLAUDE_METRICS_SPOOL, else <package>/spool)
  --db FILE              database, with --drain (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --json                 print the summary as JSON
  --help, -h             show this help

Progress is shown on a terminal (stderr) and not when piped.
Exit codes: 0 done (also when the default folder has no projects yet), 1 the folder named by
--claude-dir has no projects/, the drain failed, or (beside a watching worker) some payloads were
dead-lettered or still wait after --wait-seconds, 2 usage error.
`;

const WORKER_HELP = `Usage: claude-metrics worker [--drain] [--spool DIR] [--db FILE] [options]

Applies hook payloads from the spool to the SQLite database, one transaction per batch, and
deletes each file after its transaction commits (or moves it to dead/ with the reason).

  --drain                apply what is in the spool, print one summary line, exit 0
                         (without it: keep watching until SIGINT/SIGTERM)
  --spool DIR            spool directory (default: $CLAUDE_METRICS_SPOOL, else <package>/spool)
  --db FILE              database (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --log-level LEVEL      error, warn, info (default) or debug
  --log-format FORMAT    text (default) or json (one JSON object per line)
  --batch-size N         payloads per transaction at most (default 1000)
  --rescan-ms N          how often the spool is listed besides watcher events (default 2000)
  --prices FILE          JSON price overrides, USD per million tokens:
                         {"model-id": {"input": 3, "output": 15, "cache_write_5m": 3.75,
                          "cache_write_1h": 6, "cache_read": 0.3}} (cache prices optional)
                         (default: $CLAUDE_METRICS_PRICES, else ~/.claude/claude_metrics_prices.json if present)
  --postgres URL         also push every change to the team's PostgreSQL (as 'claude-metrics sync',
                         which see); default: $CLAUDE_METRICS_POSTGRES_URL, else "sync.postgres"
                         in the config file. An unreachable server never stops the local work.
  --machine NAME         this machine's name in the team database (default: the host name)
  --developer NAME       whose figures these are (default: the OS user name)
  --help, -h             show this help

Only one watching worker runs per spool (a lock in <spool>/worker.lock, held until it exits);
a --drain may run beside it. A drain on a terminal shows progress on stderr (and logs only
warnings unless --log-level says otherwise); piped, it prints the summary line only.

Exit codes: 0 done (or stopped by a signal), 1 fatal error (e.g. the database cannot be
opened or written for a reason other than being busy or full), 2 usage error, 3 another
worker is already watching this spool.
`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not ${JSON.stringify(value)}`);
  return n;
}

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseOptions({
    args: argv,
    strict: true,
    options: {
      drain: { type: 'boolean' },
      spool: { type: 'string' },
      db: { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'batch-size': { type: 'string' },
      'rescan-ms': { type: 'string' },
      prices: { type: 'string' },
      postgres: { type: 'string' },
      machine: { type: 'string' },
      developer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return 0;
  }
  const target = syncTargetFrom({ postgres: values.postgres, machine: values.machine, developer: values.developer });
  const drain = values.drain ?? false;
  // A drain on a terminal shows a progress line instead of the info lines (asked-for levels win).
  const progress = drain && process.stderr.isTTY === true;
  const level = (values['log-level'] ?? (progress ? 'warn' : 'info')) as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const format = (values['log-format'] ?? 'text') as LogFormat;
  if (format !== 'text' && format !== 'json') throw new UsageError('--log-format must be text or json');
  const logger = createLogger(level, format);
  return runWorker(
    {
      spoolDir: resolveSpoolDir(values.spool),
      dbPath: resolveDbPath(values.db),
      drain,
      logger,
      batchSize: positiveInt(values['batch-size'], '--batch-size'),
      rescanMs: positiveInt(values['rescan-ms'], '--rescan-ms'),
      pricesFile: resolvePricesFile(values.prices),
    },
    logger,
    progress,
    target,
  );
}

/** Runs a worker until drained or stopped by a signal; prints the drain summary line. With a
 * sync target, a pusher runs beside it (a drain pushes once at its end). */
async function runWorker(options: WorkerOptions, logger: Logger, progress = false, target: SyncTarget | null = null): Promise<number> {
  let shown = false;
  const pusher = target ? new (await import('../sync/pusher.js')).Pusher({ target, dbFile: options.dbPath, clientVersion: packageVersion(), log: logger }) : null;
  const worker = new Worker({
    ...options,
    onBatch: (s, queued) => {
      if (s.applied > 0) pusher?.notify();
      if (!progress) return;
      process.stderr.write(`\rdraining: ${s.applied} applied, ${s.deadLettered} dead-lettered, ${queued} queued   `);
      shown = true;
    },
    onReady: options.drain ? undefined : () => pusher?.start(),
  });
  const onSignal = (signal: NodeJS.Signals): void => worker.stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = performance.now();
  try {
    const s = await worker.run().finally(() => {
      if (shown) process.stderr.write('\n');
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (options.drain) {
      process.stdout.write(
        `drained: applied ${s.applied}, dead-lettered ${s.deadLettered}, retried ${s.retried} (already applied ${s.duplicates}, recovered ${s.recovered}, ${seconds}s)\n`,
      );
      if (pusher) await pushAfterDrain(pusher, target!);
    } else {
      logger.info('worker stopped', { applied: s.applied, dead_lettered: s.deadLettered, retried: s.retried, duplicates: s.duplicates });
    }
    return 0;
  } catch (err) {
    if (err instanceof WorkerAlreadyRunningError) {
      logger.error(`${err.message}; not starting a second one`, { spool: options.spoolDir, pid: err.holder.pid });
      return EXIT_ALREADY_RUNNING;
    }
    logger.error('worker failed', { error: (err as Error).message });
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pusher?.stop();
  }
}

/** A drain's one push: its outcome on a line of its own; a failure leaves the exit code to the drain. */
async function pushAfterDrain(pusher: import('../sync/pusher.js').Pusher, target: SyncTarget): Promise<void> {
  try {
    const r = await pusher.pushNow();
    process.stdout.write(`synced: ${r.rows} rows to ${target.shown} (cursor ${r.cursor})\n`);
  } catch {
    // pushNow recorded the error (status shows it); the local drain itself succeeded.
    process.stdout.write(`sync failed: ${pusher.state.last_error} (the local database is up to date; the next push takes it up)\n`);
  }
}

export async function importCommand(argv: string[]): Promise<number> {
  const { values } = parseOptions({
    args: argv,
    strict: true,
    options: {
      'claude-dir': { type: 'string' },
      drain: { type: 'boolean' },
      spool: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean' },
      'wait-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(IMPORT_HELP);
    return 0;
  }
  const claudeDir = values['claude-dir'] ? path.resolve(values['claude-dir']) : defaultClaudeDir();
  const spoolDir = resolveSpoolDir(values.spool);
  let sessions;
  try {
    sessions = findSessions(claudeDir);
  } catch (err) {
    // A folder the user named must exist; the default one may not yet (Claude Code never ran here).
    if (values['claude-dir'] !== undefined) {
      process.stderr.write(`claude-metrics import: ${(err as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`import: nothing to import (${(err as Error).message})\n`);
    return 0;
  }
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const ids = spoolImports(spoolDir, sessions, (done, total) => {
    if (tty && (done === total || done % 50 === 0)) process.stderr.write(`\rspooling sessions: ${done}/${total}`);
  });
  if (tty && ids.length > 0) process.stderr.write('\n');
  const summary: Record<string, unknown> = { claude_dir: claudeDir, spool: spoolDir, sessions_found: sessions.length, spooled: ids.length };
  const found = `import: ${sessions.length} sessions found in ${path.join(claudeDir, 'projects')}, ${ids.length} spooled`;
  if (!values.drain) {
    summary.seconds = (performance.now() - started) / 1000;
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(`${found}\nthe running worker applies them (or run 'claude-metrics worker --drain')\n`);
    return 0;
  }
  // A watching worker takes the files as they land, so a drain beside it would find none: say
  // what happened instead, once the watcher has applied them.
  const watcher = probeWorkerLock(spoolDir);
  if (watcher.running) {
    const timeoutMs = (positiveInt(values['wait-seconds'], '--wait-seconds') ?? 600) * 1000;
    if (!values.json) process.stdout.write(`${found}; the watching worker (pid ${watcher.pid ?? '?'}) applies them\n`);
    const outcome = await waitForWorker(spoolDir, ids, timeoutMs, (o) => {
      if (tty) process.stderr.write(`\rwaiting for the worker: ${o.applied + o.deadLettered}/${ids.length}   `);
    });
    if (tty) process.stderr.write('\n');
    const seconds = (performance.now() - started) / 1000;
    Object.assign(summary, { applied_by: 'watching worker', worker_pid: watcher.pid, applied: outcome.applied, dead_lettered: outcome.deadLettered, waiting: outcome.waiting, seconds });
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else if (outcome.waiting === 0) {
      process.stdout.write(`imported: the watching worker applied ${outcome.applied}, dead-lettered ${outcome.deadLettered} (${seconds.toFixed(2)}s)\n`);
    } else {
      process.stdout.write(`import: ${outcome.waiting} still waiting after ${Math.round(timeoutMs / 1000)}s; the watching worker goes on ('claude-metrics status' shows the spool)\n`);
    }
    return outcome.waiting === 0 && outcome.deadLettered === 0 ? 0 : 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else process.stdout.write(`${found}\n`);
  const logger = createLogger('warn', 'text');
  return runWorker({ spoolDir, dbPath: resolveDbPath(values.db), drain: true, logger, pricesFile: resolvePricesFile(undefined) }, logger, tty);
}
