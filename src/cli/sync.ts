// `claude-metrics sync`: pushes this machine's figures to the team's PostgreSQL (src/sync), once
// (`--once`: everything, then a summary) or continuously until SIGINT/SIGTERM, for a machine
// whose worker runs without --postgres. Resolves the target (flags, environment, config file),
// brings the local database to the schema with the outbox, and hands over to the pusher.
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { packageVersion, resolveDbPath } from '../shared/config.js';
import { LOG_LEVELS, type LogLevel, createLogger } from '../shared/log.js';
import { InvalidConfigError, type SyncConfig, type UserConfig, loadUserConfig, resolveConfigFile } from '../shared/user-config.js';
import { type SyncFlags, type SyncTarget, SyncTargetError, resolveSyncTarget } from '../sync/target.js';
import { openDatabase } from '../worker/db.js';
import { describeSyncError } from '../sync/sync-error.js';
import { UsageError, parseOptions } from './usage.js';

export const SYNC_HELP = `Usage: claude-metrics sync --postgres URL [--once | --save] [--db FILE] [--machine NAME] [--developer NAME] [--json]

Pushes this machine's sessions, API calls, per-model figures, tool uses and status line
snapshots to a central PostgreSQL (15 or newer) that a team shares: each row's current values,
exactly once, through outages (docs/TEAM.md). The watching worker does the same continuously
when given --postgres (or the same environment variable or config entry).

  --postgres URL         the team database: postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full&sslrootcert=CA.pem]
                         (default: $CLAUDE_METRICS_POSTGRES_URL, else "sync.postgres" in the config file)
                         The password may also come from $PGPASSWORD; it is never printed or logged.
  --once                 push everything not yet pushed, print a summary, exit
                         (without it: keep pushing every change until SIGINT/SIGTERM)
  --save                 --once, then (when it succeeded) save the URL and the names given into
                         the config file's "sync" section (0600), so that every worker started
                         from then on pushes: a developer's one command (docs/TEAM.md)
  --db FILE              database (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --machine NAME         this machine's name in the team database
                         (default: $CLAUDE_METRICS_MACHINE, else "sync.machine", else the host name)
  --developer NAME       whose figures these are (default: $CLAUDE_METRICS_DEVELOPER, else
                         "sync.developer", else the OS user name)
  --batch-rows N         changes per PostgreSQL transaction (default 2000)
  --log-level LEVEL      without --once: error, warn, info (default) or debug
  --json                 with --once: print the summary as JSON
  --help, -h             show this help

The first push of a new team database creates its schema (claude_metrics.*): run it once with
a role that may (docs/TEAM.md has the writer and read-only roles for everyone else).

Exit codes: 0 pushed (or stopped by a signal), 1 the push failed (the error is printed; the
local database is unaffected and a later push takes up where this one stopped), 2 usage error
(also: no URL given anywhere, a URL that is not PostgreSQL's, an unusable config file).
`;

/** The team database from flags, environment and config file; null when none is set. Usage errors for bad values. */
export function syncTargetFrom(flags: SyncFlags, env: NodeJS.ProcessEnv = process.env): SyncTarget | null {
  let config: UserConfig;
  try {
    config = loadUserConfig(resolveConfigFile(env));
  } catch (err) {
    if (err instanceof InvalidConfigError) throw new UsageError(err.message);
    throw err;
  }
  try {
    return resolveSyncTarget(flags, config.sync, env);
  } catch (err) {
    if (err instanceof SyncTargetError) throw new UsageError(err.message);
    throw err;
  }
}

/** Writes the "sync" section into the config file (the rest kept as it is), 0600, in one atomic rename. */
export function saveSyncConfig(sync: SyncConfig, env: NodeJS.ProcessEnv = process.env): string {
  const file = resolveConfigFile(env);
  loadUserConfig(file); // refuses to rewrite a file it could not read (InvalidConfigError)
  let current: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    if (text.trim() !== '') current = JSON.parse(text) as Record<string, unknown>;
  }
  const section = { ...((current.sync as SyncConfig | undefined) ?? {}) };
  for (const [key, value] of Object.entries(sync)) if (value !== undefined) section[key as keyof SyncConfig] = value;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic.sync(file, `${JSON.stringify({ ...current, sync: section }, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export async function syncCommand(argv: string[]): Promise<number> {
  const { values } = parseOptions({
    args: argv,
    strict: true,
    options: {
      postgres: { type: 'string' },
      once: { type: 'boolean' },
      save: { type: 'boolean' },
      db: { type: 'string' },
      machine: { type: 'string' },
      developer: { type: 'string' },
      'log-level': { type: 'string' },
      'batch-rows': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SYNC_HELP);
    return 0;
  }
  const target = syncTargetFrom({ postgres: values.postgres, machine: values.machine, developer: values.developer });
  if (!target) throw new UsageError('no team database: give --postgres URL (or set $CLAUDE_METRICS_POSTGRES_URL, or "sync.postgres" in the config file)');
  const level = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const batchText = values['batch-rows'];
  const batchRows = batchText === undefined ? undefined : Number(batchText);
  if (batchRows !== undefined && (!/^\d+$/.test(batchText!) || batchRows < 1 || batchRows > 100_000)) throw new UsageError(`--batch-rows takes a whole number from 1 to 100000, not ${JSON.stringify(batchText)}`);
  const dbFile = resolveDbPath(values.db);
  if (!fs.existsSync(dbFile)) {
    process.stderr.write(`claude-metrics sync: no database at ${dbFile} yet (the worker creates it; run 'claude-metrics worker --drain' first)\n`);
    return 1;
  }
  // Brings the database to the schema with the outbox (an upgrade's first run may be this one).
  openDatabase(dbFile).close();
  const { Pusher } = await import('../sync/pusher.js');
  const logger = createLogger(values.once ? 'warn' : level, 'text');
  const pusher = new Pusher({ target, dbFile, clientVersion: packageVersion(), log: logger, pollMs: 1000, batchRows });
  if (values.once || values.save) {
    try {
      const r = await pusher.pushNow();
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ target: target.shown, machine: target.machine, developer: target.developer, replica_id: pusher.state.replica_id, rows: r.rows, batches: r.batches, cursor: r.cursor, restarted: r.restarted })}\n`);
      } else {
        process.stdout.write(`synced: ${r.rows} rows in ${r.batches} batches to ${target.shown} as ${target.developer}@${target.machine} (cursor ${r.cursor}${r.restarted ? ', pushed again from the start: the server was ahead of this database' : ''})\n`);
      }
      if (values.save) {
        const file = saveSyncConfig({ postgres: target.url, machine: values.machine, developer: values.developer });
        process.stdout.write(
          `saved to ${file}: every worker started from now on pushes to ${target.shown} (restart a running one: 'systemctl --user restart claude-metrics' for the service, else stop it and start it again)\n`,
        );
      }
      return 0;
    } catch (err) {
      process.stderr.write(`claude-metrics sync: ${describeSyncError(err, target.url)}\n`);
      return 1;
    } finally {
      await pusher.stop();
    }
  }
  logger.info('sync starting', { target: target.shown, machine: target.machine, developer: target.developer, db: dbFile });
  pusher.start();
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info('sync stopping', { signal });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await pusher.stop();
  return 0;
}
