#!/usr/bin/env node
// Benchmarks for claude-metrics, measured side by side in one run (see bench/README.md):
//   1. hook startup: `node -e 0` (the floor) vs dist/hook.cjs vs the baseline Python hook,
//      interleaved round-robin;
//   2. drain throughput: `claude-metrics worker --drain` over 10,000 spooled SessionEnd payloads;
//   3. watch-mode latency: hook exit -> payload committed, for hooks spawned at 20/s into a
//      watching worker;
//   4. transcripts (bench/transcript-bench.mjs): `claude-metrics import --drain` vs
//      `ccusage claude session` on a generated ~100 MB transcript (figures compared), and the worker's
//      cost of one Stop on that transcript after one new turn;
//   5. the status line (bench/statusline-bench.mjs): `claude-metrics statusline` vs `node -e 0` and
//      `ccusage statusline` warm and cold over a 100 MB history, and the CPU of 10 sessions
//      calling it once a second, ours vs ccusage's.
// BENCH_ONLY=1,3 (say) runs a subset of the sections.
// Timing is done here (no hyperfine). A target missed is reported as MISS, not a failure; the
// exit code is 1 only when a payload was lost, a process failed, or a result was wrong.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { benchStatusline } from './statusline-bench.mjs';
import { benchTranscripts } from './transcript-bench.mjs';
import { envInt, fmtMs, fmtRatio, hrUs, listDir, mark, median, pct, section, sleepMs, table } from './util.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Poller thread (section 3): watches the ledger from a read-only connection and records when
// each row first becomes visible, i.e. when its transaction committed (to within the poll step).
// It runs in its own thread so that spawning hooks on the main thread never delays a poll.
function pollerThread() {
  const { dbPath, ctrlBuffer, pollMs } = workerData;
  const ctrl = new Int32Array(ctrlBuffer); // [0] stop flag, [1] rows seen, [2] never changes (sleep slot)
  const sleep = (ms) => Atomics.wait(ctrl, 2, 0, ms);
  let db;
  let count;
  let rows;
  for (;;) {
    try {
      db = new Database(dbPath, { readonly: true, fileMustExist: true });
      count = db.prepare('SELECT count(*) AS n FROM payloads');
      rows = db.prepare('SELECT id, session_id, applied_at FROM payloads');
      count.get();
      break;
    } catch {
      db?.close();
      db = undefined;
      if (Atomics.load(ctrl, 0)) break;
      sleep(20);
    }
  }
  parentPort.postMessage({ type: 'ready' });
  const seen = new Map(); // session_id -> { id, appliedAt, seenUs }
  let lastCount = 0;
  let polls = 0;
  let maxPollGapUs = 0;
  let prev = hrUs();
  while (db && !Atomics.load(ctrl, 0)) {
    const n = count.get().n;
    const t = hrUs();
    polls++;
    maxPollGapUs = Math.max(maxPollGapUs, t - prev);
    prev = t;
    if (n !== lastCount) {
      lastCount = n;
      for (const r of rows.iterate()) {
        if (!seen.has(r.session_id)) seen.set(r.session_id, { id: r.id, appliedAt: r.applied_at, seenUs: t });
      }
      Atomics.store(ctrl, 1, seen.size);
    }
    sleep(pollMs);
  }
  db?.close();
  parentPort.postMessage({ type: 'done', seen: [...seen], polls, maxPollGapUs });
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Linux: pids whose command line contains every one of `needles` (for the baseline's detached writers). */
function pidsWithCmdline(needles) {
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null; // no /proc: caller falls back to a fixed wait
  }
  const out = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let cmd;
    try {
      cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (needles.every((n) => cmd.includes(n))) out.push(Number(e));
  }
  return out;
}

/** CPU seconds (user + system) a live process has used, from /proc/<pid>/stat; null if unknown. */
function procCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return ticks / hz;
  } catch {
    return null;
  }
}

