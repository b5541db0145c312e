#!/usr/bin/env node
// The push to the team database (issue 14), measured against a real PostgreSQL with the built CLI
// as real processes (see bench/README.md, "The team database push"):
//   1. bulk: SYNC_MACHINES (20) local databases of SYNC_CALLS (10,000) calls each, pushed by as many
//      `claude-metrics sync --once` processes started at once: rows/s applied centrally, each
//      pusher's wall time, CPU and peak RSS; one machine pushing alone for reference;
//   2. steady state: a watching `worker --postgres` per machine, fed Stop payloads (a new turn in a
//      live session's transcript, then a spooled Stop) every 200-500 ms per machine: delay from
//      each local commit to its central commit (PostgreSQL's own commit timestamp), p50/p99, and
//      each worker's memory and CPU;
//   3. a busy machine: one worker committing a batch more often than the pusher's 200 ms settle time;
//   4. the Stop path with and without sync: worker --drain of N Stops with the outbox triggers vs
//      without them; one Stop at a time into watching workers: outbox, no outbox, outbox + pushing;
//      the triggers' cost per row in-process.
// The PostgreSQL is the test harness's (test/support/postgres.ts, loaded through tsx): fsync off,
// 127.0.0.1, on this same machine. Knobs: see bench/README.md. SYNC_ONLY=1,4 runs some sections.
//   npm run bench:sync        (= npm run build && node scripts/run-on-node.mjs 24 bench/sync-bench.mjs)
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { tsImport } from 'tsx/esm/api';
import { envInt, fmtMs, fmtRatio, median, pct, section, sleepMs, table } from './util.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const MACHINES = envInt('SYNC_MACHINES', 20);
const CALLS = envInt('SYNC_CALLS', 10_000);
const SESSIONS = envInt('SYNC_SESSIONS', 100);
const TOOL_USES = envInt('SYNC_TOOL_USES', 2_000);
const STEADY_SECONDS = envInt('SYNC_STEADY_SECONDS', 30);
const WARMUP_SECONDS = 3;
const STEADY_MIN_MS = envInt('SYNC_STEADY_MIN_MS', 200);
const STEADY_MAX_MS = envInt('SYNC_STEADY_MAX_MS', 500);
const LIVE_SESSIONS = 4;
const BUSY_SECONDS = envInt('SYNC_BUSY_SECONDS', 10);
const BUSY_INTERVAL_MS = envInt('SYNC_BUSY_INTERVAL_MS', 120);
const DRAIN_STOPS = envInt('SYNC_DRAIN_STOPS', 200);
const DRAIN_ROUNDS = envInt('SYNC_DRAIN_ROUNDS', 7);
const WATCH_STOPS = envInt('SYNC_WATCH_STOPS', 100);
const ONLY = new Set((process.env.SYNC_ONLY ?? '1,2,3,4').split(/[\s,]+/).filter(Boolean).map(Number));
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

const problems = [];
const children = new Set();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-sync-bench-'));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
/** Children get an empty HOME (no config file, no price overrides) and none of our CLAUDE_METRICS_* or libpq PG* settings. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLAUDE_METRICS_') && !k.startsWith('PG')));
childEnv.HOME = home;

// ---------------------------------------------------------------------------------------------
// Small helpers

/** mulberry32: the same history for the same seed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hexOf = (rand, n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const uuidOf = (rand) => `${hexOf(rand, 8)}-${hexOf(rand, 4)}-4${hexOf(rand, 3)}-a${hexOf(rand, 3)}-${hexOf(rand, 12)}`;
const intIn = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtMiB = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : 'n/a');
const fmtN = (n) => Math.round(n).toLocaleString('en-US');
const loads = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** USD per million tokens: input, output, 5-minute cache write, cache read. */
const MODELS = [
  ['claude-sonnet-4-5', 3, 15, 3.75, 0.3],
  ['claude-opus-4-1', 15, 75, 18.75, 1.5],
  ['claude-haiku-4-5', 1, 5, 1.25, 0.1],
];
const priceOf = (model) => MODELS.find((m) => m[0] === model);
function usageOf(rand) {
  return {
    input_tokens: intIn(rand, 3, 4000),
    output_tokens: intIn(rand, 20, 3000),
    cache_creation_input_tokens: intIn(rand, 0, 20_000),
    cache_read_input_tokens: intIn(rand, 0, 150_000),
  };
}
function costOf(model, u) {
  const [, inp, out, cw, cr] = priceOf(model);
  return (u.input_tokens * inp + u.output_tokens * out + u.cache_creation_input_tokens * cw + u.cache_read_input_tokens * cr) / 1e6;
}

