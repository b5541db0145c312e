// `claude-metrics dashboard`: arguments, the refusals that keep it local (a non-loopback --host
// needs a --token), starting the server (src/dashboard/server, loaded only for this command:
// dist/dashboard-server.js), printing its URL, --open, and stopping cleanly on SIGINT/SIGTERM.
// With --postgres, the server reads a live mirror of the team database (src/sync/team-mirror.ts,
// loaded only then) in a private temporary folder, removed when it stops.
// Exit codes: 0 stopped by a signal, 1 cannot start (no database, port taken, the team database
// unreachable at start), 2 usage error.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot, resolveDbPath, resolveSpoolDir } from '../shared/config.js';
import { UsageError, parseOptions } from './usage.js';
import { isLoopbackHost, isUnspecifiedHost, urlHost } from '../dashboard/server/hosts.js';
import { SyncTargetError, checkPostgresUrl, redactUrl } from '../sync/target.js';
import { describeSyncError } from '../sync/sync-error.js';

export const DASHBOARD_TOKEN_ENV = 'CLAUDE_METRICS_DASHBOARD_TOKEN';
export const DEFAULT_PORT = 7331;
const MIN_TOKEN_LENGTH = 16;

export const DASHBOARD_HELP = `Usage: claude-metrics dashboard [--port N] [--host ADDR] [--db FILE] [--spool DIR] [--token T] [--open]
       claude-metrics dashboard --postgres URL [--developer NAME]... [--machine NAME]... [--port N] [--host ADDR] [--token T] [--open]

Serves a local web dashboard over the database (opened read-only): overview, sessions, projects,
models, 5-hour blocks and limits, the pipeline; pages update live as the worker applies payloads.
With --postgres, over the team database instead: every developer's figures, a Developers view, and
the machines pushing to it in the Pipeline view; pages update within ~2 s of a push.
Prints its URL; Ctrl+C stops it.

  --port N               port to listen on (default ${DEFAULT_PORT}; 0: any free port)
  --host ADDR            address to listen on (default 127.0.0.1: this machine only). Any other
                         than a loopback address needs --token
  --token T              a secret of at least ${MIN_TOKEN_LENGTH} characters every request must carry (default:
                         $${DASHBOARD_TOKEN_ENV}); open the URL with ?token=T once, the browser
                         then keeps it in a cookie. Prefer the variable: a flag shows in 'ps'
  --db FILE              database (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --spool DIR            the spool the Pipeline view shows (default: $CLAUDE_METRICS_SPOOL, else <package>/spool)
  --postgres URL         the team database (postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]; the
                         password may also come from $PGPASSWORD; it is never printed, logged or sent
                         to the browser), mirrored into a private temporary file, read every 2 s
  --developer NAME       with --postgres: only this developer's figures (repeat for several)
  --machine NAME         with --postgres: only this machine's figures (repeat for several)
  --open                 open the dashboard in the default browser
  --help, -h             show this help

It answers only requests whose Host is the address it serves, refuses cross-origin API requests,
and sends a strict Content-Security-Policy. Nothing is loaded from the network.
Exit codes: 0 stopped (SIGINT, SIGTERM), 1 cannot start (no database, port in use, the team
database unreachable or refusing the login at start; later outages only mark the pages stale),
2 usage error.
`;

interface Parsed {
  host: string;
  port: number;
  dbPath: string;
  spoolDir: string;
  token: string | null;
  open: boolean;
  now?: Date;
  /** --postgres: the team database's URL (null: the local database). */
  postgres: string | null;
  filters: { developers: string[]; machines: string[] };
}

