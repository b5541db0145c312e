// `claude-metrics report daily|weekly|monthly|session|model|project|blocks|developer`: arguments,
// opening the database read-only (node:sqlite where Node has it: it loads in ~1 ms where
// better-sqlite3's JS and native module take ~8; better-sqlite3 otherwise), and printing the report
// as a terminal table or JSON. The figures come from src/report/queries.ts, the tables from
// src/report/table.ts. With --postgres, the same queries run on a mirror of the team database made
// for this report (src/sync/team-mirror.ts, loaded only then).
// Exit codes: 0 printed, 1 the database is missing or unreadable (or the team database cannot be
// reached or read), 2 usage error.
import fs from 'node:fs';
import { type ReadConnection, openReadConnection } from '../report/read-db.js';
import { resolveDbPath } from '../shared/config.js';
import { UsageError, parseOptions } from './usage.js';
import { MIN_SCHEMA_VERSION, REPORT_KINDS, type Report, type ReportKind, type ReportOptions, TEAM_REPORT_KINDS, runReport } from '../report/queries.js';
import { checkTimeZone, localDayStart, nextDay, parseDay, systemTimeZone } from '../report/time.js';
import { formatReport } from '../report/report-table.js';
import { roundCosts } from '../report/round.js';
import { REPORT_BUDGET_PERIOD, type ReportBudget, withBudget } from '../report/budgets.js';
import { type Budgets, InvalidConfigError, loadUserConfig, resolveConfigFile } from '../shared/user-config.js';
import { SyncTargetError, checkPostgresUrl, redactUrl } from '../sync/target.js';
import { describeSyncError } from '../sync/sync-error.js';

export const REPORT_HELP = `Usage: claude-metrics report <daily|weekly|monthly|session|model|project|blocks|developer> [options]

Cost, tokens and sessions from the database, as a table (or JSON); with --postgres, the team's.

  daily, weekly, monthly   one row per local day, week (Monday first) or month
  session                  one row per session started in the range
  model                    one row per model
  project                  one row per project (the session's working folder)
  blocks                   one row per 5-hour usage window (starts in the range), with the
                           active one's time left and projected cost, and the official limits
  developer                one row per developer, with their machines (--postgres only)

  --since YYYY-MM-DD       first local day included (default: the first in the database)
  --until YYYY-MM-DD       last local day included (default: the last)
  --timezone ZONE          IANA zone for days, e.g. Europe/Paris or UTC (default: the system's, $TZ)
  --start-of-week DAY      weekly: monday (default) or sunday
  --breakdown              per-model rows under each row (JSON: a "breakdown" array)
  --json                   print JSON (fields: docs/REPORTS.md); indented on a terminal,
                           compact (one line) when piped or redirected
                           daily, weekly, monthly: the config file's day, week or month budget
                           ($CLAUDE_METRICS_CONFIG, else ~/.config/claude-metrics/config.json)
                           is shown beside each period (JSON: budget, budget_used_pct, budget_level)
  --db FILE                database (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --postgres URL           the team database instead (postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…];
                           the password may also come from $PGPASSWORD; it is never printed):
                           every developer's figures, read into a temporary mirror for this report
  --developer NAME         with --postgres: only this developer's figures (repeat for several)
  --machine NAME           with --postgres: only this machine's figures (repeat for several)
  --help, -h               show this help

Costs and tokens by day come from each API call's own time, so a session that runs past
midnight counts on both days. The database is opened read-only; the team database is only read.
Exit codes: 0 done, 1 the database is missing or cannot be read (the team database cannot be
reached, refuses the login, or has no claude-metrics schema), 2 usage error.
`;

