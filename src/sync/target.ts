// Where and as whom this machine pushes: the team database's URL (--postgres, else
// $CLAUDE_METRICS_POSTGRES_URL, else the config file's "sync.postgres"), the machine and
// developer names (--machine/--developer, $CLAUDE_METRICS_MACHINE/$CLAUDE_METRICS_DEVELOPER, the
// config's "sync.machine"/"sync.developer", else the host name and the OS user), the URL as it may
// be shown (never with its password), and the client's settings. Pure but for os.hostname and
// os.userInfo.
import os from 'node:os';
import type { SyncConfig } from '../shared/user-config.js';

export const POSTGRES_URL_ENV = 'CLAUDE_METRICS_POSTGRES_URL';
export const MACHINE_ENV = 'CLAUDE_METRICS_MACHINE';
export const DEVELOPER_ENV = 'CLAUDE_METRICS_DEVELOPER';

export interface SyncTarget {
  /** The connection URL, password and all: only ever handed to the client. */
  url: string;
  /** The URL without its password (and without a password parameter): for logs, status, errors. */
  shown: string;
  machine: string;
  developer: string;
}

/** A URL or name that cannot be used; the message never holds the password. */
export class SyncTargetError extends Error {}

export interface SyncFlags {
  postgres?: string;
  machine?: string;
  developer?: string;
}

/** The URL shown instead of the real one: user kept, password replaced, password= parameters dropped. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: nothing of it can be shown safely (it may be a password pasted by mistake).
    return '(unparsable URL)';
  }
  if (parsed.password) parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) if (/^(password|sslpassword)$/i.test(key)) parsed.searchParams.set(key, '***');
  return parsed.toString();
}

export function checkPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SyncTargetError(`not a PostgreSQL URL (expected postgresql://user@host:5432/database): ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new SyncTargetError(`not a PostgreSQL URL (expected postgresql://…, got ${parsed.protocol}//…)`);
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) throw new SyncTargetError(`the PostgreSQL URL names no host: ${redactUrl(url)}`);
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'].includes(sslmode)) {
    throw new SyncTargetError(`unknown sslmode ${JSON.stringify(sslmode)} (use verify-full with sslrootcert=<CA file>, docs/TEAM.md)`);
  }
}

function checkName(kind: string, value: string): string {
  const name = value.trim();
  if (name === '' || name.length > 200 || /[\u0000-\u001f]/.test(name)) throw new SyncTargetError(`the ${kind} name must be 1-200 printable characters, not ${JSON.stringify(value)}`);
  return name;
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch (err) {
    // A uid without a passwd entry (some containers): $USER, else the uid itself.
    return process.env.USER || `uid-${process.getuid?.() ?? 'unknown'} (${(err as Error).message})`;
  }
}

/** The target from flags, environment and config; null when no URL is set anywhere. */
export function resolveSyncTarget(flags: SyncFlags, config: SyncConfig, env: NodeJS.ProcessEnv = process.env): SyncTarget | null {
  const url = flags.postgres ?? (env[POSTGRES_URL_ENV] || undefined) ?? config.postgres;
  if (url === undefined) return null;
  checkPostgresUrl(url);
  const machine = checkName('machine', flags.machine ?? (env[MACHINE_ENV] || undefined) ?? config.machine ?? os.hostname());
  const developer = checkName('developer', flags.developer ?? (env[DEVELOPER_ENV] || undefined) ?? config.developer ?? osUser());
  return { url, shown: redactUrl(url), machine, developer };
}

/** node-postgres settings: bounded waits everywhere, so an outage is an error, never a hang. */
export function clientSettings(url: string) {
  return {
    connectionString: url,
    application_name: 'claude-metrics',
    connectionTimeoutMillis: 10_000,
    // Server side: a statement or an open transaction left waiting (a pusher gone) ends itself.
    statement_timeout: 60_000,
    idle_in_transaction_session_timeout: 60_000,
    query_timeout: 70_000,
    keepAlive: true,
  };
}
