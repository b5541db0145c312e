// A real PostgreSQL server for tests: Debian's binaries (/usr/lib/postgresql/<N>/bin, N ≥ 15),
// a fresh cluster made by initdb in a temp folder, listening on 127.0.0.1 on a free port (and a
// unix socket in the same folder), password auth (SCRAM) for a superuser with a random password,
// optionally TLS with a throwaway CA made by the openssl CLI. Owns the server's lifetime: start,
// stop, start again on the same port and data, and teardown, including when the test process
// fails or dies without calling close(). psql is the client here; the code under test brings its own.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Debian's server package; `.ci/run` installs it. */
const PG_LIB = '/usr/lib/postgresql';
const MIN_MAJOR = 15;
/** The unprivileged account the Debian package creates, which initdb and postgres run as when the tests run as root. */
const SERVER_ACCOUNT = 'postgres';
const SUPERUSER = 'cm_admin';
const HOST = '127.0.0.1';

export interface PgUrlExtra {
  user?: string;
  password?: string;
  /** Query parameters, e.g. { sslmode: 'verify-full', sslrootcert: server.caFile }. */
  params?: Record<string, string>;
}

export interface PgServer {
  host: string;
  port: number;
  superuser: string;
  password: string;
  /** The throwaway CA's certificate (PEM) when started with { tls: true }. */
  caFile?: string;
  /** The temp folder holding everything: data/, the unix socket, server.log, tls/. */
  dir: string;
  dataDir: string;
  /** The folder of the unix socket (`host=<socketDir>` in libpq terms). */
  socketDir: string;
  logFile: string;
  /** The psql binary psql() runs, for tests that need to run it themselves. */
  psqlPath: string;
  /** postgresql://user:password@127.0.0.1:port/db?params, user and password percent-encoded; the superuser and 'postgres' by default. No sslmode is added: say it in params. */
  url(db?: string, extra?: PgUrlExtra): string;
  createDatabase(name: string): Promise<void>;
  /** Runs SQL (one or more statements, fed on stdin) as the superuser over TCP; resolves to stdout trimmed, rejects with stderr. */
  psql(sql: string, db?: string): Promise<string>;
  /** pg_ctl stop -m <mode> (fast by default), waiting until the server is gone. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the stopped server again: same port, same data. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Terminates every other client session (of one database when given), waiting until each has ended; resolves to how many. */
  terminateAllBackends(db?: string): Promise<number>;
  /** Stops the server (immediate) and removes the temp folder. Idempotent. */
  close(): Promise<void>;
}

/** The bin folder of the newest installed PostgreSQL ≥ 15 (initdb, pg_ctl and postgres present), or null. */
export function postgresAvailable(): string | null {
  if (!fs.existsSync(PG_LIB)) return null;
  const majors = fs
    .readdirSync(PG_LIB)
    .filter((name) => /^\d+$/.test(name) && Number(name) >= MIN_MAJOR)
    .map(Number)
    .sort((a, b) => b - a);
  for (const major of majors) {
    const bin = path.join(PG_LIB, String(major), 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(bin, b)))) return bin;
  }
  return null;
}

/** An environment for libpq clients without the caller's PG* settings (a stray PGSSLMODE or PGSERVICE would change what is tested), messages in English, and PGPASSWORD when given. */
export function pgClientEnv(password?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C';
  // A test against a server that is down or stopped must fail, not hang.
  env.PGCONNECT_TIMEOUT = '10';
  if (password !== undefined) env.PGPASSWORD = password;
  return env;
}

/** A libpq conninfo value, quoted. */
export function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A quoted postgresql.conf string value. */
function confValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, asynchronously: a test's own code (a client holding a connection) keeps running meanwhile. */
function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