/** /proc/<pid>/stat: ppid and CPU ticks (own and waited-for children's). */
function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, children: (Number(f[13]) + Number(f[14])) / CLK_TCK };
  } catch {
    return null;
  }
}
/** VmRSS and VmHWM of a live process, KiB. */
function procMem(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1]), hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1]) };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}
/** CPU seconds of the whole PostgreSQL server: the postmaster, the children it reaped, and its live children. */
function pgCpuSeconds(server) {
  const pid = Number(fs.readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pm = procStat(pid);
  if (!pm) return NaN;
  let total = pm.cpu + pm.children;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(Number(e));
    if (st && st.ppid === pid) total += st.cpu;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Machines: a local database of the real schema (made by the built CLI), a spool, a Claude folder

function makeMachine(name, index) {
  const dir = path.join(tmp, name);
  const m = {
    name,
    index,
    machine: name,
    developer: `dev-${name}`,
    dir,
    spool: path.join(dir, 'spool'),
    db: path.join(dir, 'metrics.db'),
    projects: path.join(dir, 'claude', 'projects', `-home-dev-${name}-proj`),
    live: [],
  };
  fs.mkdirSync(m.projects, { recursive: true });
  const r = spawnSync(process.execPath, [CLI, 'worker', '--drain', '--spool', m.spool, '--db', m.db], { encoding: 'utf8', env: childEnv });
  if (r.status !== 0) throw new Error(`worker --drain to create ${m.db} failed: ${r.stdout}${r.stderr}`);
  return m;
}

/** `calls` calls over `sessions` sessions (plus their sessions, session_models and tool uses) written by plain SQL in one transaction; the triggers fill the rollups and the outbox. */
function fillHistory(m, seed, { calls = CALLS, sessions = SESSIONS, toolUses = TOOL_USES } = {}) {
  const rand = rng(seed);
  const db = new Database(m.db);
  db.pragma('journal_mode = WAL');
  const insSession = db.prepare(`INSERT INTO sessions (session_id, start_time, end_time, total_cost_usd, total_duration_ms, total_api_duration_ms,
    lines_added, lines_removed, commits, tool_calls, cwd, transcript_path, end_reason, cost_source, input_tokens, output_tokens,
    cache_creation_tokens, cache_read_tokens, api_calls, cost_complete, models, git_branch)
    VALUES (@session_id, @start_time, @end_time, @cost, @duration, @api_duration, @lines_added, @lines_removed, @commits, @tool_calls,
    @cwd, @transcript_path, 'other', 'transcript', @input_tokens, @output_tokens, @cache_creation_tokens, @cache_read_tokens,
    @api_calls, 1, @models, @git_branch)`);
  const insCall = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens,
    cache_read_tokens, message_id, request_id, cache_creation_1h_tokens, cost_usd, agent_id, call_key, git_branch)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`);
  const insModel = db.prepare(`INSERT INTO session_models (session_id, model, api_calls, unpriced_calls, input_tokens, output_tokens,
    cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd) VALUES (?, ?, ?, 0, ?, ?, ?, ?, 0, ?)`);
  const insTool = db.prepare('INSERT INTO tool_uses (session_id, tool_use_id, name, used_at, is_error, agent_id) VALUES (?, ?, ?, ?, ?, ?)');
  const tools = ['Bash', 'Read', 'Edit', 'Grep', 'Write', 'Glob', 'Task'];
  const now = Date.now();
  db.transaction(() => {
    for (let s = 0; s < sessions; s++) {
      const sid = uuidOf(rand);
      const n = Math.floor(calls / sessions) + (s < calls % sessions ? 1 : 0);
      const t0 = now - 30 * 86_400_000 + Math.floor(rand() * 29 * 86_400_000);
      const branch = ['main', `feature-${s % 7}`][s % 2];
      const mainModel = MODELS[s % 3][0];
      const perModel = new Map();
      const rows = [];
      let t = t0;
      for (let i = 0; i < n; i++) {
        t += intIn(rand, 2_000, 40_000);
        const model = i % 5 === 4 ? 'claude-haiku-4-5' : mainModel; // a subagent's cheap calls beside the main model
        const u = usageOf(rand);
        const cost = costOf(model, u);
        const msg = `msg_${hexOf(rand, 24)}`;
        const req = `req_${hexOf(rand, 24)}`;
        rows.push([sid, new Date(t).toISOString(), model, u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens, msg, req, cost, i % 5 === 4 ? `a${hexOf(rand, 16)}` : null, `${msg}|${req}`, branch]);
        const pm = perModel.get(model) ?? { calls: 0, input: 0, output: 0, cw: 0, cr: 0, cost: 0 };
        pm.calls++;
        pm.input += u.input_tokens;
        pm.output += u.output_tokens;
        pm.cw += u.cache_creation_input_tokens;
        pm.cr += u.cache_read_input_tokens;
        pm.cost += cost;
        perModel.set(model, pm);
      }
      const nTools = Math.floor(toolUses / sessions) + (s < toolUses % sessions ? 1 : 0);
      const sum = (k) => [...perModel.values()].reduce((a, p) => a + p[k], 0);
      const models = Object.fromEntries(
        [...perModel].sort().map(([k, p]) => [k, { api_calls: p.calls, cost_usd: p.cost, input_tokens: p.input, output_tokens: p.output, cache_creation_tokens: p.cw, cache_read_tokens: p.cr, cache_1h_tokens: 0 }]),
      );
      insSession.run({
        session_id: sid,
        start_time: new Date(t0).toISOString(),
        end_time: new Date(t).toISOString(),
        cost: sum('cost'),
        duration: t - t0,
        api_duration: Math.floor((t - t0) / 3),
        lines_added: intIn(rand, 0, 2000),
        lines_removed: intIn(rand, 0, 800),
        commits: intIn(rand, 0, 6),
        tool_calls: nTools,
        cwd: `/home/${m.developer}/proj-${s % 5}`,
        transcript_path: `/home/${m.developer}/.claude/projects/-home-${m.developer}-proj-${s % 5}/${sid}.jsonl`,
        input_tokens: sum('input'),
        output_tokens: sum('output'),
        cache_creation_tokens: sum('cw'),
        cache_read_tokens: sum('cr'),
        api_calls: sum('calls'),
        models: JSON.stringify(models),
        git_branch: branch,
      });
      for (const r of rows) insCall.run(...r);
      for (const [model, p] of perModel) insModel.run(sid, model, p.calls, p.input, p.output, p.cw, p.cr, p.cost);
      for (let i = 0; i < nTools; i++) {
        insTool.run(sid, `toolu_${hexOf(rand, 24)}`, tools[intIn(rand, 0, tools.length - 1)], new Date(t0 + i * 30_000).toISOString(), rand() < 0.05 ? 1 : 0, null);
      }
    }
  })();
  const outbox = db.prepare('SELECT count(*) FROM sync_outbox').pluck().get();
  db.close();
  return outbox;
}

// ---------------------------------------------------------------------------------------------
// Live sessions: transcripts that gain a turn, and the Stop payload a hook would spool for it

function newLiveSession(m, rand) {
  const id = uuidOf(rand);
  const s = { id, file: path.join(m.projects, `${id}.jsonl`), cwd: `/home/${m.developer}/proj`, model: MODELS[m.index % 3][0], last: null, rand, turns: 0 };
  fs.writeFileSync(s.file, '');
  m.live.push(s);
  return s;
}

/** One turn (a prompt, a tool_use call, its result, a text answer: two API calls, one tool use) appended to the session's transcript. Returns the two call keys. */
function appendTurn(s, nowMs = Date.now()) {
  const r = s.rand;
  s.turns++;
  const ts = (d) => new Date(nowMs + d).toISOString();
  const common = { isSidechain: false, userType: 'external', entrypoint: 'cli', cwd: s.cwd, sessionId: s.id, version: '2.1.332', gitBranch: 'main' };
  const [u1, a1, u2, a2] = [uuidOf(r), uuidOf(r), uuidOf(r), uuidOf(r)];
  const [msgA, reqA, msgB, reqB, tool] = [`msg_${hexOf(r, 24)}`, `req_${hexOf(r, 24)}`, `msg_${hexOf(r, 24)}`, `req_${hexOf(r, 24)}`, `toolu_${hexOf(r, 24)}`];
  const usage = () => {
    const u = usageOf(r);
    return { ...u, cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: u.cache_creation_input_tokens }, service_tier: 'standard' };
  };
  const lines = [
    { parentUuid: s.last, ...common, promptId: uuidOf(r), type: 'user', message: { role: 'user', content: `step ${s.turns}: run the tests and fix what fails` }, uuid: u1, timestamp: ts(-40) },
    {
      parentUuid: u1,
      ...common,
      message: { id: msgA, type: 'message', role: 'assistant', model: s.model, content: [{ type: 'tool_use', id: tool, name: 'Bash', input: { command: 'npm test', description: 'Run the tests' } }], stop_reason: 'tool_use', stop_sequence: null, usage: usage() },
      requestId: reqA,
      type: 'assistant',
      uuid: a1,
      timestamp: ts(-30),
    },
    {
      parentUuid: a1,
      ...common,
      type: 'user',
      message: { role: 'user', content: [{ tool_use_id: tool, type: 'tool_result', content: 'all 212 tests passed', is_error: false }] },
      uuid: u2,
      timestamp: ts(-15),
      toolUseResult: { stdout: 'all 212 tests passed', stderr: '', interrupted: false, isImage: false },
      sourceToolAssistantUUID: a1,
    },
    {
      parentUuid: u2,
      ...common,
      message: { id: msgB, type: 'message', role: 'assistant', model: s.model, content: [{ type: 'text', text: 'The tests pass.' }], stop_reason: 'end_turn', stop_sequence: null, usage: usage() },
      requestId: reqB,
      type: 'assistant',
      uuid: a2,
      timestamp: ts(0),
    },
  ];
  s.last = a2;
  fs.appendFileSync(s.file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return [`${msgA}|${reqA}`, `${msgB}|${reqB}`];
}

let spoolCounter = 0;
/** A Stop payload as the hook leaves it: temp file, fsync, rename into incoming/, folder fsync. Returns Date.now() after the rename. */
function spoolStop(m, s) {
  const incoming = path.join(m.spool, 'incoming');
  fs.mkdirSync(incoming, { recursive: true, mode: 0o700 });
  const id = `${String(Date.now()).padStart(13, '0')}-${process.pid}-${(++spoolCounter).toString(16).padStart(6, '0')}${crypto.randomBytes(3).toString('hex')}`;
  const final = path.join(incoming, `${id}.json`);
  const temp = `${final}.${process.pid}`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify({ session_id: s.id, transcript_path: s.file, cwd: s.cwd, permission_mode: 'default', hook_event_name: 'Stop', stop_hook_active: false }));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, final);
  const at = Date.now();
  const dfd = fs.openSync(incoming, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
  return at;
}

/**
 * The SQL one Stop on a known session writes, as apply.ts (the session touched), figures.ts (each new call, its model's
 * running totals, the new tool use) and session-row.ts (the session's figures) do: a transaction function (session id,
 * model, time) for better-sqlite3 (`.immediate()` for one Stop per transaction).
 */
function stopStatements(db, rand) {
  const touch = db.prepare('UPDATE sessions SET end_time = ? WHERE session_id = ?');
  const call = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
    message_id, request_id, cache_creation_1h_tokens, cost_usd, agent_id, call_key, git_branch) VALUES (?, ?, ?, 1200, 300, 3000, 15000, ?, ?, 0, 0.02, NULL, ?, 'main')`);
  const model = db.prepare(`UPDATE session_models SET api_calls = api_calls + 1, input_tokens = input_tokens + 1200, output_tokens = output_tokens + 300,
    cache_creation_tokens = cache_creation_tokens + 3000, cache_read_tokens = cache_read_tokens + 15000, cost_usd = cost_usd + 0.02 WHERE session_id = ? AND model = ?`);
  const tool = db.prepare("INSERT INTO tool_uses (session_id, tool_use_id, name, used_at, is_error, agent_id) VALUES (?, ?, 'Bash', ?, 0, NULL)");
  const totals = db.prepare(`UPDATE sessions SET input_tokens = input_tokens + 2400, output_tokens = output_tokens + 600, cache_creation_tokens = cache_creation_tokens + 6000,
    cache_read_tokens = cache_read_tokens + 30000, api_calls = api_calls + 2, total_cost_usd = total_cost_usd + 0.04, tool_calls = tool_calls + 1, end_time = ? WHERE session_id = ?`);
  return db.transaction((sessionId, modelName, at) => {
    touch.run(at, sessionId);
    for (let c = 0; c < 2; c++) {
      const msg = `msg_${hexOf(rand, 24)}`;
      const req = `req_${hexOf(rand, 24)}`;
      call.run(sessionId, at, modelName, msg, req, `${msg}|${req}`);
      model.run(sessionId, modelName);
    }
    tool.run(sessionId, `toolu_${hexOf(rand, 24)}`, at);
    totals.run(at, sessionId);
  });
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Runs the built CLI to its end: wall time, and through /usr/bin/time (when there) its peak RSS and CPU. */
function runCli(args) {
  return new Promise((resolve) => {
    const timeFile = path.join(tmp, `time-${crypto.randomBytes(4).toString('hex')}`);
    const [cmd, argv] = TIME ? [TIME, ['-f', '%M %U %S', '-o', timeFile, process.execPath, CLI, ...args]] : [process.execPath, [CLI, ...args]];
    const t0 = performance.now();
    const child = spawn(cmd, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let hwm = NaN;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Without /usr/bin/time: the peak as last seen in /proc (the node process is the child itself).
    const sampler = TIME ? null : setInterval(() => (hwm = Math.max(Number.isNaN(hwm) ? 0 : hwm, procMem(child.pid).hwm || 0)), 50);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      children.delete(child);
      if (sampler) clearInterval(sampler);
      let rssKb = hwm;
      let cpu = NaN;
      if (TIME) {
        const [k, u, s] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
        rssKb = k;
        cpu = u + s;
        fs.rmSync(timeFile, { force: true });
      }
      resolve({ code, stdout, stderr, wallMs, rssKb, cpu });
    });
  });
}