export async function reportCommand(argv: string[]): Promise<number> {
  const opts = parse(argv);
  if (opts === 'help') {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (opts.postgres !== null) return teamReport(opts, opts.postgres);
  const budgets = reportBudgets(opts.kind);
  if (budgets === null) return 1;
  if (!fs.existsSync(opts.dbPath)) {
    process.stderr.write(`claude-metrics report: no database at ${opts.dbPath} (run the worker first, or pass --db FILE)\n`);
    return 1;
  }
  let db: ReadConnection;
  try {
    db = openReadConnection(opts.dbPath, BUSY_TIMEOUT_MS);
  } catch (err) {
    process.stderr.write(`claude-metrics report: cannot open ${opts.dbPath}: ${(err as Error).message}\n`);
    return 1;
  }
  let report: Report & { budget?: ReportBudget };
  try {
    const version = db.schemaVersion();
    if (version < MIN_SCHEMA_VERSION) {
      process.stderr.write(
        `claude-metrics report: ${opts.dbPath} has schema version ${version}; run 'claude-metrics worker --drain' once to upgrade it (the report opens the database read-only)\n`,
      );
      return 1;
    }
    report = withBudget(runReport(db, opts), budgets);
  } catch (err) {
    process.stderr.write(`claude-metrics report: ${(err as Error).message}\n`);
    return 1;
  } finally {
    db.close();
  }
  print(report, opts.json);
  return 0;
}

function print(report: Report & { budget?: ReportBudget }, json: boolean): void {
  // JSON indented for a person at a terminal, compact for a program (as gh does): 3.4 MB of
  // session report took ~18 ms to indent and ~6 ms to write.
  writeOut(json ? `${JSON.stringify(roundCosts(report), null, stdoutIsTerminal() ? 2 : undefined)}\n` : formatReport(report, terminalWidth()));
}

/**
 * Whether file descriptor 1 is a terminal. A terminal is a character device: anything else (a
 * pipe, a file) is answered by one fstat, without node:tty (~3 ms: it loads net and node:stream).
 */
function stdoutIsTerminal(): boolean {
  try {
    if (!fs.fstatSync(1).isCharacterDevice()) return false;
  } catch (err) {
    // No stdout at all (EBADF): nobody to indent for; the write says the rest.
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    return false;
  }
  return (process.getBuiltinModule('node:tty') as typeof import('node:tty')).isatty(1);
}

/**
 * The output in one go, straight to file descriptor 1: process.stdout's first use builds its
 * stream and loads node:stream (~3.5 ms of a report in --cpu-prof; a table asks process.stdout
 * for its width, JSON never does). Where a write cannot finish
 * that way (a non-blocking pipe that is full, a closed one), the rest goes through
 * process.stdout as before.
 */
function writeOut(text: string): void {
  // The string itself first (no Buffer to allocate: 3.4 MB of session report took ~4 ms as one).
  let done = 0;
  try {
    done = fs.writeSync(1, text);
  } catch (err) {
    return writeRest(Buffer.from(text), err);
  }
  if (done === Buffer.byteLength(text)) return;
  const buffer = Buffer.from(text);
  try {
    while (done < buffer.length) done += fs.writeSync(1, buffer, done);
  } catch (err) {
    writeRest(buffer.subarray(done), err);
  }
}

/**
 * What a direct write could not take. A reader that went away (`report … | head`): nothing left
 * to tell it, the rest is dropped, as any Unix filter would. Otherwise (a full non-blocking
 * pipe) process.stdout takes the rest and its EPIPE, should the reader leave later, is dropped too.
 */
function writeRest(rest: Buffer, err: unknown): void {
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
  process.stdout.on('error', (streamErr: NodeJS.ErrnoException) => {
    if (streamErr.code !== 'EPIPE') throw streamErr;
  });
  process.stdout.write(rest);
}

type TeamMirrorModule = typeof import('../sync/team-mirror.js');
let importTeamMirror = (): Promise<TeamMirrorModule> => import('../sync/team-mirror.js');

/**
 * How the team mirror's module is loaded (--postgres only): dist/report.cjs runs inside vm.Script
 * (src/shared/code-cache.ts), where import() would need an experimental loader, so dist/cli.js
 * hands it its own import() of dist/team-mirror.js.
 */
export function useTeamMirrorImport(load: () => Promise<TeamMirrorModule>): void {
  importTeamMirror = load;
}

/**
 * The report of the team database: a mirror made for it (the calls of the range with a day's
 * slack each side, and what goes with them), the same queries on it, then the mirror removed.
 * No budgets: they are one person's. `CLAUDE_METRICS_TEAM_TIMING=1` prints the pull's size and time on stderr.
 */
async function teamReport(opts: Parsed, url: string): Promise<number> {
  const { reportMirror } = await importTeamMirror();
  const fromMs = opts.since ? localDayStart(opts.timeZone, opts.since) : null;
  const toMs = opts.until ? localDayStart(opts.timeZone, nextDay(opts.until)) : null;
  let mirror: Awaited<ReturnType<typeof reportMirror>>;
  // A Ctrl+C during a long pull still removes the mirror (its folder goes at exit).
  const onSignal = (signal: NodeJS.Signals): void => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    mirror = await reportMirror(url, { kind: opts.kind, filters: opts.filters, fromMs, toMs });
  } catch (err) {
    process.stderr.write(`claude-metrics report: ${describeSyncError(err, url)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  let report: Report;
  try {
    const started = performance.now();
    report = { ...runReport(mirror.db, opts), team: { postgres: redactUrl(url), ...opts.filters } };
    if (process.env.CLAUDE_METRICS_TEAM_TIMING === '1') {
      process.stderr.write(`claude-metrics report: mirror of ${mirror.rows} rows in ${Math.round(mirror.ms)} ms, report in ${Math.round(performance.now() - started)} ms\n`);
    }
  } catch (err) {
    process.stderr.write(`claude-metrics report: ${(err as Error).message}\n`);
    return 1;
  } finally {
    mirror.close();
  }
  print(report, opts.json);
  return 0;
}

/** The width tables fit: $COLUMNS when set to a number, else the terminal's; none when piped. */
function terminalWidth(): number | undefined {
  const columns = Number(process.env.COLUMNS);
  if (Number.isInteger(columns) && columns > 0) return columns;
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

/** How long the report waits for a lock (a reader only meets one while the worker checkpoints). */
const BUSY_TIMEOUT_MS = 5000;

/** The config file's budgets for a report by period; null (after saying why) when the file cannot be used. */
function reportBudgets(kind: ReportKind): Budgets | null {
  if (REPORT_BUDGET_PERIOD[kind] === undefined) return {};
  try {
    return loadUserConfig(resolveConfigFile()).budgets;
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    process.stderr.write(`claude-metrics report: invalid config file ${err.message}\n`);
    return null;
  }
}

interface Parsed extends ReportOptions {
  json: boolean;
  dbPath: string;
  /** The team database's URL (--postgres), or null for the local database. */
  postgres: string | null;
  filters: { developers: string[]; machines: string[] };
}

function parse(argv: string[]): Parsed | 'help' {
  const { values, positionals } = parseOptions({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      timezone: { type: 'string' },
      'start-of-week': { type: 'string' },
      breakdown: { type: 'boolean' },
      json: { type: 'boolean' },
      db: { type: 'string' },
      postgres: { type: 'string' },
      developer: { type: 'string', multiple: true },
      machine: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      now: { type: 'string' }, // for tests: the time the blocks report takes as now (docs/REPORTS.md)
    },
  });
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError(`which report? one of ${REPORT_KINDS.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`one report at a time (got ${positionals.join(' ')})`);
  const kind = positionals[0] as ReportKind;
  if (!REPORT_KINDS.includes(kind)) throw new UsageError(`unknown report ${JSON.stringify(kind)}: one of ${REPORT_KINDS.join(', ')}`);
  const postgres = values.postgres ?? null;
  const developers = values.developer ?? [];
  const machines = values.machine ?? [];
  if (postgres === null) {
    if (TEAM_REPORT_KINDS.includes(kind)) throw new UsageError(`report ${kind} needs the team database: give --postgres URL`);
    if (developers.length || machines.length) throw new UsageError(`--${developers.length ? 'developer' : 'machine'} filters the team database's figures: give --postgres URL`);
  } else {
    if (values.db !== undefined) throw new UsageError('--db and --postgres: one database at a time');
    try {
      checkPostgresUrl(postgres);
    } catch (err) {
      if (err instanceof SyncTargetError) throw new UsageError(err.message);
      throw err;
    }
    for (const name of [...developers, ...machines]) if (name.trim() === '') throw new UsageError('--developer and --machine take a name');
  }
  const day = (flag: string, v: string | undefined): string | null => {
    if (v === undefined) return null;
    if (!parseDay(v)) throw new UsageError(`${flag} takes a date YYYY-MM-DD, not ${JSON.stringify(v)}`);
    return v;
  };
  const since = day('--since', values.since);
  const until = day('--until', values.until);
  if (since && until && since > until) throw new UsageError(`--since ${since} is after --until ${until}`);
  const timeZone = values.timezone === undefined ? systemTimeZone() : checkTimeZone(values.timezone);
  if (timeZone === null) throw new UsageError(`unknown time zone ${JSON.stringify(values.timezone)} (an IANA name such as Europe/Paris, or UTC)`);
  const sow = (values['start-of-week'] ?? 'monday').toLowerCase();
  if (sow !== 'monday' && sow !== 'sunday') throw new UsageError('--start-of-week must be monday or sunday');
  if (values['start-of-week'] !== undefined && kind !== 'weekly') throw new UsageError('--start-of-week applies to the weekly report only');
  if (values.breakdown && kind === 'model') throw new UsageError('--breakdown does not apply to the model report (its rows are models)');
  if (values.breakdown && kind === 'blocks') throw new UsageError('--breakdown does not apply to the blocks report (its rows list their models)');
  const now = values.now === undefined ? undefined : new Date(values.now);
  if (now !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(values.now!) || Number.isNaN(now.getTime()))) throw new UsageError(`--now takes an RFC 3339 time, not ${JSON.stringify(values.now)}`);
  return {
    kind,
    timeZone,
    since,
    until,
    breakdown: values.breakdown ?? false,
    weekStart: sow === 'sunday' ? 0 : 1,
    ...(now && { now }),
    json: values.json ?? false,
    dbPath: resolveDbPath(values.db),
    postgres,
    filters: { developers, machines },
  };
}
