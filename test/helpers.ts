// Test helpers: real temp directories, the built hook and CLI spawned as processes, and a
// read-only SQLite connection to look at what the worker committed. Nothing here is mocked.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HOOK = path.join(ROOT, 'dist', 'hook.cjs');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures', 'claude-code-2.1.197');

/** A folder of recorded Claude Code sessions: payloads/, projects/, expected.json (see its README.md). */
export interface FixtureSet {
  /** The Claude Code version that recorded it. */
  version: string;
  dir: string;
}

/** Every recorded set: the shared 2.1.197 one, and 2.1.332's recorded by test/claude-e2e.test.ts (CM_E2E_RECORD). */
export const FIXTURE_SETS: readonly FixtureSet[] = [
  { version: '2.1.197', dir: FIXTURES },
  { version: '2.1.332', dir: path.join(ROOT, 'test', 'fixtures', 'claude-code-2.1.332') },
];

/** The ids of a set's sessions that have a subagents/ folder. */
export function subagentSessions(set: FixtureSet): string[] {
  const projects = path.join(set.dir, 'projects');
  return fs
    .readdirSync(projects)
    .flatMap((p) => fs.readdirSync(path.join(projects, p)).filter((id) => fs.existsSync(path.join(projects, p, id, 'subagents'))))
    .sort();
}
export const BASELINE = path.resolve(ROOT, '..', 'shared', 'baseline', 'session_end_hook.py');

export interface Sandbox {
  dir: string;
  spool: string;
  db: string;
}

/** A fresh temp dir with a spool and a db path, removed when the test ends. */
export function sandbox(t: { after: (fn: () => void) => void }): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, spool: path.join(dir, 'spool'), db: path.join(dir, 'metrics.db') };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the hook as Claude Code does: payload on stdin, waits for exit. */
export function runHook(input: string | Buffer, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runProcess(process.execPath, [HOOK, ...args], input, env);
}

/**
 * Runs `cmd` to its end with `input` on its stdin: bytes through a pipe (null: a pipe left open),
 * or `{ fd }`, a file or FIFO the child gets as it is (closed here once handed over).
 */
export function runProcess(cmd: string, args: string[], input: string | Buffer | null | { fd: number }, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const fd = input !== null && typeof input === 'object' && 'fd' in input ? input.fd : null;
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: [fd ?? 'pipe', 'pipe', 'pipe'] });
    if (fd !== null) fs.closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    // The hook stops reading at its size cap and exits: the rest of a huge input meets EPIPE.
    child.stdin?.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (fd === null && input !== null) child.stdin!.end(input as string | Buffer);
  });
}

/** `claude-metrics worker --drain` to completion. */
export function drain(sb: Sandbox, extra: string[] = []): RunResult {
  const r = spawnSync(process.execPath, [CLI, 'worker', '--drain', '--spool', sb.spool, '--db', sb.db, ...extra], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a worker process (watching unless --drain is in `extra`); resolves once it is running. */
export async function startWorker(sb: Sandbox, extra: string[] = [], waitFor = 'worker starting'): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'worker', '--spool', sb.spool, '--db', sb.db, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  if (waitFor) await waitUntil(() => stderr.includes(waitFor), 20_000, () => `worker never said "${waitFor}": ${stderr}`);
  return { child, stderr: () => stderr, exited };
}

export async function waitUntil(cond: () => boolean, timeoutMs = 30_000, what: () => string = () => 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads from the database with a separate connection (read-only, so it never blocks the worker). */
export function query<T = Record<string, unknown>>(dbFile: string, sql: string, ...params: unknown[]): T[] {
  if (!fs.existsSync(dbFile)) return [];
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function ledgerCount(dbFile: string): number {
  return (query<{ n: number }>(dbFile, 'SELECT count(*) AS n FROM payloads')[0]?.n) ?? 0;
}

let counter = 0;
/** A payload id as the hook makes it, at a chosen time (ids sort by time, then by counter). */
export function payloadId(epochMs = Date.now()): string {
  counter++;
  return `${String(epochMs).padStart(13, '0')}-${process.pid}-${counter.toString(16).padStart(4, '0')}${crypto.randomBytes(3).toString('hex')}`;
}

/** Puts a payload straight into incoming/ (as a finished hook would have), returns its id. */
export function spoolPayload(sb: Sandbox, body: unknown, id = payloadId()): string {
  const incoming = path.join(sb.spool, 'incoming');
  fs.mkdirSync(incoming, { recursive: true, mode: 0o700 });
  const bytes = Buffer.isBuffer(body) ? body : typeof body === 'string' ? body : JSON.stringify(body);
  // Write then rename, as the hook's write-file-atomic does: a watching worker never sees half a file.
  const temp = path.join(incoming, `${id}.json.${process.pid}${counter}`);
  fs.writeFileSync(temp, bytes, { mode: 0o600 });
  fs.renameSync(temp, path.join(incoming, `${id}.json`));
  return id;
}

export function spoolFiles(sb: Sandbox, sub: 'incoming' | 'processing' | 'dead'): string[] {
  const dir = path.join(sb.spool, sub);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

export function event(sessionId: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: sessionId,
    transcript_path: `/home/user/.claude/projects/-p/${sessionId}.jsonl`,
    cwd: '/home/user/p',
    hook_event_name: name,
    ...extra,
  };
}
