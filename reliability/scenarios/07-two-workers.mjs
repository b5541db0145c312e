// Two workers: a watching worker (the service) and `worker --drain` run over and over on the same
// spool and database while payloads arrive at a steady rate; every payload must apply exactly once,
// and the sessions' figures (transcripts growing meanwhile) must equal a single worker's.
import fs from 'node:fs';
import path from 'node:path';
import { drain, ledger, readDb, spoolBytes, startWorker, tally, waitUntil, files } from '../lib.mjs';
import { copyTranscript, drainAsync, fixtureSessions, problemLines, sleep, stopWorker } from '../lib-load.mjs';

export const name = 'two-workers';
export const title = 'two workers: service + repeated --drain';

const RATE = 50; // payloads per second
const TICK_MS = 100;
const SESSIONS = 10;
const FIGURES = ['input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'total_cost_usd', 'tool_calls', 'commits', 'lines_added', 'lines_removed'];

export async function run(ctx) {
  const duration = ctx.short ? 10 : 60;
  const spool = path.join(ctx.tmp, 'spool');
  const db = path.join(ctx.tmp, 'metrics.db');
  const claudeDir = path.join(ctx.tmp, 'claude');
  const fixtures = fixtureSessions();
  const runTag = `${process.pid}${Date.now().toString(36)}`;

  // Sessions whose transcripts start empty and grow, line by line, while the traffic runs.
  const sessions = [];
  for (let s = 0; s < SESSIONS; s++) {
    const fx = fixtures[s % fixtures.length];
    const id = `two-${runTag}-${s}`;
    const lines = fs.readFileSync(fx.main, 'utf8').split('\n').filter(Boolean).map((l) => `${l}\n`);
    sessions.push({ id, transcript: copyTranscript(claudeDir, fx, id, ''), lines, written: 0 });
  }
  const totalLines = sessions.reduce((n, s) => n + s.lines.length, 0);
  let linesWritten = 0;

  const worker = await startWorker(spool, db);
  const sentIds = [];
  const t0 = performance.now();
  let trafficDone = false;

  // Repeated drains beside the service, back to back, for as long as the traffic runs.
  const drains = [];
  const drainLoop = (async () => {
    while (!trafficDone) drains.push(await drainAsync(spool, db));
  })();

  let k = 0;
  const perTick = (RATE * TICK_MS) / 1000;
  for (let tick = 0; (performance.now() - t0) / 1000 < duration; tick++) {
    const elapsed = (performance.now() - t0) / 1000;
    // Grow the transcripts so all lines are written by 80 % of the run (round robin over sessions).
    const target = Math.min(totalLines, Math.ceil(totalLines * (elapsed / (0.8 * duration))));
    while (linesWritten < target) {
      const s = sessions[linesWritten % SESSIONS];
      if (s.written < s.lines.length) fs.appendFileSync(s.transcript, s.lines[s.written++]);
      linesWritten++;
    }
    for (let i = 0; i < perTick; i++, k++) {
      const s = sessions[k % SESSIONS];
      const first = k < SESSIONS;
      const body = JSON.stringify({ session_id: s.id, transcript_path: s.transcript, cwd: '/home/user/code', hook_event_name: first ? 'SessionStart' : 'Stop', ...(first ? { source: 'startup' } : { stop_hook_active: false }), n: k });
      sentIds.push(spoolBytes(spool, body));
    }
    const next = t0 + (tick + 1) * TICK_MS;
    await sleep(Math.max(0, next - performance.now()));
  }
  // The rest of the transcripts, then one SessionEnd per session so the final figures read everything.
  for (const s of sessions) while (s.written < s.lines.length) fs.appendFileSync(s.transcript, s.lines[s.written++]);
  for (const s of sessions) sentIds.push(spoolBytes(spool, JSON.stringify({ session_id: s.id, transcript_path: s.transcript, cwd: '/home/user/code', hook_event_name: 'SessionEnd', reason: 'exit', n: k++ })));
  trafficDone = true;
  await drainLoop;
  const finalDrain = await drainAsync(spool, db);
  const sent = sentIds.length;
  const count = () => readDb(db, (d) => d.prepare('SELECT count(*) AS c FROM payloads').get().c, 0);
  const caughtUp = await waitUntil(() => count() >= sent && files(path.join(spool, 'incoming')).filter((f) => f.endsWith('.json')).length === 0, 60_000, 100);
  await sleep(300);
  const stopped = await stopWorker(worker);
  const seconds = (performance.now() - t0) / 1000;

  const rows = ledger(db);
  const { applied, lost, duplicated } = tally(sentIds, rows);
  const strangers = rows.length - new Set(rows.map((r) => r.id)).size + rows.filter((r) => !sentIds.includes(r.id)).length;
  const dead = files(path.join(spool, 'dead')).filter((f) => !f.endsWith('.error.json')).length;
  const drainFailures = [...drains, finalDrain].filter((d) => d.code !== 0);
  const drainProblems = drains.flatMap((d) => problemLines(d.stderr));
  const problems = problemLines(worker.stderr());

  // Reference: the same final transcripts applied by one drain into a fresh database.
  const refSpool = path.join(ctx.tmp, 'ref-spool');
  const refDb = path.join(ctx.tmp, 'ref.db');
  for (const s of sessions) spoolBytes(refSpool, JSON.stringify({ session_id: s.id, transcript_path: s.transcript, cwd: '/home/user/code', hook_event_name: 'SessionEnd', reason: 'exit' }));
  const ref = drain(refSpool, refDb);
  const figures = (file) =>
    readDb(file, (d) => {
      const out = new Map();
      for (const r of d.prepare(`SELECT session_id, ${FIGURES.join(', ')}, (SELECT count(*) FROM token_usage t WHERE t.session_id = s.session_id) AS calls FROM sessions s`).all()) out.set(r.session_id, r);
      return out;
    }, new Map());
  const got = figures(db);
  const want = figures(refDb);
  const mismatches = [];
  for (const s of sessions) {
    const a = got.get(s.id);
    const b = want.get(s.id);
    for (const f of [...FIGURES, 'calls']) {
      const x = a?.[f];
      const y = b?.[f];
      if (typeof x === 'number' && typeof y === 'number' ? Math.abs(x - y) > 1e-9 : x !== y) mismatches.push(`${s.id.split('-').pop()}.${f} ${x} vs ${y}`);
    }
  }

  const notes = [
    `${duration} s of traffic at ${RATE}/s (spoolBytes) over ${SESSIONS} sessions whose real transcripts grew meanwhile; a watching worker plus ${drains.length} back-to-back --drain runs, then a final drain`,
    `all applied ${caughtUp ? 'yes' : 'NO (timed out)'}; ledger rows ${rows.length}, ids not sent or repeated ${strangers}; dead ${dead}`,
    `drains exiting non-zero: ${drainFailures.length}${drainFailures.length ? ` (first: ${drainFailures[0].stderr.trim().slice(0, 200)})` : ''}; drain warnings/errors ${drainProblems.length}${drainProblems.length ? ` (first: ${drainProblems[0].slice(0, 200)})` : ''}`,
    `service warnings/errors ${problems.length}${problems.length ? ` (first: ${problems[0].slice(0, 200)})` : ''}; service exit ${stopped.code ?? stopped.signal}`,
    `figures vs one worker from scratch (reference drain exit ${ref.code}): ${mismatches.length === 0 ? `equal for all ${SESSIONS} sessions` : `${mismatches.length} differ (${mismatches.slice(0, 4).join(', ')})`}`,
  ].join('; ');
  ctx.log(notes);
  return [{ system: 'claude-metrics', sent, applied, deadLettered: 0, lost, duplicated, seconds, notes }];
}