function parse(argv: string[]): Parsed | 'help' {
  const { values } = parseOptions({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      spool: { type: 'string' },
      token: { type: 'string' },
      open: { type: 'boolean' },
      postgres: { type: 'string' },
      developer: { type: 'string', multiple: true },
      machine: { type: 'string', multiple: true },
      now: { type: 'string' }, // for tests: the time taken as now (today, the active block); not in --help
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const portText = values.port ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port takes a port number from 0 to 65535, not ${JSON.stringify(portText)}`);
  // An IPv6 address may come as in a URL ([::1]); listen() takes it bare.
  const host = (values.host ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError('--host needs an address');
  const tokenText = values.token ?? process.env[DASHBOARD_TOKEN_ENV];
  const token = tokenText === undefined || tokenText === '' ? null : tokenText;
  if (token !== null && token.length < MIN_TOKEN_LENGTH) throw new UsageError(`the token must be at least ${MIN_TOKEN_LENGTH} characters long`);
  if (!isLoopbackHost(host) && token === null) {
    throw new UsageError(
      `--host ${host} lets other machines connect: it needs --token (or $${DASHBOARD_TOKEN_ENV}), a secret of at least ${MIN_TOKEN_LENGTH} characters; not starting`,
    );
  }
  const now = values.now === undefined ? undefined : new Date(values.now);
  if (now !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(values.now!) || Number.isNaN(now.getTime()))) throw new UsageError(`--now takes an RFC 3339 time, not ${JSON.stringify(values.now)}`);
  const postgres = values.postgres ?? null;
  const filters = { developers: values.developer ?? [], machines: values.machine ?? [] };
  if (postgres === null) {
    if (filters.developers.length || filters.machines.length) throw new UsageError(`--${filters.developers.length ? 'developer' : 'machine'} filters the team database's figures: give --postgres URL`);
  } else {
    if (values.db !== undefined || values.spool !== undefined) throw new UsageError(`--${values.db !== undefined ? 'db' : 'spool'} and --postgres: the dashboard shows one or the other`);
    try {
      checkPostgresUrl(postgres);
    } catch (err) {
      if (err instanceof SyncTargetError) throw new UsageError(err.message);
      throw err;
    }
    for (const name of [...filters.developers, ...filters.machines]) if (name.trim() === '') throw new UsageError('--developer and --machine take a name');
  }
  return { host, port, dbPath: resolveDbPath(values.db), spoolDir: resolveSpoolDir(values.spool), token, open: values.open ?? false, ...(now && { now }), postgres, filters };
}

/** The address to show: the bound one, or for 0.0.0.0 / :: this machine's first external IPv4 address. */
function shownHost(host: string): string {
  if (!isUnspecifiedHost(host)) return urlHost(host);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return 'localhost';
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', (err) => process.stderr.write(`claude-metrics dashboard: could not open a browser (${command}: ${err.message}); open the URL yourself\n`));
  child.unref();
}

export async function dashboardCommand(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (o === 'help') {
    process.stdout.write(DASHBOARD_HELP);
    return 0;
  }
  if (o.postgres === null && !fs.existsSync(o.dbPath)) {
    process.stderr.write(`claude-metrics dashboard: no database at ${o.dbPath} (run the worker first, or pass --db FILE)\n`);
    return 1;
  }
  const log = (message: string): void => {
    process.stderr.write(`claude-metrics dashboard: ${message}\n`);
  };
  // --postgres: the first pull must succeed, or nothing starts.
  let team: import('../sync/team-mirror.js').LiveMirror | null = null;
  if (o.postgres !== null) {
    const { LiveMirror } = await import('../sync/team-mirror.js');
    try {
      team = await LiveMirror.start({ url: o.postgres, filters: o.filters, log });
    } catch (err) {
      log(`cannot start: ${describeSyncError(err, o.postgres)}`);
      return 1;
    }
  }
  const { startDashboard } = await import('../dashboard/server/server.js');
  let running;
  try {
    running = await startDashboard({
      host: o.host,
      port: o.port,
      dbPath: team?.file ?? o.dbPath,
      spoolDir: o.spoolDir,
      staticDir: path.join(packageRoot(), 'dist', 'dashboard'),
      token: o.token,
      ...(o.now && { now: o.now }),
      logError: log,
      ...(team && { team }),
    });
  } catch (err) {
    await team?.stop();
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${o.port} is in use (choose another with --port N, or 0 for any)` : (err as Error).message;
    process.stderr.write(`claude-metrics dashboard: cannot start: ${why}\n`);
    return 1;
  }
  const url = `http://${shownHost(o.host)}:${running.port}/`;
  // One write: a script (or a test) that waits for the URL line finds the lines about it beside it.
  const lines = [`claude-metrics dashboard: ${url}`];
  if (o.postgres !== null) {
    const f = o.filters;
    const only = [f.developers.length ? `developers ${f.developers.join(', ')}` : '', f.machines.length ? `machines ${f.machines.join(', ')}` : ''].filter(Boolean).join(', ');
    lines.push(`  team database ${redactUrl(o.postgres)}${only ? ` (${only})` : ''}, read every 2 s into a private temporary mirror; Ctrl+C stops it`);
  } else lines.push(`  database ${o.dbPath} (read-only); Ctrl+C stops it`);
  // The token is never printed: the user gave it and knows it.
  if (o.token !== null) lines.push(`  token required: open ${url}?token=<your token> once; the browser then keeps it in a cookie`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (o.open) openBrowser(o.token === null ? url : `${url}?token=${encodeURIComponent(o.token)}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  await team?.stop();
  process.stdout.write(`claude-metrics dashboard: stopped (${signal})\n`);
  return 0;
}
