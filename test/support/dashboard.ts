// The dashboard as a user runs it, for tests: the built CLI (`claude-metrics dashboard`) spawned
// as a process on a real database, its URL read from what it prints, stopped by a real signal;
// and raw HTTP requests whose Host, Origin and path are exactly what the test says (node:http,
// no URL normalisation), to play a foreign page or a hostile client.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { CLI, waitUntil } from '../helpers.ts';

export interface RunningDashboard {
  child: ChildProcess;
  url: string;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal and waits for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `claude-metrics dashboard --port 0 --db <db> …args` (no --db when `db` is null: a team
 * dashboard, `--postgres` in args); resolves once it has printed its URL.
 */
export async function startDashboard(
  t: { after: (fn: () => Promise<void> | void) => void },
  db: string | null,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  startTimeoutMs = 20_000,
): Promise<RunningDashboard> {
  const child = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', ...(db === null ? [] : ['--db', db]), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  t.after(async () => {
    if (!done) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  await waitUntil(() => /dashboard: http:\/\/\S+/.test(stdout) || done, startTimeoutMs, () => `the dashboard's URL: ${stdout} ${stderr}`);
  const url = /dashboard: (http:\/\/\S+)/.exec(stdout)?.[1];
  assert.ok(url, `no URL printed (stdout: ${stdout}; stderr: ${stderr})`);
  const port = Number(new URL(url).port);
  return {
    child,
    url,
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: async (signal = 'SIGINT') => {
      child.kill(signal);
      return exited;
    },
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to 127.0.0.1:port with `path` sent as written and the headers given (Host defaults to 127.0.0.1:port). */
export function request(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T = Record<string, any>>(port: number, path: string, headers: Record<string, string> = {}): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await request(port, path, headers);
  assert.equal(r.status, 200, `${path}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}
