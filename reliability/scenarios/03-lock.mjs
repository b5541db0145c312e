// Lock: another process holds the database with BEGIN EXCLUSIVE (twice) while real hook
// processes keep arriving. Ours: a watching worker retries with backoff and applies everything
// once the lock is gone. Baseline: the Python hook under the same lock pattern, same payloads.
import { spawn } from 'node:child_process';
import path from 'node:path';
import * as lib from '../lib.mjs';

export const name = 'lock';
export const title = 'database locked (BEGIN EXCLUSIVE) by another process';

// The lock holder: a separate node process using this project's better-sqlite3.
const HOLDER = `
const { createRequire } = require('node:module');
const Database = createRequire(${JSON.stringify(path.join(lib.ROOT, 'package.json'))})('better-sqlite3');
const [file, holdMs] = process.argv.slice(1);
const db = new Database(file, { timeout: 60000, fileMustExist: true });
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, Number(holdMs));
`;

function holdLock(dbPath, holdMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', HOLDER, dbPath, String(holdMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lockedAt;
    child.stdout.on('data', (d) => {
      out += d;
      if (lockedAt === undefined && out.includes('locked')) lockedAt = Date.now();
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || !out.includes('released')) reject(new Error(`lock holder failed (${code}): ${err}`));
      else resolve({ lockedAt, releasedAt: Date.now() });
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends exactly `total` payloads, `send(i)`, at `perSec` from 1 s before the first lock until about
 * 1 s after the second release, while the lock is held twice for holdMs with gapMs between.
 * Returns what was sent and when, and the lock windows.
 */
async function underLocks(dbPath, holdMs, gapMs, perSec, total, send) {
  const sends = [];
  const pending = [];
  const start = Date.now();
  const sender = (async () => {
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / perSec - Date.now();
      if (wait > 0) await sleep(wait);
      const at = Date.now();
      pending.push(send(i).then((r) => sends.push({ ...r, i, at })));
    }
  })();
  const windows = [];
  await sleep(1000);
  windows.push(await holdLock(dbPath, holdMs));
  await sleep(gapMs);
  windows.push(await holdLock(dbPath, holdMs));
  await sender;
  await Promise.all(pending);
  return { sends: sends.sort((a, b) => a.i - b.i), windows };
}

/** Seconds from `at` until the release of the lock that was held then or was next taken. */
function untilRelease(windows, at) {
  const w = windows.find((x) => x.releasedAt > at);
  return w ? (w.releasedAt - at) / 1000 : -1;
}

function lockLeftAt(windows, at) {
  for (const w of windows) if (at >= w.lockedAt && at < w.releasedAt) return w.releasedAt - at;
  return 0;
}

export async function run(ctx) {
  const holdMs = ctx.short ? 2000 : 10_000;
  const gapMs = ctx.short ? 1000 : 3000;
  const perSec = 4;
  const total = Math.round((perSec * (2000 + 2 * holdMs + gapMs)) / 1000); // the same count for both systems
  const rows = [];

  // --- claude-metrics: real hook processes into a watching worker.
  {
    const t0 = Date.now();
    const spool = path.join(ctx.tmp, 'spool');
    const db = path.join(ctx.tmp, 'metrics.db');
    const w = await lib.startWorker(spool, db);
    let sids = [];
    let stderr = '';
    try {
      const { sends, windows } = await underLocks(db, holdMs, gapMs, perSec, total, (i) => {
        const sid = `lock-cm-${i}`;
        sids.push(sid);
        return lib.runHook(lib.legacySessionEnd(sid), ['--spool', spool]);
      });
      const releasedAt = windows.at(-1).releasedAt;
      const count = () => new Set(lib.ledger(db).map((r) => r.session_id).filter((s) => s.startsWith('lock-cm-'))).size;
      await lib.waitUntil(() => count() >= sids.length, 60_000, 50);
      const caughtUpMs = Date.now() - releasedAt;
      const hookProblems = sends.filter((s) => s.code !== 0 || s.stderr !== '' || s.stdout.trim() !== '{}');
      const maxHookMs = Math.max(...sends.map((s) => s.ms));
      const duringLock = sends.filter((s) => lockLeftAt(windows, s.at) > 0).length;
      w.child.kill('SIGTERM');
      const exit = await w.exited;
      stderr = w.stderr();
      const ledger = lib.ledger(db);
      const bySession = new Map();
      for (const r of ledger) if (r.session_id.startsWith('lock-cm-')) bySession.set(r.session_id, (bySession.get(r.session_id) ?? 0) + 1);
      const applied = sids.filter((s) => bySession.has(s)).length;
      const duplicated = [...bySession.values()].filter((n) => n > 1).length;
      const dead = lib.files(path.join(spool, 'dead')).length;
      const left = lib.files(path.join(spool, 'incoming')).length + lib.files(path.join(spool, 'processing')).length;
      const retries = (stderr.match(/batch will be retried/g) ?? []).length;
      const busyRetries = (stderr.match(/batch will be retried.*(SQLITE_BUSY|locked)/g) ?? []).length;
      const problems = [];
      if (hookProblems.length) problems.push(`${hookProblems.length} hooks did not print {} with empty stderr: ${JSON.stringify(hookProblems[0])}`);
      if (exit.code !== 0) problems.push(`worker exited ${exit.code}/${exit.signal}`);
      if (left) problems.push(`${left} payloads still in the spool`);
      if (/ (error|fatal) /.test(stderr)) problems.push(`worker logged: ${stderr.split('\n').filter((l) => / (error|fatal) /.test(l)).slice(0, 2).join(' / ')}`);
      rows.push({
        system: 'claude-metrics',
        sent: sids.length,
        applied,
        deadLettered: 0,
        lost: sids.length - applied + dead,
        duplicated,
        seconds: (Date.now() - t0) / 1000,
        notes:
          `real fault: a second process held BEGIN EXCLUSIVE for ${holdMs / 1000} s, twice (${gapMs / 1000} s apart), while ${sids.length} real hook processes ` +
          `(${perSec}/s, ${duringLock} of them during a lock) ran into a watching worker; hooks all exited 0 with {} (slowest ${maxHookMs.toFixed(0)} ms); ` +
          `worker logged ${retries} batch retries (${busyRetries} naming SQLITE_BUSY/locked) and caught up ${(caughtUpMs / 1000).toFixed(1)} s after the last release; ` +
          `dead-lettered ${dead}; counted by unique session_id in the ledger` +
          (problems.length ? `. PROBLEMS: ${problems.join(' | ')}` : ''),
      });
    } finally {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGTERM');
        await w.exited;
      }
    }
  }

  // --- baseline: the Python hook, its own database, the same lock pattern and payloads.
  {
    const t0 = Date.now();
    const db = path.join(ctx.tmp, 'baseline.db');
    const stored = (prefix) => lib.readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM sessions WHERE session_id LIKE ?').get(`${prefix}%`).c, 0);
    await lib.runBaseline(lib.legacySessionEnd('lock-init'), db);
    const created = await lib.waitUntil(() => stored('lock-init') === 1, 20_000, 50);
    if (!created) throw new Error('the baseline hook did not create its database');
    const sids = [];
    const { sends, windows } = await underLocks(db, holdMs, gapMs, perSec, total, (i) => {
      const sid = `lock-bl-${i}`;
      sids.push(sid);
      return lib.runBaseline(lib.legacySessionEnd(sid), db);
    });
    // Its detached writers may still be inside sqlite3's 5 s busy wait: give them time, then count.
    let last = -1;
    await sleep(holdMs > 5000 ? 6000 : 1500);
    await lib.waitUntil(() => {
      const now = stored('lock-bl-');
      const same = now === last;
      last = now;
      return same;
    }, 20_000, 1000);
    const storedSet = new Set(lib.readDb(db, (d) => d.prepare("SELECT session_id FROM sessions WHERE session_id LIKE 'lock-bl-%'").all().map((r) => r.session_id), []));
    const applied = sids.filter((s) => storedSet.has(s)).length;
    const lostSends = sends.filter((s) => !storedSet.has(`lock-bl-${s.i}`));
    const keptDuringLock = sends.filter((s) => storedSet.has(`lock-bl-${s.i}`) && lockLeftAt(windows, s.at) > 0);
    const lostLeft = lostSends.map((s) => untilRelease(windows, s.at));
    const keptLeft = keptDuringLock.map((s) => untilRelease(windows, s.at));
    const duringLock = sends.filter((s) => lockLeftAt(windows, s.at) > 0).length;
    const fmt = (v) => v.toFixed(1);
    rows.push({
      system: 'baseline',
      sent: sids.length,
      applied,
      deadLettered: 0,
      lost: sids.length - applied,
      duplicated: 0,
      seconds: (Date.now() - t0) / 1000,
      notes:
        `real fault, same holder process and pattern on the baseline's own database; ${sids.length} SessionEnd payloads with a cost object at ${perSec}/s, ` +
        `${duringLock} sent during a lock; stored rows counted ${((Date.now() - windows.at(-1).releasedAt) / 1000).toFixed(0)} s after the last release. ` +
        (lostSends.length
          ? `Lost ${lostSends.length}, silently ('database is locked' swallowed): sent ${fmt(Math.min(...lostLeft))}–${fmt(Math.max(...lostLeft))} s before a release (a writer that starts just before a lock is taken also waits it out). `
          : 'Lost none. ') +
        (keptDuringLock.length
          ? `${keptDuringLock.length} sent during a lock survived (sqlite3's default 5 s busy timeout), sent ${fmt(Math.min(...keptLeft))}–${fmt(Math.max(...keptLeft))} s before a release.`
          : 'None sent during a lock survived.'),
    });
  }
  return rows;
}
