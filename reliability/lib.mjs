// Shared pieces for reliability scenarios: the built hook and CLI as processes, the baseline
// Python hook, payload files written as the hook writes them, and ledger counts read back.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HOOK = path.join(ROOT, 'dist', 'hook.cjs');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const BASELINE = path.join(SHARED, 'baseline', 'session_end_hook.py');
export const FIXTURES = path.join(SHARED, 'fixtures', 'claude-code-2.1.197');

/** Runs the hook with `input` on stdin; resolves with its exit code, output and wall time (ms). */
export function runHook(input, args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [HOOK, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {}); // the hook may stop reading at its cap
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
    child.stdin.end(input);
  });
}

/** Runs the baseline Python hook (it forks a detached writer and returns at once). */
export function runBaseline(input, dbPath) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('python3', [BASELINE, '--db-path', dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ms: performance.now() - t0 }));
    child.stdin.end(input);
  });
}

/** `claude-metrics worker --drain` to completion (synchronously). */
export function drain(spool, db, extra = []) {
  const r = spawnSync(process.execPath, [CLI, 'worker', '--drain', '--spool', spool, '--db', db, ...extra], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a watching worker; resolves once it logged 'worker ready'. */
export async function startWorker(spool, db, extra = []) {
  const child = spawn(process.execPath, [CLI, 'worker', '--spool', spool, '--db', db, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await waitUntil(() => stderr.includes('worker ready'), 20_000);
  return { child, exited, stderr: () => stderr };
}

export async function waitUntil(cond, timeoutMs = 60_000, intervalMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return true;
}

/** Runs `fn` on a read-only connection (never blocks the worker); returns its result, or `fallback` if there is no database yet. */
export function readDb(dbPath, fn, fallback) {
  if (!fs.existsSync(dbPath)) return fallback;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    return fn(db);
  } catch (err) {
    if (/no such table/.test(String(err))) return fallback;
    throw err;
  } finally {
    db.close();
  }
}

/** Ledger rows per session id prefix, and how many ids appear more than once (never, by the primary key). */
export function ledger(dbPath) {
  return readDb(dbPath, (db) => db.prepare('SELECT id, session_id, event FROM payloads').all(), []);
}

let counter = 0;
export function payloadId(epochMs = Date.now()) {
  counter++;
  return `${String(epochMs).padStart(13, '0')}-${process.pid}-${counter.toString(16).padStart(6, '0')}${crypto.randomBytes(3).toString('hex')}`;
}

/** Puts bytes straight into incoming/ as a finished hook would (temp file, then rename). */
export function spoolBytes(spool, bytes, id = payloadId()) {
  const incoming = path.join(spool, 'incoming');
  fs.mkdirSync(incoming, { recursive: true, mode: 0o700 });
  const temp = path.join(incoming, `${id}.json.${process.pid}${counter}`);
  fs.writeFileSync(temp, bytes, { mode: 0o600 });
  fs.renameSync(temp, path.join(incoming, `${id}.json`));
  return id;
}

export function event(sessionId, name, extra = {}) {
  return JSON.stringify({ session_id: sessionId, transcript_path: `/nonexistent/${sessionId}.jsonl`, cwd: '/tmp', hook_event_name: name, ...extra });
}

export function files(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** Counts for a row: valid payloads sent vs the ledger (lost = sent valid ids never applied). */
export function tally(sentIds, ledgerRows) {
  const seen = new Map();
  for (const r of ledgerRows) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  let applied = 0;
  let lost = 0;
  for (const id of sentIds) {
    if (seen.has(id)) applied++;
    else lost++;
  }
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  return { applied, lost, duplicated };
}

/** The baseline's detached writers for `dbPath` (`python3 … --background <tmp> --db-path <db>`): [{ pid, dataFile }]. */
export function baselineWriters(dbPath) {
  const out = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let argv;
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ESRCH') continue; // exited while we looked
      throw err;
    }
    const b = argv.indexOf('--background');
    if (b >= 0 && argv.includes(dbPath)) out.push({ pid: Number(pid), dataFile: argv[b + 1] });
  }
  return out;
}

/** A SessionEnd payload in the older format the baseline reads (with its `cost` object). */
export function legacySessionEnd(sessionId) {
  return JSON.stringify({
    session_id: sessionId,
    transcript_path: `/nonexistent/${sessionId}.jsonl`,
    cwd: '/tmp',
    hook_event_name: 'SessionEnd',
    reason: 'exit',
    cost: { total_cost_usd: 0.0123, total_duration_ms: 60000, total_api_duration_ms: 20000, total_lines_added: 10, total_lines_removed: 2 },
  });
}