/** A watching worker of the built CLI, JSON logs parsed as they come. */
async function startWorker(m, extra = []) {
  const child = spawn(process.execPath, [CLI, 'worker', '--spool', m.spool, '--db', m.db, '--log-format', 'json', ...extra], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  const w = { m, child, batches: [], pushes: [], bad: [], lines: 0, waiters: [], exited: new Promise((r) => child.on('exit', (code, signal) => r({ code, signal }))) };
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    pending += d;
    const parts = pending.split('\n');
    pending = parts.pop();
    for (const line of parts) {
      let o;
      try {
        o = JSON.parse(line);
      } catch {
        w.bad.push(line);
        continue;
      }
      o.t = Date.parse(o.time);
      o.seenAt = Date.now();
      if (o.msg === 'batch applied') w.batches.push(o);
      else if (o.msg === 'sync pushed') w.pushes.push(o);
      else if (o.level === 'warn' || o.level === 'error') w.bad.push(line);
      else if (o.msg === 'worker ready') w.ready = true;
      for (const waiter of [...w.waiters]) waiter();
    }
  });
  await waitFor(() => w.ready, 20_000, () => `${m.name}'s worker never became ready`);
  return w;
}
function waitFor(cond, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out: ${what()}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}
async function stopWorker(w) {
  w.child.kill('SIGTERM');
  const { code, signal } = await w.exited;
  children.delete(w.child);
  if (code !== 0) problems.push(`${w.m.name}'s worker exited ${code ?? signal} on SIGTERM`);
  if (w.bad.length) problems.push(`${w.m.name}'s worker logged ${w.bad.length} warning/error line(s), first: ${w.bad[0].slice(0, 300)}`);
}

