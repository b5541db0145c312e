// The dashboard's HTTP server (node:http): opens the database read-only, loads the web app's
// files, and answers each request in order: Host checked (security.ts), then same-origin for
// the API, then the token when one is set, then GET/HEAD only; then the live stream, the JSON
// API (api.ts, timed in a Server-Timing header) or a file (static.ts). Every answer carries the
// security headers. `close()` ends the streams and connections and closes the database.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { type ApiContext, answerApi } from './api.js';
import { LiveFeed } from './live.js';
import { allowedHosts } from './hosts.js';
import { SECURITY_HEADERS, checkHost, checkSameOrigin, hasToken, tokenCookie, tokenMatches } from './security.js';
import { type StaticFile, loadStaticFiles, lookupStatic } from './static.js';
import { InvalidConfigError, loadUserConfig, resolveConfigFile } from '../../shared/user-config.js';
import { MIN_SCHEMA_VERSION, schemaVersion } from '../../report/queries.js';
import type { TeamInfo } from '../../report/dashboard-types.js';
import { configuredSyncTarget } from '../../sync/sync-status.js';

export interface DashboardOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  dbPath: string;
  /** The spool the pipeline view shows. */
  spoolDir: string;
  /** dist/dashboard: the built web app. */
  staticDir: string;
  /** Required of every request when set. */
  token: string | null;
  /** A fixed time taken as now (tests); default the clock. */
  now?: Date;
  /** The config file with the budgets (default: $CLAUDE_METRICS_CONFIG, else ~/.config/claude-metrics/config.json). */
  configFile?: string;
  /** Where unexpected errors are reported (never with the token). */
  logError: (message: string) => void;
  /**
   * `dashboard --postgres`: dbPath is a mirror of this team database, kept up to date by the
   * caller (src/sync/team-mirror.ts); the pipeline shows the machines pushing to it, and no
   * personal budget is shown.
   */
  team?: { info(): TeamInfo };
}

export interface RunningDashboard {
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: StaticFile): void {
  const headers = { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Cache-Control': 'no-cache', ETag: file.etag, Vary: 'Accept-Encoding' };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = file.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzip! : file.body;
  res.writeHead(200, { ...headers, 'Content-Length': body.length, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const files = loadStaticFiles(o.staticDir);
  if (!files.has('/index.html')) throw new Error(`no web app in ${o.staticDir} (run 'npm run build')`);
  const db = new Database(o.dbPath, { readonly: true, fileMustExist: true, timeout: 1000 });
  const version = schemaVersion(db);
  if (version < MIN_SCHEMA_VERSION) {
    db.close();
    throw new Error(`${o.dbPath} has schema version ${version}; run 'claude-metrics worker --drain' once to upgrade it (the dashboard opens it read-only)`);
  }
  const live = new LiveFeed(db, (err) => o.logError(`live feed: ${err.message}`));
  const configFile = o.configFile ?? resolveConfigFile();
  // Read at each request: budgets edited while the dashboard runs show at the next refresh.
  const budgets = (): ReturnType<ApiContext['budgets']> => {
    // A team's figures against one person's budgets would mean nothing.
    if (o.team) return { budgets: {}, file: null, error: null };
    try {
      return { budgets: loadUserConfig(configFile).budgets, file: configFile, error: null };
    } catch (err) {
      if (!(err instanceof InvalidConfigError)) throw err;
      return { budgets: {}, file: configFile, error: err.message };
    }
  };
  // The team database this machine pushes to, as `status` finds it (environment, then config file).
  const syncConfigured = (): ReturnType<ApiContext['syncConfigured']> => configuredSyncTarget(configFile);
  const ctx: ApiContext = {
    db,
    dbPath: o.dbPath,
    spoolDir: o.spoolDir,
    now: () => o.now ?? new Date(),
    budgets,
    changes: () => live.current(),
    team: o.team ?? null,
    syncConfigured,
  };
  let allowed = new Set<string>();
  let port = o.port;

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const refused = checkHost(req.headers, allowed);
    if (refused) return send(res, refused.status, `${refused.message}\n`);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    if (!pathname.startsWith('/')) return send(res, 400, 'bad request\n');
    const isApi = pathname === '/api' || pathname.startsWith('/api/');
    if (isApi) {
      const cross = checkSameOrigin(req.headers);
      if (cross) return send(res, cross.status, JSON.stringify({ error: cross.message }), { 'Content-Type': 'application/json; charset=utf-8' });
    }
    if (o.token !== null && !hasToken(req.headers, o.token, port)) {
      // A first visit with ?token=: keep it in a cookie, then show the same page without it in the URL.
      const given = params.get('token');
      if (!isApi && req.method === 'GET' && given !== null && tokenMatches(given, o.token)) {
        params.delete('token');
        const rest = params.toString();
        return send(res, 303, '', { Location: `${pathname}${rest ? `?${rest}` : ''}`, 'Set-Cookie': tokenCookie(o.token, port) });
      }
      const message = 'this dashboard needs its token: open its URL with ?token=<the --token value> once';
      return isApi
        ? send(res, 401, JSON.stringify({ error: message }), { 'Content-Type': 'application/json; charset=utf-8' })
        : send(res, 401, `${message}\n`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    if (pathname === '/api/live') return live.attach(res, SECURITY_HEADERS);
    if (isApi) {
      const started = performance.now();
      const answer = answerApi(ctx, pathname, params);
      const body = JSON.stringify(answer.body);
      const ms = performance.now() - started;
      return send(res, answer.status, req.method === 'HEAD' ? '' : body, {
        'Content-Type': 'application/json; charset=utf-8',
        'Server-Timing': `app;dur=${ms.toFixed(2)}`,
      });
    }
    const found = lookupStatic(files, pathname);
    if ('status' in found) return send(res, found.status, found.status === 400 ? 'bad path\n' : 'not found\n');
    sendFile(req, res, found.file);
  };

  const server = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      o.logError(`${req.method} ${(req.url ?? '').split('?')[0]}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: (err as Error).message }), { 'Content-Type': 'application/json; charset=utf-8' });
      else res.destroy();
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: o.host, port: o.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    db.close();
    throw err;
  }
  port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(o.host, port);
  return {
    port,
    close: async () => {
      live.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      db.close();
    },
  };
}
