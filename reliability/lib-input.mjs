// Helpers shared by the input-hostility scenarios (05 bad input, 06 hostile transcripts,
// 09 permissions/injection): a drain bounded by a timeout, the worker's validity rules
// re-implemented independently, and dead-letter checks.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from './lib.mjs';

export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

/** `worker --drain` as a child process, killed (SIGKILL) after `timeoutMs`: never hangs the runner. */
export function drainBounded(spool, db, extra = [], timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--spool', spool, '--db', db, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/**
 * The documented validity rules, decided here without the worker's code: a regular file of at
 * most 8 MiB whose UTF-8 text is a JSON object with a non-empty string session_id and a
 * hook_event_name that is absent or a string.
 */
export function expectedValid(bytes) {
  if (bytes.length > MAX_PAYLOAD_BYTES) return false;
  let v;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return false;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  if (typeof v.session_id !== 'string' || v.session_id === '') return false;
  if (v.hook_event_name !== undefined && typeof v.hook_event_name !== 'string') return false;
  return true;
}

/** A dead letter as documented: dead/<id>.json present (any kind) and dead/<id>.error.json with a non-empty reason. */
export function deadLetterOf(spool, id) {
  const dead = path.join(spool, 'dead');
  let moved = false;
  try {
    fs.lstatSync(path.join(dead, `${id}.json`));
    moved = true;
  } catch {}
  let reason = null;
  try {
    const e = JSON.parse(fs.readFileSync(path.join(dead, `${id}.error.json`), 'utf8'));
    if (typeof e.reason === 'string' && e.reason.length > 0) reason = e.reason;
  } catch {}
  return { moved, reason, ok: moved && reason !== null };
}

/** Where an id's file still is in the spool (incoming/processing), or null. */
export function leftInSpool(spool, id) {
  for (const d of ['incoming', 'processing']) {
    try {
      fs.lstatSync(path.join(spool, d, `${id}.json`));
      return d;
    } catch {}
  }
  return null;
}

export function mode(file) {
  return (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');
}

export function sample(list, n) {
  return list.length <= n ? list.join(', ') : `${list.slice(0, n).join(', ')}, … (${list.length} in all)`;
}