/** Each Stop's local commit: the worker's 'batch applied' lines (logged right after COMMIT) taken in order, `applied` Stops each. */
function assignLocalCommits(w, stops) {
  let i = 0;
  for (const b of w.batches) {
    for (let k = 0; k < b.applied && i < stops.length; k++) stops[i++].localAt = b.t;
  }
  const applied = w.batches.reduce((a, b) => a + b.applied, 0);
  if (applied !== stops.length) problems.push(`${w.m.name}: the worker applied ${applied} payloads for ${stops.length} Stops spooled`);
}

/** Central commit time (ms since epoch, µs precision) of every call of the given sessions: PostgreSQL's commit timestamp of the row's transaction. */
async function centralCommits(client, sessionIds) {
  const r = await client.query(
    `SELECT session_id, call_key, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 * 1000 AS at
     FROM claude_metrics.token_usage WHERE session_id = ANY($1::text[])`,
    [sessionIds],
  );
  return new Map(r.rows.map((row) => [`${row.session_id} ${row.call_key}`, row.at]));
}

/** Waits until every call of `stops` is in the team database. */
async function waitCentral(client, stops, timeoutMs) {
  const s = stops.flatMap((x) => x.callKeys.map(() => x.session.id));
  const k = stops.flatMap((x) => x.callKeys);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await client.query(
      `SELECT count(*)::int AS n FROM claude_metrics.token_usage t JOIN unnest($1::text[], $2::text[]) AS p(s, k) ON t.session_id = p.s AND t.call_key = p.k`,
      [s, k],
    );
    if (r.rows[0].n === k.length) return true;
    if (Date.now() > deadline) {
      problems.push(`only ${r.rows[0].n} of ${k.length} calls reached the team database within ${timeoutMs / 1000} s`);
      return false;
    }
    await sleepMs(100);
  }
}

function delays(stops, central) {
  for (const x of stops) {
    const ats = x.callKeys.map((k) => central.get(`${x.session.id} ${k}`));
    x.centralAt = ats.some((a) => a === undefined) ? NaN : Math.max(...ats);
  }
  const ok = stops.filter((x) => Number.isFinite(x.centralAt) && Number.isFinite(x.localAt));
  return {
    n: ok.length,
    commit: ok.map((x) => x.centralAt - x.localAt),
    local: ok.map((x) => x.localAt - x.spooledAt),
    spool: ok.map((x) => x.centralAt - x.spooledAt),
  };
}
const dist = (xs) => [fmtMs(pct(xs, 50)), fmtMs(pct(xs, 90)), fmtMs(pct(xs, 99)), fmtMs(Math.max(...xs))];

// ---------------------------------------------------------------------------------------------

const { startPostgres } = await tsImport('../test/support/postgres.ts', import.meta.url);
const team = await tsImport('../test/support/team.ts', import.meta.url);