/** BENCH_ONLY=1,2,3,4,5 (any subset, comma- or space-separated); unset = all sections. */
function parseOnly(v) {
  const all = [1, 2, 3, 4, 5];
  if (v === undefined || v.trim() === '') return new Set(all);
  const picked = v.split(/[\s,]+/).filter(Boolean).map(Number);
  if (picked.length === 0 || picked.some((n) => !all.includes(n))) throw new Error(`BENCH_ONLY must list sections among 1,2,3,4,5, not ${JSON.stringify(v)}`);
  return new Set(all.filter((n) => picked.includes(n)));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const hookJs = path.join(root, 'dist', 'hook.cjs');
  const cliJs = path.join(root, 'dist', 'cli.js');
  const baselinePy = process.env.BENCH_BASELINE ?? '/work/shared/baseline/session_end_hook.py';
  const fixturesDir = process.env.BENCH_FIXTURES ?? '/work/shared/fixtures/claude-code-2.1.197/payloads';
  for (const f of [hookJs, cliJs]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);

  const cfg = {
    hookRuns: envInt('BENCH_HOOK_RUNS', 40),
    hookWarmups: envInt('BENCH_HOOK_WARMUPS', 5),
    drainRuns: envInt('BENCH_DRAIN_RUNS', 3),
    drainPayloads: envInt('BENCH_DRAIN_PAYLOADS', 10_000),
    latencyCount: envInt('BENCH_LATENCY_COUNT', 500),
    latencyIntervalMs: envInt('BENCH_LATENCY_INTERVAL_MS', 50),
    pollMs: envInt('BENCH_POLL_MS', 2),
    importRuns: envInt('BENCH_IMPORT_RUNS', 3),
    bigMb: envInt('BENCH_BIG_MB', 100),
    stopRuns: envInt('BENCH_STOP_RUNS', 5),
    statuslineRuns: envInt('BENCH_STATUSLINE_RUNS', 40),
    statuslineWarmups: envInt('BENCH_STATUSLINE_WARMUPS', 5),
    statuslineColdRuns: envInt('BENCH_STATUSLINE_COLD_RUNS', 5),
    statuslineSessions: envInt('BENCH_STATUSLINE_SESSIONS', 10),
    statuslineSeconds: envInt('BENCH_STATUSLINE_SECONDS', 60),
  };
  const only = parseOnly(process.env.BENCH_ONLY);
  const runs = (n) => only.has(n);

  const cpus = os.cpus();
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  const pythonVersion = py.status === 0 ? (py.stdout || py.stderr).trim() : null;
  console.log('claude-metrics benchmarks');
  console.log(`  machine : ${cpus.length} CPU(s) (${cpus[0]?.model?.trim() ?? 'unknown'}), ${os.platform()} ${os.release()} ${os.arch()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`);
  console.log(`  node    : ${process.version}${pythonVersion ? `   python: ${pythonVersion.replace(/^Python /, '')}` : '   python3: not found (baseline skipped)'}`);
  console.log(`  load    : ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min) at start`);
  console.log(`  tmpdir  : ${os.tmpdir()}`);
  console.log(`  sections: ${[...only].join(', ')}${process.env.BENCH_ONLY ? ` (BENCH_ONLY=${process.env.BENCH_ONLY})` : ''}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-metrics-bench-'));
  const problems = [];
  const misses = [];
  const cleanupProcs = new Set();
  const onSignal = (sig) => {
    for (const p of cleanupProcs) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  try {
    const fixture = listDir(fixturesDir).filter((f) => f.endsWith('SessionEnd.json')).sort()[0];
    if (!fixture) throw new Error(`no *SessionEnd.json in ${fixturesDir}`);
    const payload = fs.readFileSync(path.join(fixturesDir, fixture));
    console.log(`  payload : ${path.join(fixturesDir, fixture)} (${payload.length} bytes)`);

    if (runs(1)) await benchHookStartup({ cfg, tmp, hookJs, baselinePy, pythonAvailable: !!pythonVersion, payload, problems, misses });
    if (runs(2)) await benchDrain({ cfg, tmp, cliJs, payload, problems, misses });
    if (runs(3)) await benchLatency({ cfg, tmp, cliJs, hookJs, payload, problems, misses, cleanupProcs });
    if (runs(4)) await benchTranscripts({ cfg, tmp, root, cliJs, problems, misses, cleanupProcs });
    if (runs(5)) await benchStatusline({ cfg, tmp, root, problems, misses, cleanupProcs });
  } finally {
    for (const p of cleanupProcs) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  section('Summary');
  console.log(`  total time ${((performance.now() - started) / 1000).toFixed(1)} s; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at end`);
  console.log(misses.length ? `  targets missed (reported, not a failure): ${misses.join('; ')}` : '  all targets met');
  if (problems.length) {
    console.log('  ERRORS (exit code 1):');
    for (const p of problems) console.log(`    - ${p}`);
    return 1;
  }
  console.log(`  no payload lost, every process exited as expected${runs(4) || runs(5) ? ', every figure matched' : ''}`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// 1. Hook startup

async function benchHookStartup({ cfg, tmp, hookJs, baselinePy, pythonAvailable, payload, problems, misses }) {
  section(`1. Hook startup (${cfg.hookRuns} rounds after ${cfg.hookWarmups} warm-ups, contenders interleaved round-robin)`);
  const dir = fs.mkdtempSync(path.join(tmp, 'hook-'));
  const hookSpool = path.join(dir, 'spool');
  const baselineDb = path.join(dir, 'baseline.db');
  const pyTmp = path.join(dir, 'py-tmp'); // the baseline's mkstemp files land here, not in /tmp
  fs.mkdirSync(pyTmp);
  const floorSpool = path.join(dir, 'floor-spool');
  fs.mkdirSync(path.join(floorSpool, 'incoming'), { recursive: true, mode: 0o700 });

  const contenders = [
    { key: 'floor', label: 'node -e 0 (floor)', cmd: process.execPath, args: ['-e', '0'], expectOut: '' },
    { key: 'hook', label: 'dist/hook.cjs', cmd: process.execPath, args: [hookJs, '--spool', hookSpool], expectOut: '{}' },
    // What any Node hook following the spool protocol must pay (bench/hook-floor.cjs).
    { key: 'protocol', label: 'protocol floor (hook-floor.cjs)*', cmd: process.execPath, args: [path.join(HERE, 'hook-floor.cjs'), floorSpool], expectOut: '{}' },
  ];
  if (pythonAvailable && fs.existsSync(baselinePy)) {
    contenders.push({
      key: 'baseline',
      label: 'baseline python hook',
      cmd: 'python3',
      args: [baselinePy, '--db-path', baselineDb],
      env: { ...process.env, TMPDIR: pyTmp },
      expectOut: '{}',
      detached: true,
    });
  } else {
    console.log(`  (baseline ${baselinePy} not runnable: python3 or the file is missing; skipped)`);
  }
  for (const c of contenders) {
    c.times = [];
    c.failures = 0;
    c.firstFailure = undefined;
    c.untilWritten = [];
  }

  /** Waits for the baseline's detached writer(s) so they do not load the next measurement. */
  const waitForDetached = async (startUs) => {
    const deadline = performance.now() + 5000;
    for (;;) {
      const pids = pidsWithCmdline(['--background', baselineDb]);
      if (pids === null) {
        await sleepMs(300); // no /proc: a generous fixed wait instead
        return null;
      }
      if (pids.length === 0) return (hrUs() - startUs) / 1000;
      if (performance.now() > deadline) return null;
      await sleepMs(2);
    }
  };

  const runOne = async (c, record) => {
    const t0 = hrUs();
    const r = spawnSync(c.cmd, c.args, { input: payload, env: c.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
    const ms = (hrUs() - t0) / 1000;
    const out = r.stdout?.toString().trim() ?? '';
    const ok = !r.error && r.status === 0 && out === c.expectOut && (r.stderr?.length ?? 0) === 0;
    let untilWritten = null;
    if (c.detached) untilWritten = await waitForDetached(t0);
    if (!record) return;
    if (!ok) {
      c.failures++;
      c.firstFailure ??= `status ${r.status}${r.signal ? ` signal ${r.signal}` : ''}${r.error ? ` ${r.error.message}` : ''} stdout ${JSON.stringify(out)} stderr ${JSON.stringify(r.stderr?.toString().trim().slice(0, 200))}`;
    }
    c.times.push(ms);
    if (untilWritten !== null) c.untilWritten.push(untilWritten);
  };

  const rounds = cfg.hookWarmups + cfg.hookRuns;
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first each round so that no contender always follows the same one.
    for (let k = 0; k < contenders.length; k++) {
      await runOne(contenders[(round + k) % contenders.length], round >= cfg.hookWarmups);
    }
  }

  const by = Object.fromEntries(contenders.map((c) => [c.key, c]));
  const rows = contenders.map((c) => [c.label, fmtMs(median(c.times)), fmtMs(pct(c.times, 90)), fmtMs(Math.min(...c.times)), fmtMs(Math.max(...c.times)), c.failures]);
  if (by.baseline?.untilWritten.length) {
    const u = by.baseline.untilWritten;
    rows.push(['  baseline incl. detached writer*', fmtMs(median(u)), fmtMs(pct(u, 90)), fmtMs(Math.min(...u)), fmtMs(Math.max(...u)), '']);
  }
  table(['contender (spawn -> exit)', 'median', 'p90', 'min', 'max', 'failed'], rows);
  console.log('  * protocol floor: plain Node doing only what the spool protocol requires of a hook (read stdin on the event');
  console.log('    loop through libuv\'s bare pipe handle, temp file + fsync, rename, folder fsync, print {}), no npm module, no check:');
  console.log('    bench/hook-floor.cjs.');
  if (by.baseline?.untilWritten.length) {
    console.log('  * informational: spawn until the baseline\'s detached python process has also exited (its DB write done);');
    console.log('    the bench waits for it after every baseline call so that it does not load the next measurement.');
  }

  const ratioRows = [];
  const pairRatio = (a, b) => median(a.times.map((t, i) => t / b.times[i]));
  const hookFloor = median(by.hook.times) / median(by.floor.times);
  ratioRows.push(['hook / node -e 0', fmtRatio(hookFloor), fmtRatio(pairRatio(by.hook, by.floor)), '<= 1.20', mark(hookFloor <= 1.2)]);
  if (hookFloor > 1.2) misses.push(`hook/node-e-0 ${fmtRatio(hookFloor)} > 1.20`);
  const protocolFloor = median(by.protocol.times) / median(by.floor.times);
  ratioRows.push(['protocol floor / node -e 0', fmtRatio(protocolFloor), fmtRatio(pairRatio(by.protocol, by.floor)), '', '']);
  ratioRows.push(['hook / protocol floor', fmtRatio(median(by.hook.times) / median(by.protocol.times)), fmtRatio(pairRatio(by.hook, by.protocol)), '', '']);
  if (by.baseline) {
    const hookBase = median(by.hook.times) / median(by.baseline.times);
    ratioRows.push(['hook / baseline', fmtRatio(hookBase), fmtRatio(pairRatio(by.hook, by.baseline)), '<= 0.75', mark(hookBase <= 0.75)]);
    if (hookBase > 0.75) misses.push(`hook/baseline ${fmtRatio(hookBase)} > 0.75`);
  }
  console.log('');
  table(['ratio', 'of medians', 'median of per-round', 'target', ''], ratioRows);

  for (const c of contenders) {
    if (c.failures === 0) continue;
    const msg = `${c.label}: ${c.failures}/${c.times.length} runs did not exit 0 with ${JSON.stringify(c.expectOut)} and empty stderr (first: ${c.firstFailure})`;
    if (c.key === 'baseline') console.log(`  note: ${msg}`);
    else problems.push(`hook startup: ${msg}`);
  }
  // Every hook run (warm-ups included) must have left exactly one payload in the spool.
  const spooled = listDir(path.join(hookSpool, 'incoming')).filter((n) => /^\d{13}-\d+-[0-9a-f]+\.json$/.test(n));
  const leftovers = listDir(path.join(hookSpool, 'incoming')).length - spooled.length;
  if (spooled.length !== rounds) problems.push(`hook startup: ${rounds} hook runs left ${spooled.length} payload files in the spool`);
  else if (spooled.some((n) => !fs.readFileSync(path.join(hookSpool, 'incoming', n)).equals(payload))) problems.push('hook startup: a spooled payload differs from stdin');
  else console.log(`  check: the ${rounds} hook runs spooled ${spooled.length} byte-identical payloads${leftovers ? `, plus ${leftovers} other file(s)!` : ''}`);
  if (leftovers) problems.push(`hook startup: ${leftovers} non-payload file(s) left in incoming/`);
  await waitForDetached(hrUs());
}

// ---------------------------------------------------------------------------------------------
// 2. Drain throughput

function sessionEndPayloads(count, now) {
  const projects = ['shop-api', 'web-frontend', 'infra', 'data-pipeline', 'docs', 'mobile-app', 'claude-metrics', 'ml-experiments'];
  const pool = Array.from({ length: 500 }, (_, i) => ({ uuid: crypto.randomUUID(), project: projects[i % projects.length] }));
  const names = new Set();
  const files = [];
  const start = now - count - 60_000; // received over the last minute or so, a few per millisecond
  for (let i = 0; i < count; i++) {
    const s = pool[Math.floor(Math.random() * pool.length)];
    let name;
    do {
      const id = `${String(start + Math.floor(i / 3)).padStart(13, '0')}-${1000 + Math.floor(Math.random() * 60000)}-${crypto.randomBytes(6).toString('hex')}`;
      name = `${id}.json`;
    } while (names.has(name));
    names.add(name);
    const body = {
      session_id: s.uuid,
      transcript_path: `/home/user/.claude/projects/-home-user-code-${s.project}/${s.uuid}.jsonl`,
      cwd: `/home/user/code/${s.project}`,
      prompt_id: crypto.randomUUID(),
      hook_event_name: 'SessionEnd',
      reason: 'other',
    };
    files.push({ name, bytes: Buffer.from(JSON.stringify(body)), sessionId: s.uuid });
  }
  return files;
}

/** Writes the payload files into a fresh spool under `tmp` and flushes them to disk. */
async function freshSpool(tmp, label, files) {
  const dir = fs.mkdtempSync(path.join(tmp, `${label}-`));
  const incoming = path.join(dir, 'spool', 'incoming');
  fs.mkdirSync(incoming, { recursive: true, mode: 0o700 });
  for (const f of files) fs.writeFileSync(path.join(incoming, f.name), f.bytes, { mode: 0o600 });
  spawnSync('sync'); // flush the new files now, not during the timed run (the hook fsyncs its files)
  await sleepMs(200);
  return dir;
}

/** Builds bench/drain-floor.c if a C compiler is here; null otherwise (that floor is then skipped). */
function buildCFloor(tmp) {
  const out = path.join(tmp, 'drain-floor');
  for (const cc of ['cc', 'gcc', 'clang']) {
    const r = spawnSync(cc, ['-O2', '-pthread', '-o', out, path.join(HERE, 'drain-floor.c')], { stdio: 'ignore' });
    if (r.status === 0) return out;
  }
  return null;
}

async function benchDrain({ cfg, tmp, cliJs, problems, misses }) {
  const n = cfg.drainPayloads;
  section(`2. Drain throughput (${n.toLocaleString('en-US')} SessionEnd payloads, ${cfg.drainRuns} runs, fresh spool + db each)`);
  const files = sessionEndPayloads(n, Date.now());
  const sessions = new Set(files.map((f) => f.sessionId)).size;
  const cFloor = buildCFloor(tmp);
  // The floors: the protocol's file steps alone on the same files, same disk, same run.
  const floors = [
    { key: 'thread', cmd: process.execPath, args: (spool) => [path.join(HERE, 'drain-floor.mjs'), spool, 'thread'] },
    { key: 'overlap', cmd: process.execPath, args: (spool) => [path.join(HERE, 'drain-floor.mjs'), spool, 'overlap'] },
    ...(cFloor ? [{ key: 'c', cmd: cFloor, args: (spool) => [spool, '8'] }] : []),
  ];
  const results = [];
  for (let run = 1; run <= cfg.drainRuns; run++) {
    const res = { run, ok: true, notes: [], floors: {} };
    const fail = (msg) => {
      res.ok = false;
      problems.push(`drain run ${run}: ${msg}`);
    };
    // Who goes first rotates, so a slow moment of the machine does not always land on one.
    const order = ['drain', ...floors.map((f) => f.key)];
    for (let k = 0; k < (run - 1) % order.length; k++) order.push(order.shift());
    for (const who of order) {
      const dir = await freshSpool(tmp, `drain-${run}-${who}`, files);
      const spool = path.join(dir, 'spool');
      if (who !== 'drain') {
        const floor = floors.find((f) => f.key === who);
        const t0 = hrUs();
        const r = spawnSync(floor.cmd, floor.args(spool), { stdio: ['ignore', 'pipe', 'pipe'] });
        res.floors[who] = (hrUs() - t0) / 1000;
        if (r.status !== 0 || listDir(path.join(spool, 'incoming')).length || listDir(path.join(spool, 'processing')).length) {
          fail(`floor ${who} failed (exit ${r.status}): ${r.stderr?.toString().trim().slice(-300)}`);
        }
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const db = path.join(dir, 'drain.db');
      const t0 = hrUs();
      const r = spawnSync(process.execPath, [cliJs, 'worker', '--drain', '--spool', spool, '--db', db], {
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 16 << 20,
      });
      res.ms = (hrUs() - t0) / 1000;
      res.rate = n / (res.ms / 1000);
      const stdout = r.stdout?.toString() ?? '';
      const stderr = r.stderr?.toString() ?? '';
      if (r.error || r.status !== 0) fail(`worker exited ${r.status}${r.signal ? ` (${r.signal})` : ''}${r.error ? ` ${r.error.message}` : ''}: ${stderr.trim().slice(-500)}`);
      const summary = /drained: applied (\d+), dead-lettered (\d+), retried (\d+)/.exec(stdout);
      res.summary = stdout.trim();
      if (!summary) fail(`no summary line on stdout (${JSON.stringify(stdout.trim().slice(0, 200))})`);
      else if (Number(summary[1]) !== n) fail(`summary says applied ${summary[1]}, expected ${n}`);
      const warnings = stderr.split('\n').filter((l) => / (warn|error) /.test(l));
      if (warnings.length) res.notes.push(`${warnings.length} warn/error log line(s), first: ${warnings[0].slice(0, 200)}`);
      // The ledger must hold exactly the ids written, the spool must be empty.
      try {
        const conn = new Database(db, { readonly: true, fileMustExist: true });
        const ids = new Set(conn.prepare('SELECT id FROM payloads').pluck().all());
        const sessionRows = conn.prepare("SELECT count(*) FROM sessions WHERE end_reason = 'other' AND end_time IS NOT NULL").pluck().get();
        conn.close();
        const missing = files.filter((f) => !ids.has(f.name.slice(0, -5))).length;
        res.rows = ids.size;
        if (missing > 0 || ids.size !== n) fail(`ERROR: ledger holds ${ids.size} rows, ${missing} of the ${n} payload ids missing`);
        if (sessionRows !== sessions) fail(`${sessionRows} ended sessions in the sessions table, expected ${sessions}`);
      } catch (err) {
        fail(`cannot read the ledger: ${err.message}`);
      }
      const left = ['incoming', 'processing', 'dead'].map((d) => [d, listDir(path.join(spool, d)).length]).filter(([, c]) => c > 0);
      if (left.length) fail(`files left in the spool: ${left.map(([d, c]) => `${d}/ ${c}`).join(', ')}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    res.nodeFloor = Math.min(res.floors.thread, res.floors.overlap);
    results.push(res);
  }
  const rateOf = (ms) => Math.round(n / (ms / 1000)).toLocaleString('en-US');
  table(
    ['run', 'drain (whole process)', 'payloads/s', 'ledger rows', 'ok', 'floor: Node thread', 'Node overlap', ...(cFloor ? ['C, 8 threads'] : [])],
    results.map((r) => [
      r.run,
      fmtMs(r.ms),
      rateOf(r.ms),
      r.rows ?? '?',
      r.ok ? 'yes' : 'NO',
      fmtMs(r.floors.thread),
      fmtMs(r.floors.overlap),
      ...(cFloor ? [fmtMs(r.floors.c)] : []),
    ]),
  );
  const med = median(results.map((r) => r.ms));
  const rate = n / (med / 1000);
  const nodeFloor = median(results.map((r) => r.nodeFloor));
  const ratios = results.map((r) => r.ms / r.nodeFloor);
  console.log('');
  table(
    ['figure', 'value', 'target', ''],
    [
      ['median wall time', fmtMs(med), '', ''],
      ['payloads/s (at median)', rateOf(med), '>= 20,000', mark(rate >= 20_000)],
      ['floor in Node, no database (median of the faster per run)', `${fmtMs(nodeFloor)} = ${rateOf(nodeFloor)}/s`, '', ''],
      ...(cFloor ? [['floor in C, 8 threads, no database (median)', `${fmtMs(median(results.map((r) => r.floors.c)))} = ${rateOf(median(results.map((r) => r.floors.c)))}/s`, '', '']] : []),
      ['drain / Node floor (ratio of medians; median per run)', `${fmtRatio(med / nodeFloor)} (${fmtRatio(median(ratios))})`, '', ''],
    ],
  );
  if (rate < 20_000) misses.push(`drain ${rateOf(med)}/s < 20,000/s (the Node floor here: ${rateOf(nodeFloor)}/s)`);
  console.log(`  (${sessions} distinct sessions; worker said: ${results.at(-1)?.summary || 'nothing'})`);
  console.log('  floor = the same files claimed by rename, read (O_NOFOLLOW, fstat) and deleted, nothing else: bench/drain-floor.mjs, bench/drain-floor.c');
  for (const r of results) for (const note of r.notes) console.log(`  note (run ${r.run}): ${note}`);
  if (results.every((r) => r.ok)) console.log(`  check: every run left all ${n.toLocaleString('en-US')} ids in the ledger and an empty spool`);
}

