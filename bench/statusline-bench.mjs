// Section 5 of the benchmarks (see bench/README.md): the status line.
//   5a. the history: section 4's Claude Code home (the ~100 MB session, here ending a minute ago
//       as a running session would, the recorded sessions, and 9 more live sessions), and a
//       database built from it by `claude-metrics import --drain`;
//   5b. whole process, spawn -> exit, interleaved round-robin: `claude-metrics statusline`
//       (dist/statusline.cjs) vs `node -e 0`, vs `ccusage statusline` warm (a cache hit) and cold
//       (its first call, with an empty cache), all with the same stdin;
//   5c. 10 sessions each calling the status line once a second for 60 s, one tool after the
//       other: the CPU seconds of all those processes, ours vs ccusage's.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { BIG_CWD, buildClaudeHome, DEFAULT_FIXTURES, fmtMB } from './transcript-bench.mjs';
import { ensureCcusage } from './ccusage.mjs';
import { fmtMs, fmtRatio, hrUs, listDir, mark, median, pct, section, sleepMs, table } from './util.mjs';

const MB = 1024 * 1024;
const TARGET_FLOOR = 1.25; // ours / node -e 0
const TARGET_WARM = 1.0; // ours / ccusage warm
const TARGET_COLD = 0.1; // ours / ccusage cold
const PRIME_AFTER_MS = 500; // a warm ccusage call is preceded by an unmeasured one when its cache is older
const LATE_MS = 100; // a load-test call that starts this much after its second is "late"

const HZ = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout?.trim()) || 100;
})();

/** /proc/<pid>/stat fields after the command name (index 0 = field 3, the state). */
function procStat(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds (user + system) of every child this process has waited for, and of their waited-for
 * descendants (cutime + cstime): the kernel adds a child's CPU here when it is reaped. Null
 * without /proc.
 */
function childrenCpuSeconds() {
  try {
    const f = procStat('self');
    return (Number(f[13]) + Number(f[14])) / HZ;
  } catch {
    return null;
  }
}

/** CPU seconds a live process has used (utime + stime); null if unknown. */
function procCpuSeconds(pid) {
  try {
    const f = procStat(pid);
    return (Number(f[11]) + Number(f[12])) / HZ;
  } catch {
    return null;
  }
}

/** Pids of live processes whose command line contains `needle` (null without /proc). */
function pidsRunning(needle) {
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  const out = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'latin1').includes(needle)) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * A status line payload as Claude Code 2.1.332 sends it (claude-code-facts.md, "Seen on stdin"),
 * for one session of the generated history: Claude Code's own cost estimate is the list-price
 * cost of what the transcript holds.
 */
function statuslinePayload(s) {
  const w = s.written;
  return JSON.stringify({
    session_id: s.sessionId,
    transcript_path: s.file,
    cwd: BIG_CWD,
    prompt_id: crypto.randomUUID(),
    model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' },
    workspace: { current_dir: BIG_CWD, project_dir: BIG_CWD, added_dirs: [] },
    version: '2.1.332',
    output_style: { name: 'default' },
    cost: {
      total_cost_usd: Math.round(w.cost_usd * 1e6) / 1e6,
      total_duration_ms: s.reps * s.repSpanMs,
      total_api_duration_ms: Math.round(s.reps * s.repSpanMs * 0.4),
      total_lines_added: w.lines_added,
      total_lines_removed: w.lines_removed,
    },
    context_window: {
      total_input_tokens: 19200,
      total_output_tokens: 42,
      context_window_size: 200000,
      used_percentage: 10,
      remaining_percentage: 90,
      current_usage: { input_tokens: 1200, output_tokens: 42, cache_creation_input_tokens: 3000, cache_read_input_tokens: 15000 },
    },
    exceeds_200k_tokens: false,
    prompt_cache: { warm: true, caching_observed: true, ttl: '5m', expires_at: Math.floor(Date.now() / 1000) + 300, requests: 1, misses: 0, hit_ratio: 0.78125, cache_write_tokens: 3000 },
    fast_mode: false,
    thinking: { enabled: true },
  });
}

