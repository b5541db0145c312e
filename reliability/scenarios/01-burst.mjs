// Burst: 1,000 hook processes launched together (20 sessions × 50 events, with real transcripts)
// into a watching worker; then the baseline Python hook under the same burst (1,000 SessionEnd
// payloads, one per session id, each forking its own SQLite writer).
import fs from 'node:fs';
import path from 'node:path';
import { baselineWriters, ledger, readDb, runBaseline, runHook, startWorker, waitUntil, files } from '../lib.mjs';
import { copyTranscript, cpuSeconds, fixtureSessions, pct, pool, problemLines, rssKiB, sleep, stopWorker } from '../lib-load.mjs';

export const name = 'burst';
export const title = 'burst: 1,000 hooks at once';

const IN_FLIGHT = 200; // 1,000 Node processes at once would need ~40 GB; 200 in flight keep the machine responsive

export async function run(ctx) {
  const sessions = ctx.short ? 4 : 20;
  const perSession = ctx.short ? 10 : 50;
  const rows = [await ours(ctx, sessions, perSession)];
  rows.push(await baseline(ctx, sessions * perSession));
  return rows;
}

async function ours(ctx, sessions, perSession) {
  const spool = path.join(ctx.tmp, 'spool');
  const db = path.join(ctx.tmp, 'metrics.db');
  const claudeDir = path.join(ctx.tmp, 'claude');
  const fixtures = fixtureSessions();
  const runTag = `${process.pid}${Date.now().toString(36)}`;

  // One payload list: per session SessionStart, Stop × (perSession − 2), SessionEnd; n is unique.
  const payloads = [];
  const sentPerSession = new Map();
  let n = 0;
  for (let s = 0; s < sessions; s++) {
    const sessionId = `burst-${runTag}-${s}`;
    const transcript = copyTranscript(claudeDir, fixtures[s % fixtures.length], sessionId);
    for (let e = 0; e < perSession; e++) {
      const hookEvent = e === 0 ? 'SessionStart' : e === perSession - 1 ? 'SessionEnd' : 'Stop';
      const extra = hookEvent === 'SessionStart' ? { source: 'startup' } : hookEvent === 'SessionEnd' ? { reason: 'exit' } : { stop_hook_active: false };
      payloads.push(JSON.stringify({ session_id: sessionId, transcript_path: transcript, cwd: '/home/user/code', hook_event_name: hookEvent, ...extra, n: n++ }));
    }
    sentPerSession.set(sessionId, perSession);
  }
  const sent = payloads.length;

  const worker = await startWorker(spool, db);
  const pid = worker.child.pid;
  const rssStart = rssKiB(pid);
  const t0 = performance.now();
  const results = await pool(sent, IN_FLIGHT, (i) => runHook(payloads[i], ['--spool', spool]));
  const hooksDone = (performance.now() - t0) / 1000;
  const hookMs = results.map((r) => r.ms);
  const failed = results.filter((r) => r.code !== 0 || r.stdout.trim() !== '{}' || r.stderr.trim() !== '');
  const hookFailures = failed.length ? `${failed.length} (exit ${failed[0].code ?? failed[0].signal}, stdout ${JSON.stringify(failed[0].stdout.trim().slice(0, 40))}, stderr ${JSON.stringify(failed[0].stderr.trim().slice(0, 200))})` : 0;

  const count = () => readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM payloads').get().c, 0);
  const caughtUp = await waitUntil(() => count() >= sent && files(path.join(spool, 'incoming')).filter((f) => f.endsWith('.json')).length === 0, 180_000, 100);
  const allApplied = (performance.now() - t0) / 1000;
  await sleep(300); // let deletes after commit finish
  const cpu = cpuSeconds(pid);
  const rssEnd = rssKiB(pid);
  const stopped = await stopWorker(worker);
  const seconds = (performance.now() - t0) / 1000;

  const rowsInLedger = ledger(db);
  const distinct = new Set(rowsInLedger.map((r) => r.id)).size;
  const perSessionApplied = new Map();
  for (const r of rowsInLedger) perSessionApplied.set(r.session_id, (perSessionApplied.get(r.session_id) ?? 0) + 1);
  let applied = 0;
  let lost = 0;
  let extra = 0;
  for (const [sid, k] of sentPerSession) {
    const got = perSessionApplied.get(sid) ?? 0;
    applied += Math.min(got, k);
    lost += Math.max(0, k - got);
    extra += Math.max(0, got - k);
  }
  // Ledger ids are a primary key, so a row per id; more rows for a session than sent would mean
  // a payload applied under two ids (impossible unless a file was duplicated).
  const duplicated = rowsInLedger.length - distinct + extra;
  const dead = files(path.join(spool, 'dead')).filter((f) => !f.endsWith('.error.json')).length;
  const figures = readDb(db, (d) => d.prepare("SELECT count(*) AS s, sum(total_cost_usd > 0) AS costed, sum(tool_calls) AS tools FROM sessions WHERE session_id LIKE 'burst-%'").get(), {});
  const tokenRows = readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM token_usage').get().c, 0);
  const problems = problemLines(worker.stderr());

  const notes = [
    `${sessions} sessions × ${perSession} events, real transcripts; ${sent > IN_FLIGHT ? `at most ${IN_FLIGHT} hooks in flight (${sent} Node processes at once would need ~${Math.round(sent * 0.04)} GB, this machine has 24)` : `all ${sent} hooks at once`}`,
    `hook wall p50 ${pct(hookMs, 50).toFixed(0)} ms, p99 ${pct(hookMs, 99).toFixed(0)} ms, max ${Math.max(...hookMs).toFixed(0)} ms; hooks failing or writing to stderr ${hookFailures}`,
    `all hooks done in ${hooksDone.toFixed(1)} s, all applied ${caughtUp ? `in ${allApplied.toFixed(1)} s` : 'NOT within 180 s'}`,
    `worker CPU ${cpu.toFixed(1)} s, RSS ${(rssStart / 1024).toFixed(0)} → ${(rssEnd / 1024).toFixed(0)} MiB, exit ${stopped.code ?? stopped.signal}`,
    `ledger rows ${rowsInLedger.length} = distinct ids ${distinct}; dead ${dead}; sessions ${figures.s ?? 0} (${figures.costed ?? 0} with cost > 0, ${figures.tools ?? 0} tool calls), token_usage rows ${tokenRows}`,
    `worker warnings/errors: ${problems.length}${problems.length ? ` (first: ${problems[0].slice(0, 200)})` : ''}`,
  ].join('; ');
  ctx.log(notes);
  return { system: 'claude-metrics', sent, applied, deadLettered: 0, lost, duplicated, seconds, notes };
}

