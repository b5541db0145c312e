// Helpers for the load scenarios (burst, two-workers, soak): a bounded pool for launching many
// processes, percentiles, /proc readings of a worker, writable copies of the fixture transcripts,
// and an asynchronous `worker --drain` (lib.drain blocks the event loop, which would stop traffic).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, FIXTURES } from './lib.mjs';

/** Runs `fn(i)` for i in [0, n) with at most `limit` in flight; resolves with the results in order. */
export async function pool(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  async function lane() {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  return out;
}

/** Nearest-rank percentile (p in 0..100). */
export function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** VmRSS of a live process in KiB (NaN once it is gone). */
export function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** User + system CPU seconds a live process has used. */
export function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The fixture sessions: [{ project, id, main (path), subagents (dir or null) }]. */
export function fixtureSessions() {
  const projects = path.join(FIXTURES, 'projects');
  const out = [];
  for (const project of fs.readdirSync(projects).sort()) {
    for (const name of fs.readdirSync(path.join(projects, project)).sort()) {
      if (!name.endsWith('.jsonl')) continue;
      const id = name.slice(0, -'.jsonl'.length);
      const sub = path.join(projects, project, id, 'subagents');
      out.push({ project, id, main: path.join(projects, project, name), subagents: fs.existsSync(sub) ? sub : null });
    }
  }
  return out;
}

/**
 * Writes a writable copy of fixture session `fx` under `<claudeDir>/projects/<project>/<sessionId>.jsonl`
 * (with its subagents' files, if any) and returns the transcript path. `content` overrides the
 * main transcript's bytes (e.g. '' for a transcript that grows later).
 */
export function copyTranscript(claudeDir, fx, sessionId, content) {
  const dir = path.join(claudeDir, 'projects', fx.project);
  fs.mkdirSync(dir, { recursive: true });
  const main = path.join(dir, `${sessionId}.jsonl`);
  fs.writeFileSync(main, content ?? fs.readFileSync(fx.main));
  if (fx.subagents) {
    const sub = path.join(dir, sessionId, 'subagents');
    fs.mkdirSync(sub, { recursive: true });
    for (const name of fs.readdirSync(fx.subagents)) fs.writeFileSync(path.join(sub, name), fs.readFileSync(path.join(fx.subagents, name)));
  }
  return main;
}

/** `claude-metrics worker --drain` as a child process that does not block the event loop. */
export function drainAsync(spool, db, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--spool', spool, '--db', db, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Lines of a worker's stderr at warn level or above (text or JSON log format). */
export function problemLines(stderr) {
  return stderr.split('\n').filter((l) => /^\S+ (warn|error) |"level":"(warn|error)"|ENOSPC|EMFILE/.test(l));
}

/** Stops a worker started with lib.startWorker and waits for it to exit. */
export async function stopWorker(w, timeoutMs = 30_000) {
  w.child.kill('SIGTERM');
  let handle;
  const timer = new Promise((resolve) => (handle = setTimeout(() => resolve('timeout'), timeoutMs)));
  const r = await Promise.race([w.exited, timer]);
  clearTimeout(handle);
  if (r === 'timeout') {
    w.child.kill('SIGKILL');
    return { code: null, signal: 'SIGKILL (did not stop within 30 s of SIGTERM)' };
  }
  return r;
}