/** What a status line run must look like: exit 0 and one non-empty line (ours: nothing on stderr). */
function judge(c, r) {
  const out = r.stdout ?? '';
  const lines = out.replace(/\n$/, '').split('\n');
  if (r.error) return `failed to run: ${r.error.message}`;
  if (r.status !== 0) return `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}: ${String(r.stderr ?? '').trim().slice(-300)}`;
  if (c.expectEmpty) return out === '' ? null : `printed ${JSON.stringify(out.slice(0, 100))}`;
  if (lines.length !== 1 || lines[0].trim() === '') return `printed ${lines.length} line(s), expected one non-empty line: ${JSON.stringify(out.slice(0, 200))}`;
  if (c.quietStderr && String(r.stderr ?? '') !== '') return `wrote to stderr: ${JSON.stringify(String(r.stderr).slice(0, 200))}`;
  return null;
}

/** One asynchronous run with stdin; resolves once the process has been reaped and its output read. */
function spawnOnce(c, input, env, cwd) {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const t0 = hrUs();
    const child = spawn(c.cmd, c.args, { cwd, env: c.env ?? env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {}); // reported through the exit code
    child.stdin.end(input);
    let error;
    child.once('error', (err) => (error = err));
    child.once('close', (status, signal) => resolve({ startedAt, ms: (hrUs() - t0) / 1000, status, signal, stdout, stderr, error }));
  });
}

// ---------------------------------------------------------------------------------------------

export async function benchStatusline({ cfg, tmp, root, problems, misses, cleanupProcs = new Set() }) {
  const targetBytes = cfg.bigMb * MB;
  section(
    `5. Status line (${cfg.bigMb} MiB history; ${cfg.statuslineRuns} rounds after ${cfg.statuslineWarmups} warm-ups, ${cfg.statuslineColdRuns} cold ccusage runs; ` +
      `${cfg.statuslineSessions} sessions x ${cfg.statuslineSeconds} s at 1/s)`,
  );
  const started = performance.now();
  const work = fs.mkdtempSync(path.join(tmp, 'statusline-'));
  try {
    await run5({ cfg, root, problems, misses, cleanupProcs, targetBytes, work });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`  section 5 took ${((performance.now() - started) / 1000).toFixed(1)} s (temporary files removed)`);
}