async function baseline(ctx, sent) {
  const db = path.join(ctx.tmp, 'baseline.db');
  const runTag = `${process.pid}${Date.now().toString(36)}`;
  const t0 = performance.now();
  const results = await pool(sent, IN_FLIGHT, (i) =>
    runBaseline(
      JSON.stringify({
        session_id: `baseline-burst-${runTag}-${i}`,
        transcript_path: `/nonexistent/${i}.jsonl`,
        cwd: '/tmp',
        hook_event_name: 'SessionEnd',
        reason: 'exit',
        cost: { total_cost_usd: 0.01 * (i + 1), total_duration_ms: 1000, total_api_duration_ms: 500, total_lines_added: 3, total_lines_removed: 1 },
      }),
      db,
    ),
  );
  const hookMs = results.map((r) => r.ms);
  const hooksDone = (performance.now() - t0) / 1000;
  // The hook returns at once; its detached writers run on. Wait until none is left for this database.
  const settled = await waitUntil(() => baselineWriters(db).length === 0, 180_000, 200);
  const seconds = (performance.now() - t0) / 1000;
  const stored = readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM sessions').get().c, 0);
  const notes = [
    `${sent} SessionEnd payloads with a cost object, distinct session ids, ${sent > IN_FLIGHT ? `at most ${IN_FLIGHT}` : 'all'} hooks in flight`,
    `hook wall p50 ${pct(hookMs, 50).toFixed(0)} ms, p99 ${pct(hookMs, 99).toFixed(0)} ms; hooks done in ${hooksDone.toFixed(1)} s`,
    `${stored} sessions rows stored${settled ? '' : ' (background writers still running after 180 s)'}${stored < sent ? '; the rest failed silently (its writer swallows every exception, e.g. database is locked after the 5 s timeout)' : ''}`,
  ].join('; ');
  ctx.log(notes);
  return { system: 'baseline', sent, applied: stored, deadLettered: 0, lost: sent - stored, duplicated: 0, seconds, notes };
}