let server;
let client;
try {
  const cpus = os.cpus();
  console.log(`machine: ${cpus.length} CPUs (${cpus[0]?.model.trim()}), ${os.type()} ${os.release()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`load average at start: ${loads()} (a shared machine: other work runs beside this bench)`);
  server = await startPostgres();
  // The central commit time of each row, for the steady state's delays (pg_xact_commit_timestamp).
  await server.psql('ALTER SYSTEM SET track_commit_timestamp = on');
  await server.restart();
  await server.createDatabase('team');
  const url = server.url('team');
  client = new pg.Client({ connectionString: url });
  await client.connect();
  const pgVersion = (await client.query('SHOW server_version')).rows[0].server_version;
  console.log(`PostgreSQL ${pgVersion} (test/support/postgres.ts: 127.0.0.1, fsync off, track_commit_timestamp on), on the same 2 cores`);

  const syncArgs = (m, extra = []) => ['sync', '--once', '--json', '--postgres', url, '--db', m.db, '--machine', m.machine, '--developer', m.developer, ...extra];

  // The central schema, made once by a first push of an empty database (not part of any figure).
  const empty = makeMachine('empty', 0);
  const made = await runCli(syncArgs(empty));
  if (made.code !== 0) throw new Error(`the first push (schema) failed: ${made.stderr}`);

  const fleet = [];
  let reference;
  if (ONLY.has(1) || ONLY.has(2) || ONLY.has(3)) {
    const t0 = performance.now();
    let outboxRows = 0;
    for (let i = 0; i <= MACHINES; i++) {
      const m = makeMachine(`m${String(i).padStart(2, '0')}`, i);
      outboxRows += fillHistory(m, 1000 + i);
      if (i === 0) reference = m;
      else fleet.push(m);
    }
    console.log(`${MACHINES} + 1 local databases (schema 10 by 'worker --drain', then ${fmtN(CALLS)} calls over ${SESSIONS} sessions, ${SESSIONS} sessions, their session_models, ${fmtN(TOOL_USES)} tool uses each, by SQL): ${fmtN(outboxRows / (MACHINES + 1))} outbox entries each, built in ${fmtS(performance.now() - t0)}`);
  }

  // ---- 1. Bulk ----
  if (ONLY.has(1) || ONLY.has(2) || ONLY.has(3)) {
    const measured = ONLY.has(1);
    if (measured) section(`1. Bulk: ${MACHINES} 'sync --once' processes at once, ${fmtN(CALLS)} calls per machine`);
    const alone = await runCli(syncArgs(reference));
    if (alone.code !== 0) throw new Error(`sync --once of ${reference.name} failed: ${alone.stderr}`);
    const aloneRows = JSON.parse(alone.stdout).rows;
    const cpu0 = pgCpuSeconds(server);
    const t0 = performance.now();
    const results = await Promise.all(fleet.map((m) => runCli(syncArgs(m))));
    const wallMs = performance.now() - t0;
    const pgCpu = pgCpuSeconds(server) - cpu0;
    let rows = 0;
    for (const [i, r] of results.entries()) {
      if (r.code !== 0) problems.push(`sync --once of ${fleet[i].name} exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
      else rows += JSON.parse(r.stdout).rows;
    }
    const central = (await client.query('SELECT sum(rows_applied)::float8 AS rows, count(*)::int AS replicas FROM claude_metrics.replicas')).rows[0];
    // The team database holds exactly the local figures (plain SQL on both sides, test/support/team.ts).
    try {
      team.assertSameFigures(await team.centralFigures(url), team.sumFigures([reference, ...fleet].map((m) => team.localFigures(m.db))), 'team database after the bulk push');
    } catch (err) {
      problems.push(err.message);
    }
    if (measured) {
      const walls = results.map((r) => r.wallMs);
      const rss = results.map((r) => r.rssKb);
      const cpu = results.map((r) => r.cpu);
      table(
        ['figure', 'value'],
        [
          [`rows applied centrally by the ${MACHINES} pushers`, `${fmtN(rows)} (replicas hold ${fmtN(central.rows)} with the reference's; figures equal the local ones)`],
          ['wall time, first spawn to last exit', fmtS(wallMs)],
          ['rows/s applied centrally, all at once', fmtN(rows / (wallMs / 1000))],
          ['one pusher\'s wall time: median / max', `${fmtS(median(walls))} / ${fmtS(Math.max(...walls))}`],
          ['one pusher\'s CPU (user+sys): median', TIME ? `${median(cpu).toFixed(2)} s` : 'n/a'],
          [`one pusher's peak RSS (${TIME ? '/usr/bin/time %M' : 'VmHWM sampled every 50 ms'}): median / max`, `${fmtMiB(median(rss))} / ${fmtMiB(Math.max(...rss))}`],
          ['PostgreSQL CPU during the push (all its processes)', `${pgCpu.toFixed(1)} s (${((pgCpu / (wallMs / 1000)) * 100).toFixed(0)} % of one core)`],
          ['reference: one machine alone (sync --once)', `${fmtN(aloneRows)} rows in ${fmtS(alone.wallMs)}: ${fmtN(aloneRows / (alone.wallMs / 1000))} rows/s, peak RSS ${fmtMiB(alone.rssKb)}`],
        ],
      );
      console.log(`  load average after: ${loads()}`);
    }
  }

  // ---- 2. Steady state ----
  if (ONLY.has(2)) {
    section(`2. Steady state: ${MACHINES} watching 'worker --postgres', one Stop per machine every ${STEADY_MIN_MS}-${STEADY_MAX_MS} ms, ${STEADY_SECONDS} s`);
    const workers = [];
    for (const m of fleet) workers.push(await startWorker(m, ['--postgres', url, '--machine', m.machine, '--developer', m.developer]));
    await sleepMs(1500); // each pusher's first look (connect, nothing to push)
    const mem0 = workers.map((w) => procMem(w.child.pid));
    const cpuW0 = workers.map((w) => procStat(w.child.pid)?.cpu ?? NaN);
    const cpuPg0 = pgCpuSeconds(server);
    const cpuSelf0 = process.cpuUsage();
    const stops = workers.map(() => []);
    const started = Date.now();
    const end = started + STEADY_SECONDS * 1000;
    await Promise.all(
      workers.map(async (w, i) => {
        const rand = rng(5000 + i);
        for (let k = 0; k < LIVE_SESSIONS; k++) newLiveSession(w.m, rand);
        await sleepMs(intIn(rand, 0, STEADY_MAX_MS)); // machines out of phase
        for (let n = 0; Date.now() < end; n++) {
          const session = w.m.live[n % LIVE_SESSIONS];
          const callKeys = appendTurn(session);
          const spooledAt = spoolStop(w.m, session);
          stops[i].push({ session, callKeys, spooledAt, warm: spooledAt >= started + WARMUP_SECONDS * 1000 });
          await sleepMs(intIn(rand, STEADY_MIN_MS, STEADY_MAX_MS));
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const all = stops.flat();
    await waitCentral(client, all, 60_000);
    const cpuPg = pgCpuSeconds(server) - cpuPg0;
    const cpuSelf = process.cpuUsage(cpuSelf0);
    const cpuW = workers.map((w, i) => (procStat(w.child.pid)?.cpu ?? NaN) - cpuW0[i]);
    const mem1 = workers.map((w) => procMem(w.child.pid));
    for (const w of workers) await stopWorker(w);
    workers.forEach((w, i) => assignLocalCommits(w, stops[i]));
    const central = await centralCommits(client, fleet.flatMap((m) => m.live.map((s) => s.id)));
    const d = delays(all.filter((x) => x.warm), central);
    const pushes = workers.flatMap((w) => w.pushes);
    const pushRows = pushes.reduce((a, p) => a + p.rows, 0);
    table(
      ['figure', 'p50', 'p90', 'p99', 'max'],
      [
        [`local commit -> central commit (${d.n} Stops)`, ...dist(d.commit)],
        ['  Stop spooled -> local commit', ...dist(d.local)],
        ['  Stop spooled -> central commit', ...dist(d.spool)],
        [`one push (${pushes.length} pushes, 'sync pushed' ms=)`, ...dist(pushes.map((p) => p.ms))],
        ['  rows per push', ...[50, 90, 99].map((p) => String(pct(pushes.map((x) => x.rows), p))), String(Math.max(...pushes.map((x) => x.rows)))],
      ],
    );
    const rssStart = mem0.map((x) => x.rss);
    const rssEnd = mem1.map((x) => x.rss);
    const hwm = mem1.map((x) => x.hwm);
    table(
      ['figure', 'value'],
      [
        ['Stops spooled (after the first 3 s, counted above)', `${all.length} in ${elapsed.toFixed(1)} s (${d.n})`],
        ['rows applied centrally', `${fmtN(pushRows)} (${fmtN(pushRows / elapsed)} rows/s, ${(pushRows / all.length).toFixed(1)} per Stop)`],
        ['worker RSS after start: median / max', `${fmtMiB(median(rssStart))} / ${fmtMiB(Math.max(...rssStart))}`],
        ['worker RSS at the end: median / max', `${fmtMiB(median(rssEnd))} / ${fmtMiB(Math.max(...rssEnd))}`],
        ['worker peak RSS (VmHWM): median / max', `${fmtMiB(median(hwm))} / ${fmtMiB(Math.max(...hwm))}`],
        [`CPU: the ${MACHINES} workers (apply + push)`, `${cpuW.reduce((a, b) => a + b, 0).toFixed(1)} s (${((cpuW.reduce((a, b) => a + b, 0) / elapsed) * 100).toFixed(0)} % of one core; per worker median ${median(cpuW).toFixed(2)} s)`],
        ['CPU: PostgreSQL', `${cpuPg.toFixed(1)} s (${((cpuPg / elapsed) * 100).toFixed(0)} % of one core)`],
        ['CPU: this driver (transcripts, spool)', `${((cpuSelf.user + cpuSelf.system) / 1e6).toFixed(1)} s`],
      ],
    );
    console.log(`  the delay includes the pusher's settle time (200 ms: what commits meanwhile goes in the same push); load average after: ${loads()}`);
  }

  // ---- 3. A busy machine ----
  if (ONLY.has(3)) {
    const m = fleet[0];
    section(`3. A busy machine: one worker committing a Stop every ~${BUSY_INTERVAL_MS} ms for ${BUSY_SECONDS} s (the pusher's settle time: 200 ms)`);
    const w = await startWorker(m, ['--postgres', url, '--machine', m.machine, '--developer', m.developer]);
    await sleepMs(1500);
    const rand = rng(7000);
    const session = newLiveSession(m, rand);
    const stops = [];
    const started = Date.now();
    while (Date.now() < started + BUSY_SECONDS * 1000) {
      const callKeys = appendTurn(session);
      stops.push({ session, callKeys, spooledAt: spoolStop(m, session) });
      await sleepMs(intIn(rand, BUSY_INTERVAL_MS - 20, BUSY_INTERVAL_MS + 20));
    }
    const burstEnd = Date.now();
    await waitCentral(client, stops, 60_000);
    await stopWorker(w);
    assignLocalCommits(w, stops);
    const d = delays(stops, await centralCommits(client, [session.id]));
    const gaps = w.batches.slice(1).map((b, i) => b.t - w.batches[i].t);
    const during = w.pushes.filter((p) => p.t < burstEnd);
    table(
      ['figure', 'value'],
      [
        ['Stops spooled, batches committed', `${stops.length}, ${w.batches.length} (gap between commits: median ${fmtMs(median(gaps))}, max ${fmtMs(Math.max(...gaps))})`],
        ['pushes while the Stops kept coming', `${during.length}`],
        ['pushes in all', `${w.pushes.length} (${w.pushes.reduce((x, p) => x + p.rows, 0)} rows, ${median(w.pushes.map((p) => p.rows))} per push at the median)`],
        ['local commit -> central commit: p50 / p99 / max', `${fmtMs(pct(d.commit, 50))} / ${fmtMs(pct(d.commit, 99))} / ${fmtMs(Math.max(...d.commit))}`],
      ],
    );
  }

  // ---- 4. The Stop path with and without sync ----
  if (ONLY.has(4)) {
    section('4. The Stop path: the local apply with and without the outbox, with and without a pusher');
    const dropTriggers = (m) => {
      const db = new Database(m.db);
      const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync_outbox_%'").pluck().all();
      for (const n of names) db.exec(`DROP TRIGGER ${n}`);
      db.close();
      return names.length;
    };
    const maxSeq = (m) => {
      const db = new Database(m.db, { readonly: true });
      try {
        return db.prepare('SELECT COALESCE(MAX(seq), 0) FROM sync_outbox').pluck().get();
      } finally {
        db.close();
      }
    };
    /** A machine with the bulk history and `n` live sessions, each with one turn applied already (their reading state saved). */
    const prepare = (name, n, seed) => {
      const m = makeMachine(name, 1);
      fillHistory(m, seed);
      const rand = rng(seed + 1);
      for (let i = 0; i < n; i++) {
        const s = newLiveSession(m, rand);
        appendTurn(s);
        spoolStop(m, s);
      }
      const r = spawnSync(process.execPath, [CLI, 'worker', '--drain', '--spool', m.spool, '--db', m.db], { encoding: 'utf8', env: childEnv });
      if (r.status !== 0) throw new Error(`the first drain of ${name} failed: ${r.stderr}`);
      return m;
    };

    // 4a. worker --drain of DRAIN_STOPS Stops (one new turn in each of as many sessions), with and without the triggers.
    const withOutbox = prepare('drain-outbox', DRAIN_STOPS, 9000);
    const without = prepare('drain-no-outbox', DRAIN_STOPS, 9000);
    const dropped = dropTriggers(without);
    const variants = [
      { name: 'outbox (schema 10)', m: withOutbox, batch: [], wall: [], cpu: [] },
      { name: `no outbox (${dropped} triggers dropped)`, m: without, batch: [], wall: [], cpu: [] },
    ];
    const seq0 = maxSeq(withOutbox);
    let lastRoundSeq = seq0;
    for (let round = 0; round < DRAIN_ROUNDS; round++) {
      for (let j = 0; j < variants.length; j++) {
        const v = variants[(round + j) % variants.length];
        if (v.m === withOutbox) lastRoundSeq = maxSeq(withOutbox);
        for (const s of v.m.live) {
          appendTurn(s);
          spoolStop(v.m, s);
        }
        const timeFile = path.join(tmp, 'drain-time');
        const argv = [CLI, 'worker', '--drain', '--spool', v.m.spool, '--db', v.m.db, '--log-format', 'json'];
        const t0 = performance.now();
        const r = TIME ? spawnSync(TIME, ['-f', '%U %S', '-o', timeFile, process.execPath, ...argv], { encoding: 'utf8', env: childEnv }) : spawnSync(process.execPath, argv, { encoding: 'utf8', env: childEnv });
        const wall = performance.now() - t0;
        if (TIME) v.cpu.push(fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number).reduce((x, y) => x + y, 0) * 1000);
        const lines = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l));
        const batches = lines.filter((l) => l.msg === 'batch applied');
        const applied = batches.reduce((a, b) => a + b.applied, 0);
        if (r.status !== 0 || applied !== v.m.live.length) problems.push(`4a ${v.name}: drain exited ${r.status}, applied ${applied} of ${v.m.live.length}`);
        v.batch.push(batches.reduce((a, b) => a + b.ms, 0));
        v.wall.push(wall);
      }
    }
    const perStop = (ms) => (ms / DRAIN_STOPS) * 1000;
    const [a, b] = variants.map((v) => median(v.batch));
    const triggersPerStop = (maxSeq(withOutbox) - seq0) / (DRAIN_ROUNDS * DRAIN_STOPS);
    console.log(`  4a. 'worker --drain' of ${DRAIN_STOPS} Stops, each a new turn (2 calls, 1 tool use) in its own session, on a database with ${fmtN(CALLS)} calls of`);
    console.log(`      history; ${DRAIN_ROUNDS} rounds, the two alternating. batch = the 'batch applied' ms= (one transaction: transcript reads, SQL,`);
    console.log(`      commit); the drain process's wall time and CPU (user + system, /usr/bin/time) include Node's start and the migrations check`);
    table(
      ['variant', 'batch median', 'per Stop', 'process wall', 'process CPU'],
      variants.map((v) => [v.name, fmtMs(median(v.batch)), `${perStop(median(v.batch)).toFixed(0)} µs`, fmtMs(median(v.wall)), TIME ? fmtMs(median(v.cpu)) : 'n/a']),
    );
    const keys = (() => {
      const db = new Database(withOutbox.db, { readonly: true });
      try {
        return db.prepare('SELECT tbl, count(*) AS n FROM sync_outbox WHERE seq > ? GROUP BY tbl ORDER BY tbl').all(lastRoundSeq);
      } finally {
        db.close();
      }
    })();
    const [ca, cb] = variants.map((v) => median(v.cpu));
    console.log(`  outbox / no outbox: batch ${fmtRatio(a / b)} (${(perStop(a) - perStop(b)).toFixed(0)} µs per Stop)${TIME ? `, process CPU ${fmtRatio(ca / cb)} (${(perStop(ca) - perStop(cb)).toFixed(0)} µs per Stop)` : ''}`);
    console.log(`  outbox writes (trigger firings) per Stop: ${triggersPerStop.toFixed(1)}; rows they mark per Stop: ${keys.map((k) => `${k.tbl} ${(k.n / DRAIN_STOPS).toFixed(1)}`).join(', ')}`);

    // 4b. One Stop at a time into watching workers: the Stop path as it runs.
    const watchA = prepare('watch-outbox', LIVE_SESSIONS, 9100);
    const watchB = prepare('watch-no-outbox', LIVE_SESSIONS, 9100);
    const watchC = prepare('watch-pushing', LIVE_SESSIONS, 9100);
    dropTriggers(watchB);
    const pushedC = await runCli(syncArgs(watchC)); // its history is in the team database before the Stops
    if (pushedC.code !== 0) throw new Error(`sync --once of watch-pushing failed: ${pushedC.stderr}`);
    const wv = [
      { name: 'outbox, no pusher', w: await startWorker(watchA), ms: [], lat: [] },
      { name: 'no outbox, no pusher', w: await startWorker(watchB), ms: [], lat: [] },
      { name: 'outbox, worker --postgres', w: await startWorker(watchC, ['--postgres', url, '--machine', watchC.machine, '--developer', watchC.developer]), ms: [], lat: [] },
    ];
    await sleepMs(1500);
    const cpu0 = wv.map((v) => procStat(v.w.child.pid)?.cpu ?? NaN);
    const rand = rng(9200);
    for (let k = 0; k < WATCH_STOPS; k++) {
      for (let j = 0; j < wv.length; j++) {
        const v = wv[(k + j) % wv.length];
        const s = v.w.m.live[k % LIVE_SESSIONS];
        const before = v.w.batches.length;
        appendTurn(s);
        const at = spoolStop(v.w.m, s);
        await waitFor(() => v.w.batches.length > before, 10_000, () => `${v.name}: no batch for Stop ${k}`);
        const batch = v.w.batches[before];
        v.ms.push(batch.ms);
        v.lat.push(batch.t - at);
        await sleepMs(intIn(rand, 0, 150)); // the pusher's settle-then-push lands at varying points of later Stops
      }
    }
    const cpu = wv.map((v, i) => (procStat(v.w.child.pid)?.cpu ?? NaN) - cpu0[i]);
    const mem = wv.map((v) => procMem(v.w.child.pid));
    for (const v of wv) await stopWorker(v.w);
    const base = median(wv[1].ms);
    console.log(`\n  4b. one Stop at a time (a new turn in one of ${LIVE_SESSIONS} sessions) into three watching workers on identical databases,`);
    console.log(`      ${WATCH_STOPS} each, rotating; 0-150 ms between Stops. ms= of 'batch applied' (the transaction), and spooled -> committed`);
    table(
      ['worker', 'batch p50', 'p90', 'x no outbox', 'spooled->commit p50', 'p90', 'CPU', 'RSS / peak'],
      wv.map((v, i) => [
        v.name,
        fmtMs(median(v.ms)),
        fmtMs(pct(v.ms, 90)),
        fmtRatio(median(v.ms) / base),
        fmtMs(median(v.lat)),
        fmtMs(pct(v.lat, 90)),
        `${cpu[i].toFixed(2)} s`,
        `${fmtMiB(mem[i].rss)} / ${fmtMiB(mem[i].hwm)}`,
      ]),
    );
    const pushes = wv[2].w.pushes;
    console.log(`  the pushing worker pushed ${pushes.length} times (${pushes.reduce((x, p) => x + p.rows, 0)} rows; push ms= p50 ${fmtMs(median(pushes.map((p) => p.ms)))})`);

    // 4c. The outbox's own cost, in-process: the SQL one Stop on a known session writes (as apply.ts, figures.ts and
    // session-row.ts do: 2 calls, 2 session_models updates, 1 tool use, 2 sessions updates = 7 outbox trigger firings), on
    // two databases with the same history, with and without the outbox triggers: one Stop per transaction (a watching
    // worker's batch) and 200 in one transaction (a drain's). CPU time (process.cpuUsage) beside wall time, which holds
    // each commit's fsync and is noisy on a loaded machine; and the WAL pages each Stop writes (autocheckpoint off).
    // Round 0 is a warm-up; the last round counts the WAL pages.
    const micro = [];
    for (const [label, how] of [['outbox', null], ['no outbox', dropTriggers]]) {
      const m = makeMachine(`micro-${micro.length}`, 1);
      fillHistory(m, 9300);
      if (how) how(m);
      micro.push({ label, m, wall: [], cpu: [], bwall: [], bcpu: [], frames: 0 });
    }
    const MICRO_STOPS = 200;
    const MICRO_ROUNDS = 9;
    for (let round = 0; round <= MICRO_ROUNDS; round++) {
      for (const v of micro.map((_, k) => micro[(round + k) % micro.length])) {
        for (const mode of ['each', 'one', ...(round === MICRO_ROUNDS ? ['pages'] : [])]) {
          const db = new Database(v.m.db);
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = FULL');
          db.pragma('temp_store = MEMORY');
          if (mode === 'pages') {
            db.pragma('wal_checkpoint(TRUNCATE)');
            db.pragma('wal_autocheckpoint = 0');
          }
          const stop = stopStatements(db, rng(9400 + round * 7 + mode.length));
          const sessions = db.prepare('SELECT session_id, min(model) AS model FROM session_models GROUP BY session_id ORDER BY session_id').all();
          const at = (k) => [sessions[k % sessions.length].session_id, sessions[k % sessions.length].model, new Date().toISOString()];
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          if (mode === 'one') {
            db.transaction(() => {
              for (let k = 0; k < MICRO_STOPS; k++) stop(...at(k));
            }).immediate();
          } else {
            for (let k = 0; k < MICRO_STOPS; k++) stop.immediate(...at(k));
          }
          const wall = ((performance.now() - t0) / MICRO_STOPS) * 1000;
          const c = process.cpuUsage(c0);
          if (mode === 'pages') v.frames = (fs.statSync(`${v.m.db}-wal`).size - 32) / (4096 + 24) / MICRO_STOPS;
          else if (round > 0) {
            (mode === 'each' ? v.wall : v.bwall).push(wall);
            (mode === 'each' ? v.cpu : v.bcpu).push((c.user + c.system) / MICRO_STOPS);
          }
          db.close();
        }
      }
    }
    const [mo, mn] = micro;
    console.log(`\n  4c. in-process: the SQL one Stop writes (2 calls, 2 session_models updates, 1 tool use, 2 sessions updates: 7 outbox`);
    console.log(`      firings), ${MICRO_STOPS} Stops x ${MICRO_ROUNDS} rounds, alternating; one Stop per transaction (BEGIN IMMEDIATE .. COMMIT,`);
    console.log(`      synchronous=FULL: a watching worker) and ${MICRO_STOPS} in one (a drain); medians per Stop`);
    table(
      ['variant', '1 per tx: CPU', 'wall', 'WAL pages', `${MICRO_STOPS} per tx: CPU`, 'wall'],
      micro.map((v) => [v.label, `${median(v.cpu).toFixed(0)} µs`, `${median(v.wall).toFixed(0)} µs`, v.frames.toFixed(1), `${median(v.bcpu).toFixed(0)} µs`, `${median(v.bwall).toFixed(0)} µs`]),
    );
    console.log(`  the outbox, one Stop per transaction: +${(median(mo.cpu) - median(mn.cpu)).toFixed(0)} µs of CPU (x${fmtRatio(median(mo.cpu) / median(mn.cpu))}), +${(median(mo.wall) - median(mn.wall)).toFixed(0)} µs of wall time (x${fmtRatio(median(mo.wall) / median(mn.wall))}), +${(mo.frames - mn.frames).toFixed(1)} WAL pages`);
    console.log(`  (per firing ~${((median(mo.bcpu) - median(mn.bcpu)) / 7).toFixed(0)} µs of CPU: an upsert into sync_outbox's primary key and its seq index)`);
  }

  console.log(`\nload average at the end: ${loads()}`);
} finally {
  for (const c of children) c.kill('SIGKILL');
  await client?.end().catch(() => undefined);
  await server?.close();
  if (process.env.KEEP) console.log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
if (problems.length) {
  console.log(`\nPROBLEMS (${problems.length}):`);
  for (const p of problems) console.log(`  - ${p}`);
  process.exitCode = 1;
} else {
  console.log('\nno problem: every Stop applied once locally and present centrally, central figures equal to the local ones, every worker exited 0');
}