function describe(cmd: string, args: string[], r: RunResult): string {
  return `\`${[cmd, ...args].join(' ')}\` exited with ${r.code ?? r.signal}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
}

/** Whether this process is root, where initdb and postgres refuse to run: they then run as the postgres account. */
function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** [cmd, args] running a server-side binary as the account that owns the cluster. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', SERVER_ACCOUNT, '--', cmd, ...args]] : [cmd, args];
}

/** The environment for initdb and pg_ctl: C locale whatever the caller's (initdb takes its default from it, and an uninstalled locale makes it fail). */
function serverEnv(): NodeJS.ProcessEnv {
  return { ...pgClientEnv(), LC_ALL: 'C', LANG: 'C' };
}

async function runAsServerUser(cmd: string, args: string[], cwd: string, timeoutMs?: number): Promise<RunResult> {
  const [c, a] = asServerUser(cmd, args);
  return run(c, a, { env: serverEnv(), cwd, ...(timeoutMs ? { timeoutMs } : {}) });
}

/** A TCP port free on 127.0.0.1 now; someone may take it before the server binds it (start retries then). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

function chownToServer(file: string, uid: number, gid: number): void {
  if (isRoot()) fs.chownSync(file, uid, gid);
}

function accountIds(): { uid: number; gid: number } {
  if (!isRoot()) return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
  const r = spawnSync('id', ['-u', SERVER_ACCOUNT], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', SERVER_ACCOUNT], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) {
    throw new Error(
      `POSTGRESQL TEST SERVER: running as root, the server must run as the '${SERVER_ACCOUNT}' account, which does not exist ` +
        `(the Debian package creates it: apt-get install postgresql)\n${r.stderr}${g.stderr}`,
    );
  }
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** The throwaway CA and the server certificate it signs, for localhost and 127.0.0.1. Returns the CA cert's path; server.key/server.crt land in the data folder. */
async function makeTls(dir: string, dataDir: string, ids: { uid: number; gid: number }): Promise<string> {
  const tls = path.join(dir, 'tls');
  fs.mkdirSync(tls, { mode: 0o700 });
  // Our own config, not the system's openssl.cnf, so the extensions are exactly these.
  const cnf = path.join(tls, 'openssl.cnf');
  fs.writeFileSync(
    cnf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = claude-metrics test',
      '[ca_ext]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      '[server_ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:localhost,IP:127.0.0.1',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid,issuer',
      '',
    ].join('\n'),
  );
  const caKey = path.join(tls, 'ca.key');
  const caCrt = path.join(tls, 'ca.crt');
  const csr = path.join(tls, 'server.csr');
  const serverKey = path.join(dataDir, 'server.key');
  const serverCrt = path.join(dataDir, 'server.crt');
  // P-256 keys: generated in milliseconds where RSA takes a noticeable part of a second.
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc'];
  const steps: string[][] = [
    ['req', '-x509', '-config', cnf, '-extensions', 'ca_ext', ...newKey, '-keyout', caKey, '-out', caCrt, '-days', '2', '-subj', '/CN=claude-metrics test CA'],
    ['req', '-new', '-config', cnf, ...newKey, '-keyout', serverKey, '-out', csr, '-subj', '/CN=localhost'],
    ['x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-set_serial', `0x${crypto.randomBytes(8).toString('hex')}`, '-days', '2', '-extfile', cnf, '-extensions', 'server_ext', '-out', serverCrt],
  ];
  for (const args of steps) {
    const r = await run('openssl', args, { env: serverEnv() });
    if (r.code !== 0) throw new Error(`POSTGRESQL TEST SERVER: making the test certificates failed: ${describe('openssl', args, r)}`);
  }
  // postgres refuses a key readable by others, or owned by someone else than the server's account (or root with 0640).
  fs.chmodSync(serverKey, 0o600);
  chownToServer(serverKey, ids.uid, ids.gid);
  chownToServer(serverCrt, ids.uid, ids.gid);
  return caCrt;
}

// Every server started and not yet closed: stopped and removed when this process exits, whether
// the tests passed, threw, or called process.exit.
const live = new Set<{ cleanupSync: () => void }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of [...live]) server.cleanupSync();
  });
}

/**
 * A watchdog for deaths that skip 'exit' (SIGKILL, a signal with no handler): a detached shell
 * that waits for this process to go, then stops the server and removes its folder. Detached, so a
 * Ctrl-C to the terminal's process group does not take it along. close() and the exit hook kill it.
 */
function startWatchdog(stopCmd: [string, string[]], dir: string): ChildProcess {
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; shift 2; "$@" >/dev/null 2>&1; rm -rf -- "$0"';
  // $0 = dir, $1 = our pid, $2 = placeholder shifted away with $1, then the stop command.
  const child = spawn('sh', ['-c', script, dir, String(process.pid), '-', stopCmd[0], ...stopCmd[1]], {
    detached: true,
    stdio: 'ignore',
    env: serverEnv(),
    cwd: os.tmpdir(),
  });
  child.unref();
  return child;
}

/** Whether a process exists and is not a zombie (a killed postmaster is reparented to PID 1, which may be slow to reap it). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ESRCH: gone. EPERM: the pid now belongs to another user's process, so not our postmaster.
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw err;
  }
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // Without /proc (not Linux) kill(0) was the answer; with it, the process has just gone.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return !fs.existsSync('/proc/self');
    throw err;
  }
  return !/\) Z/.test(stat);
}

function logTail(logFile: string, from: number, lines = 30): string {
  if (!fs.existsSync(logFile)) return '(no server log)';
  const text = fs.readFileSync(logFile, 'utf8').slice(from);
  return text.trim().split('\n').slice(-lines).join('\n') || '(server log empty)';
}

/** Starts a fresh PostgreSQL cluster in a temp folder. Throws (never skips) when PostgreSQL is not installed. */
export async function startPostgres(options: { tls?: boolean } = {}): Promise<PgServer> {
  const bin = postgresAvailable();
  if (bin === null) {
    throw new Error(
      `POSTGRESQL NOT INSTALLED: no ${PG_LIB}/<N>/bin/{initdb,pg_ctl,postgres} with N >= ${MIN_MAJOR}. ` +
        `The sync tests start a real PostgreSQL server; install Debian's: apt-get install postgresql (.ci/run does).`,
    );
  }
  const initdb = path.join(bin, 'initdb');
  const pgCtl = path.join(bin, 'pg_ctl');
  const psqlPath = fs.existsSync(path.join(bin, 'psql')) ? path.join(bin, 'psql') : '/usr/bin/psql';
  const ids = accountIds();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const password = crypto.randomBytes(18).toString('hex');
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let watchdog: ChildProcess | undefined;
  let closed = false;
  // Whether a postmaster may be up: its pid file is there from its start (even one pg_ctl gave up
  // waiting for, or one interrupted by the process exiting) until its shutdown is complete; one
  // killed outright (a test playing a crash) leaves the file behind, so the pid is checked too.
  const mayBeRunning = (): boolean => {
    let text: string;
    try {
      text = fs.readFileSync(pidFile, 'utf8');
    } catch (err) {
      // No pid file: no postmaster (or it has just finished shutting down).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    return processAlive(Number(text.split('\n')[0]));
  };

  const stopSync = (when: string): void => {
    const [c, a] = asServerUser(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30']);
    const r = spawnSync(c, a, { env: serverEnv(), cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`postgres test server in ${dir}: stop ${when} failed: ${r.stderr}\n`);
  };
  const entry = {
    cleanupSync: (): void => {
      if (mayBeRunning()) stopSync('on cleanup');
      watchdog?.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      live.delete(entry);
    },
  };
  installExitHook();
  live.add(entry);

  try {
    fs.chmodSync(dir, 0o700);
    chownToServer(dir, ids.uid, ids.gid);
    if (isRoot()) {
      // The temp folder's parents must let the postgres account through (a TMPDIR under /root would not).
      const r = spawnSync('runuser', ['-u', SERVER_ACCOUNT, '--', 'test', '-w', dir, '-a', '-x', dir]);
      if (r.status !== 0) throw new Error(`POSTGRESQL TEST SERVER: the '${SERVER_ACCOUNT}' account cannot use ${dir} (a parent folder is closed to it; set TMPDIR to a folder it can reach, e.g. /tmp)`);
    }
    // From before the first start, so that no moment leaves a postmaster without a keeper.
    watchdog = startWatchdog(asServerUser(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30']), dir);

    const pwFile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    chownToServer(pwFile, ids.uid, ids.gid);
    const initArgs = [
      '-D', dataDir,
      `--username=${SUPERUSER}`,
      `--pwfile=${pwFile}`,
      // Every connection, TCP and unix socket, must give the password: password auth is what the tests exercise.
      '--auth=scram-sha-256',
      '-E', 'UTF8',
      '--locale=C',
      // Test-only: initdb's fsyncs cost seconds and protect against an OS crash, which a test cluster does not outlive anyway.
      '--no-sync',
      '--no-instructions',
    ];
    const init = await runAsServerUser(initdb, initArgs, dir);
    fs.rmSync(pwFile);
    if (init.code !== 0) throw new Error(`POSTGRESQL TEST SERVER: initdb failed: ${describe(initdb, initArgs, init)}`);

    let caFile: string | undefined;
    if (options.tls) caFile = await makeTls(dir, dataDir, ids);

    const conf = [
      '',
      '# claude-metrics test harness (test/support/postgres.ts)',
      `listen_addresses = '${HOST}'`,
      `unix_socket_directories = ${confValue(dir)}`,
      'max_connections = 100',
      // TEST-ONLY settings, never for a server whose data matters: no fsync and no full-page
      // writes make the cluster fast but lose data when the OS (not postgres) crashes, which a
      // throwaway test cluster never outlives. synchronous_commit stays on: with fsync off a
      // commit's WAL flush is only a write() anyway, and 'off' would let `pg_ctl stop -m
      // immediate` lose transactions already reported committed, which the "server stopped in
      // the middle of a push" tests must be able to rely on.
      'fsync = off',
      'full_page_writes = off',
      'synchronous_commit = on',
      options.tls ? 'ssl = on' : 'ssl = off',
      ...(options.tls ? [`ssl_cert_file = ${confValue(path.join(dataDir, 'server.crt'))}`, `ssl_key_file = ${confValue(path.join(dataDir, 'server.key'))}`] : []),
      // The port is in its own file, rewritten when a start attempt meets a port taken meanwhile.
      "include = 'harness-port.conf'",
      '',
    ].join('\n');
    fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), conf);

    const portFile = path.join(dataDir, 'harness-port.conf');
    let port = 0;

    const start = async (): Promise<void> => {
      const logFrom = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
      const args = ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60'];
      const r = await runAsServerUser(pgCtl, args, dir, 90_000);
      if (r.code !== 0) {
        // pg_ctl may give up while a postmaster is still coming up: make sure none is left behind.
        if (mayBeRunning()) stopSync('after a failed start');
        const tail = logTail(logFile, logFrom);
        const err = new Error(`POSTGRESQL TEST SERVER: could not start on ${HOST}:${port}: ${describe(pgCtl, args, r)}\nserver log (tail):\n${tail}`);
        (err as Error & { portTaken?: boolean }).portTaken = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(tail);
        throw err;
      }
    };

    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      fs.writeFileSync(portFile, `port = ${port}\n`);
      chownToServer(portFile, ids.uid, ids.gid);
      try {
        await start();
        break;
      } catch (err) {
        // Only a port taken between freePort() and the bind is worth another try.
        if (!(err as { portTaken?: boolean }).portTaken || attempt >= 5) throw err;
      }
    }

    const psql = async (sql: string, db = 'postgres'): Promise<string> => {
      const conninfo = [
        `host=${HOST}`,
        `port=${port}`,
        `user=${conninfoValue(SUPERUSER)}`,
        `dbname=${conninfoValue(db)}`,
        // TLS servers are always reached the strict way, which checks the certificates too.
        ...(caFile ? ['sslmode=verify-full', `sslrootcert=${conninfoValue(caFile)}`] : ['sslmode=disable']),
      ].join(' ');
      // -q: no command tags ("INSERT 0 1"), so stdout is only the queries' rows; -w: never prompt.
      const args = ['-X', '-A', '-t', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '-d', conninfo];
      const r = await run(psqlPath, args, { input: sql, env: pgClientEnv(password) });
      if (r.code !== 0) throw new Error(`psql on ${HOST}:${port}/${db} failed (exit ${r.code ?? r.signal}): ${r.stderr.trim()}\nSQL: ${sql}`);
      return r.stdout.trim();
    };

    const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
      const args = ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60'];
      const r = await runAsServerUser(pgCtl, args, dir, 90_000);
      if (r.code !== 0) throw new Error(`POSTGRESQL TEST SERVER: stop failed: ${describe(pgCtl, args, r)}\nserver log (tail):\n${logTail(logFile, 0)}`);
    };

    const server: PgServer = {
      host: HOST,
      port,
      superuser: SUPERUSER,
      password,
      ...(caFile ? { caFile } : {}),
      dir,
      dataDir,
      socketDir: dir,
      logFile,
      psqlPath,
      url(db = 'postgres', extra: PgUrlExtra = {}): string {
        const user = encodeURIComponent(extra.user ?? SUPERUSER);
        const pw = encodeURIComponent(extra.password ?? (extra.user === undefined ? password : ''));
        // Percent-encoding, not URLSearchParams: libpq decodes %XX but keeps '+' as a plus, not a space.
        const query = Object.entries(extra.params ?? {})
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
          .join('&');
        return `postgresql://${user}${pw ? `:${pw}` : ''}@${HOST}:${port}/${encodeURIComponent(db)}${query ? `?${query}` : ''}`;
      },
      async createDatabase(name: string): Promise<void> {
        await psql(`CREATE DATABASE ${sqlIdent(name)}`);
      },
      psql,
      stop,
      start,
      async restart(): Promise<void> {
        await stop('fast');
        await start();
      },
      async terminateAllBackends(db?: string): Promise<number> {
        // pg_terminate_backend(pid, timeout) waits until the session has really ended (false if not within 5 s).
        const where = db === undefined ? '' : ` AND datname = ${sqlLiteral(db)}`;
        const out = await psql(
          `SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity ` +
            `WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'${where}) t WHERE ended`,
        );
        return Number(out);
      },
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        // Stopped here asynchronously (the test's own code keeps running meanwhile); cleanupSync
        // then only kills the watchdog and removes the folder.
        if (mayBeRunning()) await stop('immediate');
        entry.cleanupSync();
      },
    };
    return server;
  } catch (err) {
    entry.cleanupSync();
    throw err;
  }
}