async function run5({ cfg, root, problems, misses, cleanupProcs, targetBytes, work }) {
  const statuslineJs = path.join(root, 'dist', 'statusline.cjs');
  const cliJs = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(statuslineJs)) throw new Error(`${statuslineJs} is missing: run npm run build first`);
  const ccusageJs = ensureCcusage();

  // ---- 5a. The history and the database ----
  const fixtureRoot = process.env.BENCH_TRANSCRIPT_FIXTURES ?? DEFAULT_FIXTURES;
  const home = buildClaudeHome({ work, fixtureRoot, targetBytes, endNow: true, extraSessions: cfg.statuslineSessions - 1 });
  const { claudeDir, big, extra } = home;
  const sessions = [big, ...extra];
  const spool = path.join(work, 'spool');
  const db = path.join(work, 'metrics.db');
  const t0 = hrUs();
  const imp = spawnSync(process.execPath, [cliJs, 'import', '--claude-dir', claudeDir, '--spool', spool, '--db', db, '--drain'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const importMs = (hrUs() - t0) / 1000;
  const sessionCount = home.smallSessions.length + sessions.length;
  const applied = /drained: applied (\d+)/.exec(imp.stdout ?? '');
  if (imp.status !== 0 || !applied || Number(applied[1]) !== sessionCount) {
    problems.push(`statusline: import --drain exited ${imp.status} (${JSON.stringify((imp.stdout ?? '').trim().slice(0, 200))}; ${(imp.stderr ?? '').trim().slice(-300)}), expected 'drained: applied ${sessionCount}'`);
    return;
  }
  const dbRow = (() => {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return conn.prepare('SELECT total_cost_usd AS cost, api_calls FROM sessions WHERE session_id = ?').get(big.sessionId);
    } finally {
      conn.close();
    }
  })();
  if (!dbRow || Math.abs(dbRow.cost - big.written.cost_usd) > 1e-6 * big.written.cost_usd) {
    problems.push(`statusline: the big session's cost in the database is ${dbRow?.cost}, the generator wrote ${big.written.cost_usd}`);
  }
  const historyBytes = listDir(path.join(claudeDir, 'projects')).reduce((a, p) => a + dirBytes(path.join(claudeDir, 'projects', p)), 0);
  console.log(`  5a. history: <tmp>/claude, ${fmtMB(historyBytes)}: section 4's generated session (${fmtMB(big.bytes)}, ${big.written.api_calls.toLocaleString('en-US')} API calls,`);
  console.log(`      $${big.written.cost_usd.toFixed(2)}), here ending a minute ago as a running session would (so its calls fall in today and in`);
  console.log(`      the current 5-hour block), ${extra.length} more live sessions of one repetition each (${fmtMB(extra.reduce((a, s) => a + s.bytes, 0))} in all, same`);
  console.log(`      project) and the ${home.smallSessions.length} recorded sessions. Database: import --drain over it, ${fmtMs(importMs)}, ${fmtMB(fs.statSync(db).size)}.`);

  // Every contender: the same stdin (a payload of the big session), the same environment (HOME an
  // empty folder: no config file of ours or ccusage's is found, nothing of other agents' data),
  // the same working folder (empty). ccusage reads CLAUDE_CONFIG_DIR; ours reads --spool/--db.
  const emptyHome = path.join(work, 'home');
  const cwd = path.join(work, 'cwd');
  fs.mkdirSync(emptyHome, { mode: 0o700 });
  fs.mkdirSync(cwd);
  const env = { ...process.env, HOME: emptyHome, CLAUDE_CONFIG_DIR: claudeDir };
  for (const k of Object.keys(env)) if (k.startsWith('CLAUDE_METRICS_')) delete env[k];
  const payloads = sessions.map(statuslinePayload);
  const payload = payloads[0];
  const ccVersion = spawnSync(process.execPath, [ccusageJs, '--version'], { encoding: 'utf8', env, cwd }).stdout?.trim();
  console.log(`      stdin: a status line payload of the big session (${payload.length} bytes; transcript_path = its file, cost = its`);
  console.log(`      list-price cost as Claude Code's own estimate), the same for every contender; HOME=<tmp>/home (empty),`);
  console.log(`      CLAUDE_CONFIG_DIR=<tmp>/claude, cwd <tmp>/cwd (empty).`);

  await startupRounds({ cfg, problems, misses, work, env, cwd, payload, statuslineJs, ccusageJs, ccVersion, spool, db, big });

  // Leave the spool empty before the load test: apply the snapshots the rounds spooled.
  const pre = spawnSync(process.execPath, [cliJs, 'worker', '--drain', '--spool', spool, '--db', db], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const dead = listDir(path.join(spool, 'dead')).length;
  if (pre.status !== 0 || dead > 0) problems.push(`statusline: worker --drain over the spooled snapshots exited ${pre.status}, ${dead} dead letter(s): ${(pre.stderr ?? '').trim().slice(-300)}`);
  else console.log(`  the snapshots spooled so far applied without a dead letter (${(pre.stdout ?? '').trim()})`);

  await loadTest({ cfg, problems, cleanupProcs, root, work, env, cwd, payloads, statuslineJs, ccusageJs, cliJs, spool, db });
}

function dirBytes(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  return listDir(p).reduce((a, n) => a + dirBytes(path.join(p, n)), 0);
}

// ---------------------------------------------------------------------------------------------
// 5b. Whole-process time, interleaved round-robin

async function startupRounds({ cfg, problems, misses, work, env, cwd, payload, statuslineJs, ccusageJs, ccVersion, spool, db, big }) {
  const warmTmp = path.join(work, 'ccusage-tmp-warm');
  fs.mkdirSync(warmTmp);
  const lockFile = (dir) => path.join(dir, 'ccusage-semaphore', `${big.sessionId}.lock`);
  const cacheTime = (dir) => {
    try {
      const t = JSON.parse(fs.readFileSync(lockFile(dir), 'utf8')).lastUpdateTime;
      return typeof t === 'number' ? t : null;
    } catch {
      return null;
    }
  };
  const ccArgs = [ccusageJs, 'statusline'];
  const contenders = [
    { key: 'floor', label: 'node -e 0 (floor)', cmd: process.execPath, args: ['-e', '0'], expectEmpty: true },
    { key: 'ours', label: 'claude-metrics statusline', cmd: process.execPath, args: [statuslineJs, '--spool', spool, '--db', db], quietStderr: true },
    {
      key: 'oursNoDb',
      label: '  ours, no database (reference)*',
      cmd: process.execPath,
      args: [statuslineJs, '--spool', spool, '--db', path.join(work, 'absent.db')],
      quietStderr: true,
    },
    { key: 'warm', label: 'ccusage statusline, warm**', cmd: process.execPath, args: ccArgs, env: { ...env, TMPDIR: warmTmp } },
    { key: 'leanest', label: 'status line floor****', cmd: process.execPath, args: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'statusline-floor.cjs'), spool, db] },
  ];
  const cold = { key: 'cold', label: 'ccusage statusline, cold***', cmd: process.execPath, args: ccArgs };
  for (const c of [...contenders, cold]) {
    c.times = [];
    c.byRound = new Map();
    c.failures = [];
    c.lines = [];
  }
  let primed = 0;
  const warmRecomputed = [];
  let coldCached = 0;
  let coldTmps = 0;

  const runOne = (c, round, record) => {
    let e = c.env ?? env;
    let coldDir;
    if (c.key === 'cold') {
      coldDir = fs.mkdtempSync(path.join(work, 'ccusage-tmp-cold-'));
      coldTmps++;
      e = { ...env, TMPDIR: coldDir };
    }
    let before = null;
    if (c.key === 'warm') {
      before = cacheTime(warmTmp);
      if (before === null || Date.now() - before > PRIME_AFTER_MS) {
        const p = spawnSync(c.cmd, c.args, { input: payload, env: e, cwd, encoding: 'utf8', timeout: 60_000 });
        const bad = judge(c, p);
        if (bad) c.failures.push(`priming call: ${bad}`);
        primed++;
        before = cacheTime(warmTmp);
      }
    }
    const t0 = hrUs();
    const r = spawnSync(c.cmd, c.args, { input: payload, env: e, cwd, encoding: 'utf8', maxBuffer: 1 << 20, timeout: 60_000 });
    const ms = (hrUs() - t0) / 1000;
    const bad = judge(c, r);
    if (coldDir) {
      if (cacheTime(coldDir) !== null) coldCached++;
      fs.rmSync(coldDir, { recursive: true, force: true });
    }
    if (!record) return;
    if (bad) c.failures.push(`round ${round}: ${bad}`);
    if (r.stdout && c.lines.length < 1) c.lines.push(r.stdout.replace(/\n$/, ''));
    if (c.key === 'warm' && before !== null && cacheTime(warmTmp) !== before) {
      warmRecomputed.push(ms); // its cache had expired after all: not a warm call
      return;
    }
    c.times.push(ms);
    c.byRound.set(round, ms);
  };

  const total = cfg.statuslineWarmups + cfg.statuslineRuns;
  const coldRounds = new Set();
  for (let i = 0; i < cfg.statuslineColdRuns; i++) coldRounds.add(cfg.statuslineWarmups + Math.floor(((i + 0.5) * cfg.statuslineRuns) / cfg.statuslineColdRuns));
  let coldIndex = 0;
  for (let round = 0; round < total; round++) {
    const order = contenders.map((_, k) => contenders[(round + k) % contenders.length]);
    if (coldRounds.has(round)) order.splice(coldIndex++ % (order.length + 1), 0, cold);
    for (const c of order) runOne(c, round, round >= cfg.statuslineWarmups);
  }

  const all = [...contenders, cold];
  table(
    ['contender (spawn -> exit)', 'runs', 'median', 'p90', 'min', 'max', 'failed'],
    all.map((c) => [c.label, c.times.length, fmtMs(median(c.times)), fmtMs(pct(c.times, 90)), fmtMs(Math.min(...c.times)), fmtMs(Math.max(...c.times)), c.failures.length]),
  );
  const by = Object.fromEntries(all.map((c) => [c.key, c]));
  const ours = median(by.ours.times);
  const perRound = (a, b) => median([...a.byRound].filter(([r]) => b.byRound.has(r)).map(([r, t]) => t / b.byRound.get(r)));
  const rows = [];
  const ratio = (label, b, target, short) => {
    const r = ours / median(b.times);
    rows.push([label, fmtRatio(r), fmtRatio(perRound(by.ours, b)), `<= ${target.toFixed(2)}`, mark(r <= target)]);
    if (!(r <= target)) misses.push(`statusline ${short} ${fmtRatio(r)} > ${target.toFixed(2)}`);
  };
  ratio('ours / node -e 0', by.floor, TARGET_FLOOR, 'ours/node-e-0');
  ratio('ours / ccusage warm', by.warm, TARGET_WARM, 'ours/ccusage-warm');
  ratio('ours / ccusage cold', by.cold, TARGET_COLD, 'ours/ccusage-cold');
  const leanest = median(by.leanest.times);
  rows.push(['status line floor / node -e 0', fmtRatio(leanest / median(by.floor.times)), fmtRatio(perRound(by.leanest, by.floor)), '', '']);
  rows.push(['ours / status line floor', fmtRatio(ours / leanest), fmtRatio(perRound(by.ours, by.leanest)), '', '']);
  console.log('');
  table(['ratio', 'of medians', 'median of per-round', 'target', ''], rows);
  console.log('  * the same command with --db naming no file: Node start, reading stdin, spooling it, printing the line from the');
  console.log('    payload alone (diagnosis: what the database reading adds).');
  console.log(`  ** ${ccVersion || 'ccusage ?'}: node ${path.relative(process.cwd(), ccusageJs)} statusline, its defaults (--offline, --cache,`);
  console.log('    --refresh-interval 1, --cost-source auto: the session cost is the payload\'s cost.total_cost_usd); the Node launcher starts');
  console.log('    its native binary. It caches its last line per session in $TMPDIR/ccusage-semaphore/<session_id>.lock, reused while');
  console.log('    younger than --refresh-interval (1 s, counted from the end of the call that computed it) and while the session\'s');
  console.log('    transcript keeps its mtime; otherwise it reads the transcripts again. Warm = a cache hit: TMPDIR=<tmp>/ccusage-tmp-warm,');
  console.log(`    and a measured call is preceded by an unmeasured one when the line cached is older than ${PRIME_AFTER_MS} ms (${primed} such calls).`);
  if (warmRecomputed.length) console.log(`    ${warmRecomputed.length} measured warm call(s) recomputed anyway and are left out (median ${fmtMs(median(warmRecomputed))}).`);
  console.log(`  *** its first call: TMPDIR a new empty folder each time (${coldTmps} runs, spread over the rounds); ${coldCached} of them left a cache file.`);
  console.log('    The page cache is warm (the history was just written and imported).');
  console.log('  **** bench/statusline-floor.cjs: the least a Node status line does that spools its stdin by the protocol and shows');
  console.log('    costs from this database, with no npm module and no check (bare pipe handle, temp file + fsync, rename, folder fsync,');
  console.log('    node:sqlite: the session row and today from usage_hours, one line): what is left above it is our own code.');
  // eslint-disable-next-line no-control-regex
  const plain = (line) => line.replace(/\x1b\[[0-9;]*m/g, '');
  for (const c of [by.ours, by.warm]) if (c.lines[0] !== undefined) console.log(`  ${c.key === 'ours' ? 'our line    ' : 'ccusage line'}: ${plain(c.lines[0])}${plain(c.lines[0]) !== c.lines[0] ? '   (colours removed here)' : ''}`);
  const cost = `$${big.written.cost_usd.toFixed(2)}`;
  for (const c of [by.ours, by.warm]) {
    if (c.lines[0] !== undefined && !c.lines[0].includes(cost)) console.log(`  note: the ${c.key === 'ours' ? 'our' : 'ccusage'} line does not show the session's cost ${cost}`);
  }
  for (const c of all) {
    if (c.failures.length) problems.push(`statusline ${c.label.trim()}: ${c.failures.length} failed run(s), first: ${c.failures[0]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 5c. 10 sessions, once a second

async function loadTest({ cfg, problems, cleanupProcs, root, work, env, cwd, payloads, statuslineJs, ccusageJs, cliJs, spool, db }) {
  const n = payloads.length;
  const seconds = cfg.statuslineSeconds;
  console.log('');
  console.log(`  5c. ${n} sessions (the big one and ${n - 1} live ones, each its own payload), each calling the status line once a`);
  console.log(`      second for ${seconds} s (session i at i/${n} s past each second; a call never overlaps the same session's previous one:`);
  console.log(`      a late call starts when that one ends), ${n * seconds} calls per tool, one tool after the other. CPU = user + system`);
  console.log('      time of every process the bench waited for (its cutime + cstime from /proc/self/stat, launchers\' children included).');
  if (childrenCpuSeconds() === null) {
    console.log('      skipped: no /proc/self/stat here to read the children\'s CPU from');
    return;
  }

  const ours = { key: 'ours', label: 'claude-metrics statusline', cmd: process.execPath, args: [statuslineJs, '--spool', spool, '--db', db], quietStderr: true };
  const ccTmp = path.join(work, 'ccusage-tmp-load');
  fs.mkdirSync(ccTmp);
  const cc = { key: 'ccusage', label: 'ccusage statusline', cmd: process.execPath, args: [ccusageJs, 'statusline'], env: { ...env, TMPDIR: ccTmp } };

  // Ours runs with a watching worker, as it does for a user: it applies every snapshot spooled
  // (the ledger keeps only each session's newest one, so the count comes from its 'batch applied'
  // lines).
  const worker = spawn(process.execPath, [cliJs, 'worker', '--spool', spool, '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanupProcs.add(worker);
  let log = '';
  worker.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const exited = new Promise((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = performance.now() + 15_000;
  while (!log.includes('worker starting') && performance.now() < deadline && worker.exitCode === null) await sleepMs(20);
  await sleepMs(500);
  const w0 = procCpuSeconds(worker.pid);
  const oursRes = await loadPhase(ours, payloads, seconds, env, cwd);
  // The worker's share: until it has applied everything spooled.
  const spoolLeft = () => ['incoming', 'processing'].reduce((a, d) => a + listDir(path.join(spool, d)).filter((f) => f.endsWith('.json')).length, 0);
  const drainDeadline = performance.now() + 30_000;
  while (spoolLeft() > 0 && performance.now() < drainDeadline) await sleepMs(50);
  const w1 = procCpuSeconds(worker.pid);
  worker.kill('SIGTERM');
  const stop = await Promise.race([exited, sleepMs(10_000).then(() => null)]);
  cleanupProcs.delete(worker);
  if (!stop) {
    worker.kill('SIGKILL');
    problems.push('statusline load: the watching worker did not exit within 10 s of SIGTERM');
  } else if (stop.code !== 0) problems.push(`statusline load: the watching worker exited ${stop.code}${stop.signal ? ` (${stop.signal})` : ''} after SIGTERM`);
  const badLog = log.split('\n').filter((l) => / (warn|error) /.test(l));
  if (badLog.length) problems.push(`statusline load: the worker logged ${badLog.length} warn/error line(s), first: ${badLog[0].slice(0, 300)}`);
  const batches = [...log.matchAll(/batch applied .*?\bapplied=(\d+) duplicates=(\d+) dead_lettered=(\d+)/g)];
  const added = batches.reduce((a, m) => a + Number(m[1]), 0);
  const deadLetters = listDir(path.join(spool, 'dead')).length;
  if (spoolLeft() > 0) problems.push(`statusline load: ${spoolLeft()} snapshot(s) still in the spool 30 s after the last call`);
  if (deadLetters) problems.push(`statusline load: ${deadLetters} file(s) in dead/`);
  if (added !== oursRes.calls.length) problems.push(`statusline load: ${oursRes.calls.length} calls of ours but the worker applied ${added} snapshots`);
  const workerCpu = w0 !== null && w1 !== null ? w1 - w0 : null;

  const ccRes = await loadPhase(cc, payloads, seconds, env, cwd);
  // ccusage might leave a process behind to refresh its cache: none may go uncounted. Its launcher
  // and its native binary (node_modules/@ccusage/…) both live in this checkout's node_modules.
  const ccProcs = () => [...(pidsRunning(ccusageJs) ?? []), ...(pidsRunning(path.join(root, 'node_modules', '@ccusage')) ?? [])];
  let leftovers = ccProcs();
  const leftDeadline = performance.now() + 10_000;
  while (leftovers.length && performance.now() < leftDeadline) {
    await sleepMs(100);
    leftovers = ccProcs();
  }

  const cpuShare = (r) => `${((100 * r.cpu) / (r.elapsedS * os.cpus().length)).toFixed(0)}%`;
  const row = (label, r) => [
    label,
    r.calls.length,
    r.failed.length,
    fmtMs(pct(r.calls.map((c) => c.ms), 50)),
    fmtMs(pct(r.calls.map((c) => c.ms), 90)),
    fmtMs(Math.max(...r.calls.map((c) => c.ms))),
    r.calls.filter((c) => c.lateMs > LATE_MS).length,
    `${r.elapsedS.toFixed(1)} s`,
    r.cpu.toFixed(2),
    ((1000 * r.cpu) / r.calls.length).toFixed(1),
    cpuShare(r),
  ];
  table(
    ['tool', 'calls', 'failed', 'p50/call', 'p90', 'max', `late >${LATE_MS} ms`, 'elapsed', 'CPU-s', 'CPU ms/call', `of ${os.cpus().length} CPUs`],
    [row(ours.label, oursRes), row(cc.label, ccRes)],
  );
  const r1 = oursRes.cpu / ccRes.cpu;
  const rows = [['CPU ours / ccusage (the status line processes)', fmtRatio(r1), '(no target)']];
  if (workerCpu !== null) {
    rows.push([`  our watching worker applying the ${added} snapshots`, `${workerCpu.toFixed(2)} CPU-s`, '']);
    rows.push(['  CPU ours incl. the worker / ccusage', fmtRatio((oursRes.cpu + workerCpu) / ccRes.cpu), '']);
  }
  console.log('');
  table(['figure', 'value', ''], rows);
  console.log(`  ours ran with a watching worker (worker --spool --db; its CPU from /proc/<pid>/stat, not in the CPU-s above), and every`);
  console.log(`  call's snapshot was applied (${added} of ${oursRes.calls.length}, from its 'batch applied' lines); ccusage: TMPDIR=<tmp>/ccusage-tmp-load,`);
  console.log('  empty at the start.');
  if (leftovers.length) problems.push(`statusline load: ${leftovers.length} ccusage process(es) still running 10 s after the last call (their CPU is not counted)`);
  for (const [label, r] of [[ours.label, oursRes], [cc.label, ccRes]]) {
    if (r.failed.length) problems.push(`statusline load, ${label}: ${r.failed.length} of ${r.calls.length} calls failed, first: ${r.failed[0]}`);
  }
}

/** One tool's load phase: every session's loop, concurrently; CPU = the children reaped meanwhile. */
async function loadPhase(c, payloads, seconds, env, cwd) {
  const cpu0 = childrenCpuSeconds();
  const calls = [];
  const failed = [];
  const t0 = performance.now() + 100;
  await Promise.all(
    payloads.map(async (payload, i) => {
      for (let k = 0; k < seconds; k++) {
        const due = t0 + (i * 1000) / payloads.length + k * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleepMs(wait);
        const r = await spawnOnce(c, payload, env, cwd);
        const call = { ms: r.ms, lateMs: r.startedAt - due };
        calls.push(call);
        const bad = judge(c, r);
        if (bad) failed.push(`session ${i} call ${k}: ${bad}`);
      }
    }),
  );
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = childrenCpuSeconds() - cpu0;
  return { calls, failed, elapsedS, cpu };
}
