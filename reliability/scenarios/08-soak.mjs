// Soak: a long stream of payloads through one watching worker, spooled in chunks it can keep up
// with; the worker's memory must stay flat and the WAL must stay bounded (auto-checkpoints).
import fs from 'node:fs';
import path from 'node:path';
import { ledger, readDb, spoolBytes, startWorker, tally, waitUntil, files } from '../lib.mjs';
import { cpuSeconds, fileSize, mib, problemLines, rssKiB, sleep, stopWorker } from '../lib-load.mjs';

export const name = 'soak';
export const title = 'soak: long stream through one worker';

const CHUNK = 2000;
const EVENTS_PER_SESSION = 10; // SessionStart, Stop × 8, SessionEnd

export async function run(ctx) {
  const target = ctx.short ? 5000 : 200_000;
  const budgetS = ctx.short ? 15 : 270; // stop adding chunks past this, so the scenario stays under ~5 min
  const spool = path.join(ctx.tmp, 'spool');
  const db = path.join(ctx.tmp, 'metrics.db');
  const wal = `${db}-wal`;
  const runTag = `${process.pid}${Date.now().toString(36)}`;

  const worker = await startWorker(spool, db);
  const pid = worker.child.pid;
  const rssReady = rssKiB(pid);
  const count = () => readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM payloads').get().c, 0);
  const sentIds = [];
  const samples = []; // { sent, rss, wal, s }
  let maxWal = 0;
  let stalled = false;
  const t0 = performance.now();
  let i = 0;
  while (i < target && (performance.now() - t0) / 1000 < budgetS) {
    const end = Math.min(target, i + CHUNK);
    for (; i < end; i++) {
      const e = i % EVENTS_PER_SESSION;
      const hookEvent = e === 0 ? 'SessionStart' : e === EVENTS_PER_SESSION - 1 ? 'SessionEnd' : 'Stop';
      const sessionId = `soak-${runTag}-${Math.floor(i / EVENTS_PER_SESSION)}`;
      sentIds.push(spoolBytes(spool, JSON.stringify({ session_id: sessionId, transcript_path: `/nonexistent/${sessionId}.jsonl`, cwd: '/tmp', hook_event_name: hookEvent, n: i })));
    }
    const ok = await waitUntil(() => {
      maxWal = Math.max(maxWal, fileSize(wal));
      return count() >= sentIds.length;
    }, 120_000, 50);
    if (!ok) {
      stalled = true;
      break;
    }
    samples.push({ sent: sentIds.length, rss: rssKiB(pid), wal: fileSize(wal), s: (performance.now() - t0) / 1000 });
  }
  const spoolingS = (performance.now() - t0) / 1000;
  await waitUntil(() => files(path.join(spool, 'incoming')).filter((f) => f.endsWith('.json')).length === 0, 60_000, 100);
  await sleep(500); // deletes after commit
  const cpu = cpuSeconds(pid);
  const rssEnd = rssKiB(pid);
  const leftInIncoming = files(path.join(spool, 'incoming')).length;
  const leftInProcessing = files(path.join(spool, 'processing')).length;
  const stopped = await stopWorker(worker);
  const seconds = (performance.now() - t0) / 1000;

  const rows = ledger(db);
  const { applied, lost, duplicated } = tally(sentIds, rows);
  const dead = files(path.join(spool, 'dead')).filter((f) => !f.endsWith('.error.json')).length;
  const sessions = readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM sessions').get().c, 0);
  const problems = problemLines(worker.stderr());
  const sent = sentIds.length;

  // RSS and WAL at about five evenly spaced points (after each chunk was applied).
  const picks = [...new Set([0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * (samples.length - 1))))].filter((k) => k >= 0).map((k) => samples[k]);
  const rssAfterFirst = samples[0]?.rss ?? NaN;
  const rssMax = Math.max(...samples.map((s) => s.rss));
  const notes = [
    `${sent} payloads${sent < target ? ` (of ${target} planned: ${stalled ? 'the worker fell behind by over 120 s' : `only ${sent} fit the ${budgetS} s budget`})` : ''} in chunks of ${CHUNK}, each applied before the next; ${sent / EVENTS_PER_SESSION} sessions of ${EVENTS_PER_SESSION} events; ${(sent / spoolingS).toFixed(0)} payloads/s`,
    `worker RSS ready ${(rssReady / 1024).toFixed(0)} MiB, after first chunk ${(rssAfterFirst / 1024).toFixed(0)} MiB, end ${(rssEnd / 1024).toFixed(0)} MiB, max ${(rssMax / 1024).toFixed(0)} MiB`,
    `RSS/WAL by payloads applied: ${picks.map((p) => `${p.sent}: ${(p.rss / 1024).toFixed(0)} MiB / ${mib(p.wal)}`).join(', ')}; max WAL seen ${mib(maxWal)}; db ${mib(fileSize(db))}`,
    `worker CPU ${cpu.toFixed(1)} s; ledger rows ${rows.length}; sessions ${sessions}; dead ${dead}; left in incoming ${leftInIncoming}, processing ${leftInProcessing}; exit ${stopped.code ?? stopped.signal}`,
    `worker warnings/errors ${problems.length}${problems.length ? ` (first: ${problems[0].slice(0, 200)})` : ''}`,
  ].join('; ');
  ctx.log(notes);
  return [{ system: 'claude-metrics', sent, applied, deadLettered: 0, lost, duplicated, seconds, notes }];
}