// ---------------------------------------------------------------------------------------------
// 3. Watch-mode latency

async function benchLatency({ cfg, tmp, cliJs, hookJs, payload, problems, misses, cleanupProcs }) {
  const count = cfg.latencyCount;
  const rate = 1000 / cfg.latencyIntervalMs;
  section(`3. Watch-mode latency (${count} hooks at ${rate.toFixed(0)}/s into a watching worker; hook exit -> row committed)`);
  const dir = fs.mkdtempSync(path.join(tmp, 'watch-'));
  const spoolDir = path.join(dir, 'spool');
  const dbPath = path.join(dir, 'watch.db');
  const template = JSON.parse(payload.toString('utf8'));

  // Start the worker and wait for it to say it is starting.
  const worker = spawn(process.execPath, [cliJs, 'worker', '--spool', spoolDir, '--db', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanupProcs.add(worker);
  let workerLog = '';
  let workerOut = '';
  worker.stdout.on('data', (d) => (workerOut += d));
  const workerExit = new Promise((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
  const startedOk = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 15_000);
    worker.stderr.on('data', (d) => {
      workerLog += d;
      if (workerLog.includes('worker starting')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!startedOk) {
    problems.push(`watch worker did not log 'worker starting' (log: ${workerLog.trim().slice(-500)})`);
    worker.kill('SIGKILL');
    return;
  }
  await sleepMs(500); // settle: database open, watcher ready

  // The poller thread (read-only connection) records when each ledger row becomes visible.
  const ctrl = new Int32Array(new SharedArrayBuffer(16));
  const poller = new Worker(fileURLToPath(import.meta.url), { workerData: { dbPath, ctrlBuffer: ctrl.buffer, pollMs: cfg.pollMs } });
  const pollerMessages = [];
  let pollerWake;
  poller.on('message', (m) => {
    pollerMessages.push(m);
    pollerWake?.();
  });
  poller.on('error', (err) => problems.push(`poller thread: ${err.message}`));
  const pollerMessage = async (type) => {
    for (;;) {
      const m = pollerMessages.find((x) => x.type === type);
      if (m) return m;
      await new Promise((r) => (pollerWake = r));
    }
  };
  await pollerMessage('ready');
  const cpuBefore = procCpuSeconds(worker.pid);

  // Spawn the hooks on a fixed schedule (one every interval, never waiting for earlier ones).
  const hooks = [];
  const exits = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const due = t0 + i * cfg.latencyIntervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleepMs(wait);
    const h = { i, sessionId: `lat-${i}`, spawnLagMs: performance.now() - due, out: '', err: '' };
    const body = Buffer.from(JSON.stringify({ ...template, session_id: h.sessionId }));
    const child = spawn(process.execPath, [hookJs, '--spool', spoolDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (h.out += d));
    child.stderr.on('data', (d) => (h.err += d));
    child.stdin.on('error', () => {}); // reported through the exit code below
    child.stdin.end(body);
    exits.push(
      new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          h.exitUs = hrUs();
          h.exitWallMs = performance.timeOrigin + performance.now();
          h.code = code;
          h.signal = signal;
          child.once('close', resolve); // stdout fully read
        }),
      ),
    );
    hooks.push(h);
  }
  await Promise.all(exits);
  const spawnSeconds = (performance.now() - t0) / 1000;

  // Wait for every row (up to 10 s after the last hook exit: the rescan timer is 2 s).
  const deadline = performance.now() + 10_000;
  while (Atomics.load(ctrl, 1) < count && performance.now() < deadline) await sleepMs(20);
  const cpuAfter = procCpuSeconds(worker.pid);
  Atomics.store(ctrl, 0, 1);
  Atomics.notify(ctrl, 2);
  const done = await pollerMessage('done');
  await poller.terminate();

  // Stop the worker: SIGTERM must end it with exit code 0.
  worker.kill('SIGTERM');
  const stopT = performance.now();
  const exit = await Promise.race([workerExit, new Promise((r) => setTimeout(r, 10_000, null).unref())]);
  const stopMs = performance.now() - stopT;
  if (!exit) {
    worker.kill('SIGKILL');
    problems.push('watch worker did not exit within 10 s of SIGTERM');
  } else if (exit.code !== 0) {
    problems.push(`watch worker exited ${exit.code}${exit.signal ? ` (${exit.signal})` : ''} after SIGTERM: ${workerLog.trim().slice(-500)}`);
  }
  cleanupProcs.delete(worker);

  // Results.
  const seen = new Map(done.seen);
  const badHooks = hooks.filter((h) => h.code !== 0 || h.out.trim() !== '{}' || h.err !== '');
  if (badHooks.length) {
    const b = badHooks[0];
    problems.push(`latency: ${badHooks.length} hook run(s) failed (first: #${b.i} exit ${b.code}${b.signal ? ` ${b.signal}` : ''}, stdout ${JSON.stringify(b.out.trim())}, stderr ${JSON.stringify(b.err.trim().slice(0, 200))})`);
  }
  const commitLat = [];
  const appliedLat = [];
  const spooledLat = [];
  const wallMinusMono = performance.timeOrigin + performance.now() - hrUs() / 1000; // maps the poller's clock to wall time
  for (const h of hooks) {
    const s = seen.get(h.sessionId);
    if (!s) continue;
    commitLat.push((s.seenUs - h.exitUs) / 1000);
    appliedLat.push(Date.parse(s.appliedAt) - h.exitWallMs);
    spooledLat.push(s.seenUs / 1000 + wallMinusMono - Number(s.id.slice(0, 13)));
  }
  // Final check from a fresh connection: each lat-<n> exactly once.
  let ledgerRows = 0;
  let missing = count;
  try {
    const conn = new Database(dbPath, { readonly: true, fileMustExist: true });
    const bySession = new Map(conn.prepare("SELECT session_id, count(*) AS n FROM payloads WHERE session_id LIKE 'lat-%' GROUP BY session_id").all().map((r) => [r.session_id, r.n]));
    ledgerRows = [...bySession.values()].reduce((a, b) => a + b, 0);
    missing = hooks.filter((h) => !bySession.has(h.sessionId)).length;
    const dup = [...bySession.values()].filter((v) => v !== 1).length;
    if (dup) problems.push(`latency: ${dup} session(s) recorded more than once in the ledger`);
    conn.close();
  } catch (err) {
    problems.push(`latency: cannot read the ledger: ${err.message}`);
  }
  if (missing > 0) problems.push(`latency: ERROR: ${missing} of ${count} hook payloads never reached the ledger`);
  const deadFiles = listDir(path.join(spoolDir, 'dead')).length;
  if (deadFiles) problems.push(`latency: ${deadFiles} file(s) in dead/`);
  const leftFiles = listDir(path.join(spoolDir, 'incoming')).length + listDir(path.join(spoolDir, 'processing')).length;

  const p99 = pct(commitLat, 99);
  table(
    ['latency over ' + commitLat.length + ' payloads', 'p50', 'p90', 'p99', 'max', 'min', 'target', ''],
    [
      ['hook exit -> commit observed', fmtMs(pct(commitLat, 50)), fmtMs(pct(commitLat, 90)), fmtMs(p99), fmtMs(Math.max(...commitLat)), fmtMs(Math.min(...commitLat)), 'p99 <= 50 ms', mark(p99 <= 50)],
      ['hook exit -> applied_at*', fmtMs(pct(appliedLat, 50)), fmtMs(pct(appliedLat, 90)), fmtMs(pct(appliedLat, 99)), fmtMs(Math.max(...appliedLat)), fmtMs(Math.min(...appliedLat)), '(reference)', ''],
      ['id time -> commit observed**', fmtMs(pct(spooledLat, 50)), fmtMs(pct(spooledLat, 90)), fmtMs(pct(spooledLat, 99)), fmtMs(Math.max(...spooledLat)), fmtMs(Math.min(...spooledLat)), '(reference)', ''],
    ],
  );
  if (!(p99 <= 50)) misses.push(`watch latency p99 ${fmtMs(p99)} > 50 ms`);
  console.log('  * applied_at is stamped when the batch transaction starts (ms precision, worker clock), so it can precede');
  console.log('    the hook\'s exit; "commit observed" = first poll that sees the row from a read-only connection. Negative values:');
  console.log('    the row was committed before the bench saw the hook process exit (it still fsyncs incoming/ and tears down).');
  console.log('  ** from the ms in the payload id (Date.now() in the hook, just before it writes the file) to commit observed.');
  const lags = hooks.map((h) => h.spawnLagMs);
  console.log(
    `  applied: ${count - missing}/${count} ${missing === 0 ? '(all)' : '(MISSING SOME)'}; ledger rows ${ledgerRows}; spool left: ${leftFiles} file(s), dead/ ${deadFiles}`,
  );
  console.log(
    `  schedule: ${count} hooks in ${spawnSeconds.toFixed(1)} s (spawn lag p50 ${fmtMs(pct(lags, 50))}, max ${fmtMs(Math.max(...lags))}); ` +
      `poller: ${done.polls} polls every ~${cfg.pollMs} ms, longest gap ${fmtMs(done.maxPollGapUs / 1000)}`,
  );
  const cpu = cpuBefore !== null && cpuAfter !== null ? `${(cpuAfter - cpuBefore).toFixed(2)} CPU-s during the run` : 'CPU n/a';
  console.log(`  worker: ${cpu}; SIGTERM -> exit ${exit ? `code ${exit.code}${exit.signal ? ` ${exit.signal}` : ''} in ${fmtMs(stopMs)}` : 'timed out'}`);
  const logLines = workerLog.split('\n').filter((l) => / (warn|error) /.test(l));
  if (logLines.length) console.log(`  worker logged ${logLines.length} warn/error line(s), first: ${logLines[0].slice(0, 200)}`);
  if (workerOut.trim()) console.log(`  worker stdout: ${workerOut.trim().slice(0, 200)}`);
  if (exit && exit.code === 0 && missing === 0 && !badHooks.length) console.log(`  check: all ${count} applied exactly once, worker exited 0 on SIGTERM`);
}

// ---------------------------------------------------------------------------------------------
// Entry point (last, so that every top-level const above is initialised).
if (!isMainThread) {
  pollerThread();
} else {
  await main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`bench: ${err?.stack ?? err}`);
      process.exitCode = 1;
    },
  );
}
