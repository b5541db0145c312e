// Crash: SIGKILL the worker at random moments of a large drain while new payloads keep arriving,
// restart it each time, then drain once more: every payload applied exactly once, spool empty.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as lib from '../lib.mjs';
import { pool, sleep } from '../lib-load.mjs';

export const name = 'crash';
export const title = 'worker SIGKILLed mid-drain';

const EVENTS = ['SessionStart', 'Stop', 'SubagentStop', 'SessionEnd', 'UserPromptSubmit'];

function startWorker(spool, db, mode) {
  const args = [lib.CLI, 'worker', '--spool', spool, '--db', db];
  if (mode === 'drain') args.push('--drain');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

export async function run(ctx) {
  const t0 = Date.now();
  const spool = path.join(ctx.tmp, 'spool');
  const db = path.join(ctx.tmp, 'metrics.db');
  const initial = ctx.short ? 2000 : 20000;
  const kills = ctx.short ? 5 : 50;
  const ratePerSec = ctx.short ? 100 : 200;
  // A 20,000-payload drain takes ~1 s of work after ~80 ms of start-up: kill moments are spread
  // over start-up (recovery, open, migrations) and the batches, so the kills land inside the drain.
  const window = ctx.short ? 25 : 40;
  const sent = [];
  let n = 0;
  const spoolOne = () => {
    const sid = `crash-${n % 997}`; // sessions receive many payloads, as in real use
    sent.push(lib.spoolBytes(spool, lib.event(sid, EVENTS[n % EVENTS.length])));
    n++;
  };
  for (let i = 0; i < initial; i++) spoolOne();
  ctx.log(`spooled ${initial} payloads; ${kills} SIGKILLs at random moments, ${ratePerSec} new payloads/s meanwhile`);

  // Steady arrivals from this process, every 10 ms.
  let carry = 0;
  const arrivals = setInterval(() => {
    carry += ratePerSec / 100;
    while (carry >= 1) {
      spoolOne();
      carry--;
    }
  }, 10);

  const problems = [];
  let killed = 0;
  let finishedBeforeKill = 0;
  let killedWithBacklog = 0;
  let startupKills = 0;
  let appliedBefore = 0;
  const progress = [];
  try {
    // Until `kills` SIGKILLs have landed (a run that ended on its own first is not counted).
    for (let k = 0; killed < kills && k < kills * 4; k++) {
      // Mostly --drain (the scenario's subject); every third restart a watching worker.
      const mode = k % 3 === 2 ? 'watch' : 'drain';
      const w = startWorker(spool, db, mode);
      // Random moment: one kill in five anywhere in start-up (recovery, open, migrations), the rest
      // uniformly within the first `window` ms after 'worker ready' (inside the batches).
      let outcome;
      const timer = (ms) => new Promise((r) => setTimeout(() => r(null), ms));
      const exit = w.exited.then((r) => ({ exited: r }));
      if (Math.random() < 0.2) {
        outcome = await Promise.race([exit, timer(Math.random() * 120)]);
        if (!outcome) startupKills++;
      } else {
        const ready = await Promise.race([exit, lib.waitUntil(() => w.stderr().includes('worker ready'), 20_000, 2).then(() => null)]);
        outcome = ready ?? (await Promise.race([exit, timer(Math.random() * window)]));
      }
      if (outcome) {
        finishedBeforeKill++;
        if (outcome.exited.code !== 0) problems.push(`restart ${k} (${mode}) exited ${outcome.exited.code}/${outcome.exited.signal}: ${w.stderr().slice(-500)}`);
      } else {
        const backlog = lib.files(path.join(spool, 'incoming')).length + lib.files(path.join(spool, 'processing')).length;
        if (backlog > ratePerSec) killedWithBacklog++;
        w.child.kill('SIGKILL');
        const r = await w.exited;
        if (r.signal === 'SIGKILL') killed++;
        else if (r.code !== 0) problems.push(`restart ${k} (${mode}) exited ${r.code}/${r.signal}: ${w.stderr().slice(-500)}`);
      }
      if (/ (error|fatal) /i.test(w.stderr())) problems.push(`restart ${k} (${mode}) logged: ${w.stderr().trim().split('\n').slice(-3).join(' / ')}`);
      const appliedNow = lib.readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM payloads').get().c, 0);
      progress.push(appliedNow - appliedBefore);
      appliedBefore = appliedNow;
    }
  } finally {
    clearInterval(arrivals);
  }
  ctx.log(`${killed} SIGKILLs (${finishedBeforeKill} runs ended before their kill moment); ${sent.length} payloads sent; applied before final drain: ${appliedBefore}`);
  const final = lib.drain(spool, db, ['--log-level', 'warn']);
  if (final.code !== 0) problems.push(`final drain exited ${final.code}/${final.signal}: ${final.stderr.slice(-500)}`);
  const rows = lib.ledger(db);
  const { applied, lost, duplicated } = lib.tally(sent, rows);
  const extra = rows.length - applied; // ledger rows for ids never sent (should be 0)
  const left = {
    incoming: lib.files(path.join(spool, 'incoming')).length,
    processing: lib.files(path.join(spool, 'processing')).length,
    dead: lib.files(path.join(spool, 'dead')).length,
  };
  const integrity = lib.readDb(db, (d) => d.pragma('integrity_check', { simple: true }), 'no db');
  if (left.incoming || left.processing || left.dead) problems.push(`spool not empty: ${JSON.stringify(left)}`);
  if (extra) problems.push(`${extra} ledger rows for ids never sent`);
  if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
  const killedMidBatch = progress.filter((p) => p > 0).length;
  const notes =
    `real faults: ${killed} SIGKILLs at random moments (${startupKills} during start-up, the rest uniform in 0–${window} ms after 'worker ready'; ${killedWithBacklog} with a backlog still queued; ` +
    `${killedMidBatch} runs made progress before their kill; ${finishedBeforeKill} ended on their own first) of --drain and watching workers ` +
    `while ${ratePerSec} payloads/s kept arriving; then one final drain. Spool after: incoming ${left.incoming}, processing ${left.processing}, dead ${left.dead}; ` +
    `integrity_check ${integrity}` +
    (problems.length ? `. PROBLEMS: ${problems.join(' | ')}` : '');
  const out = [{ system: 'claude-metrics', sent: sent.length, applied, deadLettered: 0, lost, duplicated, seconds: (Date.now() - t0) / 1000, notes }];
  try {
    out.push(await baseline(ctx));
  } catch (err) {
    out.push({ system: 'baseline', sent: 0, applied: 0, deadLettered: 0, lost: NaN, duplicated: NaN, seconds: 0, notes: `ERROR: ${err.stack ?? err}` });
  }
  return out;
}

// Baseline: no worker to kill, but each payload's detached Python writer can be: SIGKILL a random
// half of them right after the hook returns (the writer has just been spawned).
async function baseline(ctx) {
  const t0 = Date.now();
  const db = path.join(ctx.tmp, 'baseline.db');
  const n = ctx.short ? 60 : 300;
  const budgetMs = ctx.short ? 10_000 : 40_000;
  const stored = (like) => lib.readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM sessions WHERE session_id LIKE ?').get(like).c, 0);
  await lib.runBaseline(lib.legacySessionEnd('crash-bl-init'), db);
  if (!(await lib.waitUntil(() => stored('crash-bl-init') === 1, 5000, 50))) throw new Error('the baseline hook did not create its database');
  const seen = new Set();
  let chosen = 0;
  let killed = 0;
  const leftovers = [];
  const sweep = () => {
    for (const { pid, dataFile } of lib.baselineWriters(db)) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      if (Math.random() >= 0.5) continue;
      chosen++;
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
        if (dataFile) leftovers.push(dataFile);
      } catch {
        // finished before the kill
      }
    }
  };
  const deadline = t0 + budgetMs - 4000;
  let sent = 0;
  await pool(n, 10, async () => {
    if (Date.now() > deadline) return;
    sent++;
    await lib.runBaseline(lib.legacySessionEnd(`crash-bl-${sent}-${Math.random().toString(16).slice(2, 8)}`), db);
    sweep();
  });
  sweep();
  await lib.waitUntil(() => lib.baselineWriters(db).length === 0, Math.max(1000, t0 + budgetMs - Date.now()), 50);
  const stragglers = lib.baselineWriters(db);
  for (const { pid } of stragglers) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await sleep(100);
  const appliedNow = stored('crash-bl-%') - 1; // minus the init row
  // Killed before they unlinked their temp file: the payload is left in the temp dir, never stored.
  const orphaned = leftovers.filter((f) => fs.existsSync(f));
  for (const f of orphaned) fs.rmSync(f, { force: true });
  const integrity = lib.readDb(db, (d) => d.pragma('integrity_check', { simple: true }), 'no db');
  return {
    system: 'baseline',
    sent,
    applied: appliedNow,
    deadLettered: 0,
    lost: sent - appliedNow,
    duplicated: 0,
    seconds: (Date.now() - t0) / 1000,
    notes:
      `real faults: ${sent} SessionEnd payloads with a cost object through the Python hook (≤ 10 at once); right after each hook returned, a random half of the new detached writers ` +
      `(found in /proc by '--background' and the DB path) was sent SIGKILL: ${killed} killed (${chosen - killed} finished first); ` +
      `${orphaned.length} killed before reading their temp file (left orphaned in the temp dir, removed here); nothing re-sends them: ` +
      `no spool, no retry; ${stragglers.length} writers still running at the time limit (killed); integrity_check ${integrity}`,
  };
}
