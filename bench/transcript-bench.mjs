// Section 4 of the benchmarks (see bench/README.md): transcripts.
//   4a. builds a ~100 MB transcript from the real lines of the recorded Claude Code sessions
//       (main + subagent), repeated with fresh ids and timestamps moving forward, beside copies
//       of the recorded sessions themselves;
//   4b. times `claude-metrics import --drain` against `ccusage claude session --offline --json` on
//       that folder, side by side, and checks that both give the figures the generator wrote;
//   4c. times the worker's batch for one Stop on that transcript after one new turn, with
//       `worker --drain` per Stop (the target) and, for reference, into one watching worker.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensureCcusage } from './ccusage.mjs';
import { fmtMs, hrUs, listDir, mark, median, section, sleepMs, table } from './util.mjs';

const MB = 1024 * 1024;
const DAY_MS = 86_400_000;
const BIG_PROJECT = '-home-user-big';
const BIG_CWD = '/home/user/big';
const COST_REL_TOL = 1e-6;

// USD per million tokens, from /work/shared/docs/claude-code-facts.md (Prices table). Written out
// here, independently of src/worker/pricing.ts, so the bench checks the product instead of itself.
// [input, cache write 5 min, cache write 1 h, cache read, output]
const OPUS_45 = [5, 6.25, 10, 0.5, 25];
const OPUS_4 = [15, 18.75, 30, 1.5, 75];
const SONNET_4 = [3, 3.75, 6, 0.3, 15];
const SONNET_5 = [2, 2.5, 4, 0.2, 10];
const HAIKU_45 = [1, 1.25, 2, 0.1, 5];
const HAIKU_35 = [0.8, 1, 1.6, 0.08, 4];
const PRICES = {
  'claude-opus-4-5': OPUS_45,
  'claude-opus-4-6': OPUS_45,
  'claude-opus-4-7': OPUS_45,
  'claude-opus-4-8': OPUS_45,
  'claude-opus-4': OPUS_4,
  'claude-opus-4-1': OPUS_4,
  'claude-sonnet-4': SONNET_4,
  'claude-sonnet-4-5': SONNET_4,
  'claude-sonnet-4-6': SONNET_4,
  'claude-sonnet-5': SONNET_5,
  'claude-haiku-4-5': HAIKU_45,
  'claude-3-5-haiku': HAIKU_35,
};

function callCost(model, u) {
  const p = PRICES[model.replace(/-\d{8}$/, '')];
  if (!p) throw new Error(`the bench has no price for model ${model}`);
  const h1 = u.h1;
  return (u.input * p[0] + (u.cacheCreation - h1) * p[1] + h1 * p[2] + u.cacheRead * p[3] + u.output * p[4]) / 1e6;
}

const usageSum = (u) => u.input + u.output + u.cacheCreation + u.cacheRead;
const relDiff = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);
const fmtMB = (bytes) => `${(bytes / MB).toFixed(1)} MiB`;
const fmtUsd = (x) => (typeof x === 'number' ? `$${x.toFixed(6)}` : String(x));
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// 4a. The generator

/** The recorded sessions: their transcript files, ordered by first timestamp, and their ids. */
function loadFixture(projectsDir) {
  const files = [];
  const sessionIds = [];
  const agentIds = [];
  const mains = []; // `<project folder>/<session id>` of each main transcript
  for (const project of listDir(projectsDir).sort()) {
    const dir = path.join(projectsDir, project);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of listDir(dir).sort()) {
      if (!name.endsWith('.jsonl') || !fs.statSync(path.join(dir, name)).isFile()) continue;
      const sessionId = name.slice(0, -'.jsonl'.length);
      sessionIds.push(sessionId);
      mains.push(`${project}/${sessionId}`);
      files.push(path.join(dir, name));
      const subagents = path.join(dir, sessionId, 'subagents');
      for (const sub of listDir(subagents).sort()) {
        const m = /^agent-(.+)\.jsonl$/.exec(sub);
        if (!m) continue;
        agentIds.push(m[1]);
        files.push(path.join(subagents, sub));
      }
    }
  }
  if (files.length === 0) throw new Error(`no transcripts under ${projectsDir}`);
  const withLines = files.map((file) => {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const times = lines.map((l) => Date.parse(JSON.parse(l).timestamp ?? '')).filter((t) => !Number.isNaN(t));
    return { file, lines, first: Math.min(...times), last: Math.max(...times) };
  });
  withLines.sort((a, b) => a.first - b.first);
  return { files: withLines, sessionIds, agentIds, mains };
}

/**
 * Turns each real line into a template: the usage's `cache_creation` breakdown is made consistent
 * with `cache_creation_input_tokens` (1-hour share as recorded, 5-minute share = the rest; see
 * below), the cwd names the big project, and the line is cut into literal text and tokens to
 * replace per repetition (ids, timestamps).
 *
 * Why the breakdown: the recorded fixtures come from a stand-in Messages API whose breakdown is
 * often 0/0 beside a non-zero cache_creation_input_tokens. Real Claude Code transcripts carry a
 * breakdown that sums to the total. ccusage 20 counts cache-write tokens as the breakdown's sum
 * whenever the breakdown is present (the total only when it is absent) and prices the 1-hour share
 * at the 1-hour rate; this project counts the total and prices its 1-hour share at the 1-hour rate.
 * On consistent lines both rules give the same figures, 1-hour writes included.
 */
function buildTemplates(fixture) {
  const idRe = new RegExp(
    [
      '(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)',
      '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})',
      '((?:msg|req|toolu)_[0-9A-Za-z]+)',
      ...(fixture.agentIds.length ? [`\\b(${fixture.agentIds.map(escapeRe).join('|')})\\b`] : []),
    ].join('|'),
    'g',
  );
  const sessionIds = new Set(fixture.sessionIds);
  const agentIds = new Set(fixture.agentIds);
  const templates = [];
  let oneHourLines = 0;
  let oneHourTokens = 0;
  let fixedLines = 0;
  for (const { lines } of fixture.files) {
    for (const raw of lines) {
      const obj = JSON.parse(raw);
      const msg = obj.message && typeof obj.message === 'object' ? obj.message : null;
      let call = null;
      const toolUseIds = [];
      if (obj.type === 'assistant' && msg) {
        for (const b of Array.isArray(msg.content) ? msg.content : []) if (b?.type === 'tool_use' && typeof b.id === 'string') toolUseIds.push(b.id);
        if (msg.usage && typeof msg.usage === 'object' && msg.model !== '<synthetic>') {
          const u = msg.usage;
          const cc = u.cache_creation_input_tokens ?? 0;
          const h1 = Math.min(cc, u.cache_creation?.ephemeral_1h_input_tokens ?? 0);
          if (h1 > 0) {
            oneHourLines++;
            oneHourTokens += h1;
          }
          const h5 = cc - h1;
          if (u.cache_creation?.ephemeral_5m_input_tokens !== h5 || u.cache_creation?.ephemeral_1h_input_tokens !== h1) fixedLines++;
          u.cache_creation = { ...(u.cache_creation ?? {}), ephemeral_5m_input_tokens: h5, ephemeral_1h_input_tokens: h1 };
          call = {
            model: msg.model,
            messageId: msg.id,
            requestId: obj.requestId,
            usage: { input: u.input_tokens ?? 0, output: u.output_tokens ?? 0, cacheCreation: cc, cacheRead: u.cache_read_input_tokens ?? 0, h1 },
          };
        }
      }
      const text = JSON.stringify(obj).replace(/"cwd":"(?:[^"\\]|\\.)*"/g, `"cwd":"${BIG_CWD}"`);
      const parts = [];
      let last = 0;
      for (const m of text.matchAll(idRe)) {
        parts.push(text.slice(last, m.index));
        if (m[1]) parts.push({ t: 'ts', ms: Date.parse(m[1]) });
        else if (m[2] && sessionIds.has(m[2])) parts.push({ t: 'sid' });
        else if (m[2]) parts.push({ t: 'id', v: m[2], kind: 'uuid' });
        else if (m[3]) parts.push({ t: 'id', v: m[3], kind: m[3].slice(0, m[3].indexOf('_')) });
        else if (m[4] && agentIds.has(m[4])) parts.push({ t: 'id', v: m[4], kind: 'agent' });
        last = m.index + m[0].length;
      }
      parts.push(text.slice(last));
      templates.push({ type: obj.type, parts, call, toolUseIds, contentIsText: obj.type === 'user' && typeof msg?.content === 'string' });
    }
  }
  return { templates, oneHourLines, oneHourTokens, fixedLines };
}

/** Fresh ids of the same shape as the originals; one map per repetition. */
function freshId(kind) {
  switch (kind) {
    case 'uuid':
      return crypto.randomUUID();
    case 'agent':
      return `a${crypto.randomBytes(8).toString('hex')}`;
    default:
      return `${kind}_01${crypto.randomBytes(11).toString('hex')}`; // msg_, req_, toolu_
  }
}

function renderLine(tpl, ids, shiftMs, sessionId) {
  let out = '';
  for (const p of tpl.parts) {
    if (typeof p === 'string') out += p;
    else if (p.t === 'ts') out += new Date(p.ms + shiftMs).toISOString();
    else if (p.t === 'sid') out += sessionId;
    else {
      let v = ids.get(p.v);
      if (v === undefined) ids.set(p.v, (v = freshId(p.kind)));
      out += v;
    }
  }
  return out;
}

/**
 * Writes <claudeDir>/projects/-home-user-big/<uuid>.jsonl (the fixture's lines repeated with fresh
 * ids until it holds targetBytes) and returns what was written: the session's figures as
 * docs/metrics-spec.md defines them (usage deduplicated per message.id + requestId, keeping the
 * highest four-count sum), computed from the written lines, not from the product.
 */
function generateBigSession({ claudeDir, templates, fixture, targetBytes, expectedPerRep, endNow = false }) {
  const sessionId = crypto.randomUUID();
  const dir = path.join(claudeDir, 'projects', BIG_PROJECT);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${sessionId}.jsonl`);
  const t0 = Math.min(...fixture.files.map((f) => f.first));
  const t1 = Math.max(...fixture.files.map((f) => f.last));
  const repSpanMs = Math.ceil((t1 - t0) / 1000) * 1000 + 1000;
  // The whole session lies in the past, one repetition after another: starting two days ago, or
  // (endNow) ending about a minute ago, as a session still running would (its calls then fall in
  // today and in the current 5-hour block). The number of repetitions is estimated from one
  // rendered repetition; ids vary in length by a few bytes at most.
  let start = Date.now() - 2 * DAY_MS;
  if (endNow) {
    const oneRep = templates.reduce((a, tpl) => a + Buffer.byteLength(renderLine(tpl, new Map(), 0, sessionId)) + 1, 0);
    start = Date.now() - Math.ceil(targetBytes / oneRep) * repSpanMs - 60_000;
  }
  const shiftOf = (rep) => start - t0 + rep * repSpanMs;

  const calls = new Map(); // `${message.id}|${requestId}` -> { model, usage }
  const toolUses = new Set();
  const fd = fs.openSync(file, 'w', 0o600);
  let bytes = 0;
  let lines = 0;
  let reps = 0;
  try {
    while (bytes < targetBytes) {
      const ids = new Map();
      const shift = shiftOf(reps);
      let text = '';
      for (const tpl of templates) {
        text += `${renderLine(tpl, ids, shift, sessionId)}\n`;
        if (tpl.call) {
          const key = `${ids.get(tpl.call.messageId)}|${ids.get(tpl.call.requestId)}`;
          const prev = calls.get(key);
          if (!prev || usageSum(tpl.call.usage) > usageSum(prev.usage)) calls.set(key, { model: tpl.call.model, usage: tpl.call.usage });
        }
        for (const id of tpl.toolUseIds) toolUses.add(ids.get(id));
      }
      const buf = Buffer.from(text);
      fs.writeSync(fd, buf);
      bytes += buf.length;
      lines += templates.length;
      reps++;
    }
  } finally {
    fs.closeSync(fd);
  }
  const written = { api_calls: calls.size, tool_calls: toolUses.size, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, cost_usd: 0 };
  let oneHourPremium = 0; // what pricing the 1-hour writes at the 1-hour rather than the 5-minute rate adds
  for (const { model, usage } of calls.values()) {
    oneHourPremium += callCost(model, usage) - callCost(model, { ...usage, h1: 0 });
    written.input_tokens += usage.input;
    written.output_tokens += usage.output;
    written.cache_creation_tokens += usage.cacheCreation;
    written.cache_read_tokens += usage.cacheRead;
    written.cost_usd += callCost(model, usage);
  }
  // Not derivable from usage alone: the recorded sessions' own figures (expected.json), per repetition.
  for (const k of ['commits', 'lines_added', 'lines_removed']) written[k] = expectedPerRep[k] * reps;
  return { sessionId, file, bytes, lines, reps, repSpanMs, shiftOf, written, oneHourPremium };
}

// ---------------------------------------------------------------------------------------------
// Reading the results

const FIGURES = ['input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'cost_usd', 'api_calls', 'tool_calls', 'commits', 'lines_added', 'lines_removed'];

function dbFigures(dbPath, sessionIds) {
  const conn = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = conn.prepare(
      `SELECT session_id, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, total_cost_usd AS cost_usd,
         api_calls, tool_calls, commits, lines_added, lines_removed, cost_source FROM sessions WHERE session_id = ?`,
    );
    const rows = conn.prepare('SELECT count(*) FROM token_usage WHERE session_id = ?').pluck();
    const state = conn.prepare('SELECT length(state) FROM transcript_reads WHERE session_id = ?').pluck();
    const out = {};
    for (const sid of sessionIds) {
      const r = row.get(sid);
      out[sid] = r ? { ...r, token_usage_rows: rows.get(sid), state_bytes: state.get(sid) ?? 0 } : null;
    }
    return out;
  } finally {
    conn.close();
  }
}

const CCUSAGE_FIGURES = { input_tokens: 'inputTokens', output_tokens: 'outputTokens', cache_creation_tokens: 'cacheCreationTokens', cache_read_tokens: 'cacheReadTokens', cost_usd: 'totalCost' };

function sameFigure(key, a, b) {
  if (typeof a !== 'number' || typeof b !== 'number') return false;
  return key === 'cost_usd' ? relDiff(a, b) <= COST_REL_TOL : a === b;
}

// ---------------------------------------------------------------------------------------------

export async function benchTranscripts({ cfg, tmp, root, cliJs, problems, misses, cleanupProcs = new Set() }) {
  const fixtureRoot = process.env.BENCH_TRANSCRIPT_FIXTURES ?? DEFAULT_FIXTURES;
  const targetBytes = cfg.bigMb * MB;
  section(`4. Transcripts (${cfg.bigMb} MiB session: import vs ccusage, ${cfg.importRuns} runs each; one Stop after one new turn, ${cfg.stopRuns} times)`);
  const sectionStart = performance.now();
  const work = fs.mkdtempSync(path.join(tmp, 'transcripts-'));
  try {
    await run4({ cfg, root, cliJs, problems, misses, cleanupProcs, fixtureRoot, targetBytes, work });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`  section 4 took ${((performance.now() - sectionStart) / 1000).toFixed(1)} s (temporary files removed)`);
}

/**
 * 4a, also used by section 5 (bench/statusline-bench.mjs): a Claude Code home `<work>/claude`
 * holding the generated big session (projects/-home-user-big/<uuid>.jsonl, ~targetBytes) beside
 * copies of the recorded sessions, and `extraSessions` more sessions of one repetition each
 * (~55 kB, same project folder, ending about a minute ago) in `extra`.
 */
export function buildClaudeHome({ work, fixtureRoot = DEFAULT_FIXTURES, targetBytes, endNow = false, extraSessions = 0 }) {
  const projectsDir = path.join(fixtureRoot, 'projects');
  const claudeDir = path.join(work, 'claude');
  fs.mkdirSync(path.join(claudeDir, 'projects'), { recursive: true, mode: 0o700 });
  fs.cpSync(projectsDir, path.join(claudeDir, 'projects'), { recursive: true }); // the small sessions, as recorded
  const expected = JSON.parse(fs.readFileSync(path.join(fixtureRoot, 'expected.json'), 'utf8'));
  const fixture = loadFixture(projectsDir);
  const expectedPerRep = {};
  for (const k of ['commits', 'lines_added', 'lines_removed']) expectedPerRep[k] = Object.values(expected).reduce((a, s) => a + s[k], 0);
  const { templates, oneHourLines, oneHourTokens, fixedLines } = buildTemplates(fixture);
  const genStart = performance.now();
  const big = generateBigSession({ claudeDir, templates, fixture, targetBytes, expectedPerRep, endNow });
  const genMs = performance.now() - genStart;
  const extra = [];
  for (let i = 0; i < extraSessions; i++) extra.push(generateBigSession({ claudeDir, templates, fixture, targetBytes: 1, expectedPerRep, endNow: true }));
  const fixtureBytes = fixture.files.reduce((a, f) => a + fs.statSync(f.file).size, 0);
  return { claudeDir, projectsDir, expected, fixture, templates, oneHourLines, oneHourTokens, fixedLines, big, extra, genMs, fixtureBytes, smallSessions: fixture.sessionIds };
}

/** Where the recorded sessions come from (BENCH_TRANSCRIPT_FIXTURES overrides). */
export const DEFAULT_FIXTURES = '/work/shared/fixtures/claude-code-2.1.197';
export { BIG_PROJECT, BIG_CWD, fmtMB };

async function run4({ cfg, root, cliJs, problems, misses, cleanupProcs, fixtureRoot, targetBytes, work }) {
  // ---- 4a. Build the folder ----
  const { claudeDir, expected, fixture, templates, oneHourLines, oneHourTokens, fixedLines, big, genMs, fixtureBytes, smallSessions } = buildClaudeHome({ work, fixtureRoot, targetBytes });
  console.log(`  4a. generated ${path.join('<tmp>/claude/projects', BIG_PROJECT, `${big.sessionId}.jsonl`)} in ${fmtMs(genMs)}:`);
  console.log(`      ${fmtMB(big.bytes)} (${big.bytes.toLocaleString('en-US')} bytes), ${big.lines.toLocaleString('en-US')} lines = ${big.reps} repetitions of the ${templates.length} lines`);
  console.log(`      of ${fixture.files.length} recorded transcripts (${fixture.files.map((f) => path.basename(f.file)).join(', ')}; ${fixtureBytes.toLocaleString('en-US')} bytes)`);
  console.log(`      with fresh uuid/parentUuid/promptId, message.id, requestId, tool_use ids (and their tool_use_id), agent ids,`);
  console.log(`      timestamps moved ${big.repSpanMs / 1000} s forward per repetition; ${big.written.api_calls.toLocaleString('en-US')} API calls, ${big.written.tool_calls.toLocaleString('en-US')} tool calls.`);
  console.log(`      Beside it: the ${smallSessions.length} recorded sessions, copied unchanged (one with a subagent).`);
  console.log(`      1-hour cache writes kept (${oneHourLines} template line(s), ${oneHourTokens} tokens per repetition, priced at the 1-hour rate`);
  console.log(`      by the generator, by us and by ccusage 20). NOTE: in ${fixedLines} template line(s) the usage.cache_creation breakdown`);
  console.log(`      (0/0 from the recording's stand-in API) was made to sum to cache_creation_input_tokens, as in real transcripts:`);
  console.log(`      ccusage 20 counts the breakdown's sum where one is present, this project the total.`);

  // ---- 4b. import --drain vs ccusage ----
  const ccusageJs = ensureCcusage();
  // ccusage 20 also reads other agents' data (Codex, OpenCode, …) under HOME in its cross-agent
  // reports and auto-discovers a config file: it runs with HOME set to an empty folder, and with
  // its Claude-only report, so that it reads <tmp>/claude and nothing else.
  const ccHome = path.join(work, 'ccusage-home');
  fs.mkdirSync(ccHome, { mode: 0o700 });
  const ccusageEnv = { ...process.env, HOME: ccHome, CLAUDE_CONFIG_DIR: claudeDir, NO_COLOR: '1' };
  const ccVersion = spawnSync(process.execPath, [ccusageJs, '--version'], { encoding: 'utf8', env: ccusageEnv }).stdout.trim();
  const sessionsInFolder = smallSessions.length + 1;
  console.log('');
  console.log(`  4b. whole process, spawn -> exit, ${cfg.importRuns} runs each, order alternating; page cache warm (the file was just written):`);
  console.log(`      ours    : node dist/cli.js import --claude-dir <tmp>/claude --spool <fresh> --db <fresh> --drain`);
  console.log(`      ccusage : HOME=<tmp>/empty CLAUDE_CONFIG_DIR=<tmp>/claude ccusage claude session --offline --json   (${ccVersion || 'ccusage ?'};`);
  console.log(`                its Node launcher runs its native binary; 'claude session' is its Claude Code-only report)`);

  const oursRuns = [];
  const ccRuns = [];
  const runOurs = (k) => {
    const dir = path.join(work, `ours-${k}`);
    fs.mkdirSync(dir);
    const spool = path.join(dir, 'spool');
    const db = path.join(dir, 'metrics.db');
    const t0 = hrUs();
    const r = spawnSync(process.execPath, [cliJs, 'import', '--claude-dir', claudeDir, '--spool', spool, '--db', db, '--drain'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 << 20,
      encoding: 'utf8',
    });
    const ms = (hrUs() - t0) / 1000;
    const res = { k, ms, dir, spool, db, ok: true };
    const fail = (msg) => {
      res.ok = false;
      problems.push(`import run ${k}: ${msg}`);
    };
    if (r.error || r.status !== 0) fail(`exited ${r.status}${r.signal ? ` (${r.signal})` : ''}${r.error ? ` ${r.error.message}` : ''}: ${(r.stderr ?? '').trim().slice(-500)}`);
    const spooled = /(\d+) spooled/.exec(r.stdout ?? '');
    const drained = /drained: applied (\d+), dead-lettered (\d+)/.exec(r.stdout ?? '');
    if (!spooled || Number(spooled[1]) !== sessionsInFolder) fail(`expected '${sessionsInFolder} spooled' on stdout, got ${JSON.stringify((r.stdout ?? '').trim().slice(0, 300))}`);
    if (!drained || Number(drained[1]) !== sessionsInFolder) fail(`expected 'drained: applied ${sessionsInFolder}' on stdout, got ${JSON.stringify((r.stdout ?? '').trim().slice(0, 300))}`);
    const logged = (r.stderr ?? '').split('\n').filter((l) => l.trim() !== '');
    if (logged.length) fail(`logged ${logged.length} line(s), first: ${logged[0].slice(0, 300)}`);
    if (res.ok) {
      try {
        res.figures = dbFigures(db, [big.sessionId, ...smallSessions]);
      } catch (err) {
        fail(`cannot read the database: ${err.message}`);
      }
    }
    res.dbBytes = ['', '-wal'].reduce((a, s) => a + (fs.statSync(db + s, { throwIfNoEntry: false })?.size ?? 0), 0);
    return res;
  };
  const runCcusage = (k) => {
    const t0 = hrUs();
    const r = spawnSync(process.execPath, [ccusageJs, 'claude', 'session', '--offline', '--json'], { env: ccusageEnv, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, encoding: 'utf8' });
    const ms = (hrUs() - t0) / 1000;
    const res = { k, ms, ok: true };
    const fail = (msg) => {
      res.ok = false;
      problems.push(`ccusage run ${k}: ${msg}`);
    };
    if (r.error || r.status !== 0) fail(`exited ${r.status}${r.error ? ` ${r.error.message}` : ''}: ${(r.stderr ?? '').trim().slice(-500)}`);
    try {
      res.json = JSON.parse(r.stdout);
    } catch {
      fail(`stdout is not JSON: ${JSON.stringify((r.stdout ?? '').slice(0, 300))}`);
      return res;
    }
    // ccusage 20 names a session by its transcript's file name (the session id; a subagent's file
    // counts for its parent session) and gives the project folder as projectPath. Exactly our
    // sessions in exactly their folders, or it read another folder instead of, or as well as, ours.
    const sessions = Array.isArray(res.json.sessions) ? res.json.sessions : [];
    const names = sessions.map((s) => `${s.projectPath}/${s.sessionId}`).sort();
    const want = [`${BIG_PROJECT}/${big.sessionId}`, ...fixture.mains].sort();
    res.names = names;
    if (JSON.stringify(names) !== JSON.stringify(want)) fail(`did not read exactly <tmp>/claude: sessions ${JSON.stringify(names)}, expected ${JSON.stringify(want)}`);
    res.big = sessions.find((s) => s.sessionId === big.sessionId);
    if (!res.big) fail(`no ${big.sessionId} (the big session) in its output`);
    return res;
  };
  for (let k = 1; k <= cfg.importRuns; k++) {
    if (k % 2 === 1) {
      oursRuns.push(runOurs(k));
      ccRuns.push(runCcusage(k));
    } else {
      ccRuns.push(runCcusage(k));
      oursRuns.push(runOurs(k));
    }
    // Keep only the last import's folder (section 4c continues from its database).
    if (k < cfg.importRuns) fs.rmSync(oursRuns.at(-1).dir, { recursive: true, force: true });
  }
  table(
    ['run (first to run)', 'ours: import --drain', 'ccusage claude session', 'ours / ccusage'],
    oursRuns.map((o, i) => [`${o.k} (${o.k % 2 === 1 ? 'ours' : 'ccusage'})`, fmtMs(o.ms), fmtMs(ccRuns[i].ms), (o.ms / ccRuns[i].ms).toFixed(3)]),
  );
  const oursMed = median(oursRuns.map((r) => r.ms));
  const ccMed = median(ccRuns.map((r) => r.ms));
  const ratio = oursMed / ccMed;
  console.log('');
  table(
    ['figure', 'ours', 'ccusage', 'target', ''],
    [
      ['median wall time', fmtMs(oursMed), fmtMs(ccMed), '', ''],
      ['MiB/s of the big transcript (at median)', (big.bytes / MB / (oursMed / 1000)).toFixed(1), (big.bytes / MB / (ccMed / 1000)).toFixed(1), '', ''],
      ['ratio ours / ccusage (of medians)', Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a', '', '<= 0.50', mark(ratio <= 0.5)],
    ],
  );
  if (!(ratio <= 0.5)) misses.push(`import/ccusage ${Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a'} > 0.50`);
  const lastOurs = oursRuns.at(-1);
  const bigRow = lastOurs.figures?.[big.sessionId];
  if (bigRow) {
    console.log(
      `  our database after import: ${fmtMB(lastOurs.dbBytes)} (with WAL); big session: ${bigRow.token_usage_rows.toLocaleString('en-US')} token_usage rows, ` +
        `transcript_reads.state ${fmtMB(bigRow.state_bytes)} of JSON`,
    );
  }

  // Figures: generator vs our database vs ccusage's JSON, for every run.
  console.log('');
  console.log(`  figures of the big session (generator = what was written, deduplicated per message.id + requestId; cost to ${COST_REL_TOL} relative):`);
  const rows = [];
  const figureProblems = [];
  for (const key of FIGURES) {
    const want = big.written[key];
    const oursVals = oursRuns.map((o) => o.figures?.[big.sessionId]?.[key]);
    const ccKey = CCUSAGE_FIGURES[key];
    const ccVals = ccKey ? ccRuns.map((c) => c.big?.[ccKey]) : [];
    const oursOk = oursVals.every((v) => sameFigure(key, v, want));
    const ccOk = !ccKey || ccVals.every((v) => sameFigure(key, v, want));
    const fmt = (v) => (v === undefined ? 'missing' : key === 'cost_usd' ? fmtUsd(v) : typeof v === 'number' ? v.toLocaleString('en-US') : String(v));
    const show = (vals) => (new Set(vals.map(String)).size <= 1 ? fmt(vals[0]) : vals.map(fmt).join(' / '));
    rows.push([key, fmt(want), show(oursVals), ccKey ? show(ccVals) : '(not in ccusage)', oursOk && ccOk ? 'PASS' : 'MISS']);
    if (!oursOk) figureProblems.push(`big session ${key}: ours ${oursVals.map(fmt).join(' / ')} != written ${fmt(want)}`);
    if (!ccOk) figureProblems.push(`big session ${key}: ccusage ${ccVals.map(fmt).join(' / ')} != written ${fmt(want)}`);
  }
  table(['figure', 'generator', 'ours (db)', 'ccusage (json)', ''], rows);
  if (!figureProblems.length && oursRuns.every((o) => o.figures)) {
    const d = relDiff(bigRow.cost_usd, ccRuns.at(-1).big.totalCost);
    console.log(`  cost: ours vs ccusage differ by ${d.toExponential(2)} relative (float summation order).`);
    const share = big.oneHourPremium / big.written.cost_usd;
    if (share > 10 * COST_REL_TOL) {
      console.log(`  The 1-hour cache writes cost ${fmtUsd(big.oneHourPremium)} more at the 1-hour rate than at the 5-minute one (${share.toExponential(2)} of the`);
      console.log(`  total): ccusage's cost agreeing to ${COST_REL_TOL} relative shows that it prices them at the 1-hour rate, as we do.`);
    }
  }
  // The recorded sessions beside it must still give expected.json's figures (1-hour write included).
  const smallBad = [];
  for (const sid of smallSessions) {
    const e = expected[sid];
    for (const o of oursRuns) {
      const got = o.figures?.[sid];
      if (!e || !got) {
        smallBad.push(`${sid}: ${!e ? 'not in expected.json' : 'missing from the database'}`);
        continue;
      }
      for (const key of FIGURES) if (!sameFigure(key, got[key], e[key])) smallBad.push(`${sid} ${key}: ${got[key]} != ${e[key]} (run ${o.k})`);
    }
  }
  figureProblems.push(...smallBad.map((m) => `recorded session ${m}`));
  if (!smallBad.length) console.log(`  check: the ${smallSessions.length} recorded sessions beside it match expected.json (all ${FIGURES.length} figures, every run)`);
  for (const p of figureProblems) problems.push(`figures: ${p}`);
  if (figureProblems.length) console.log(`  ERROR: ${figureProblems.length} figure mismatch(es), listed in the summary`);

  // ---- 4c. One Stop after one new turn ----
  console.log('');
  if (!lastOurs.ok || !bigRow) {
    console.log('  4c. skipped: the last import did not leave a usable database');
    problems.push('4c skipped: no database from 4b');
    return;
  }
  await stopAfterTurn({ cfg, cliJs, problems, misses, cleanupProcs, big, templates, db: lastOurs.db, spool: lastOurs.spool });
}

// ---------------------------------------------------------------------------------------------
// 4c

function writeSpoolPayload(spool, body) {
  const incoming = path.join(spool, 'incoming');
  fs.mkdirSync(incoming, { recursive: true, mode: 0o700 });
  const id = `${String(Date.now()).padStart(13, '0')}-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
  const final = path.join(incoming, `${id}.json`);
  const temp = `${final}.${process.pid}`; // the hook's temp-name shape (write-file-atomic): never taken for a payload
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(body));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, final);
  const dfd = fs.openSync(incoming, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
  return id;
}

/** Milliseconds per call of fn (median of `n` calls) and its last result. */
function timeIt(fn, n = 3) {
  const times = [];
  let result;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

const STOP_LOG_RE = /\bms=([\d.]+)/;

/**
 * 4c: appends one turn per Stop and checks what the worker made of it. `runStop(k)` spools the
 * Stop, has a worker apply it, and returns { batchLine, wallMs?, error? }.
 */
async function stopsAfterTurns({ count, first, problems, label, big, turn, db, spool, runStop }) {
  const sid = big.sessionId;
  const results = [];
  for (let k = first; k < first + count; k++) {
    const before = dbFigures(db, [sid])[sid];
    const ids = new Map();
    const shift = big.shiftOf(big.reps + k - 1); // after every line already in the file
    fs.appendFileSync(big.file, `${renderLine(turn.userTpl, ids, shift, sid)}\n${renderLine(turn.asstTpl, ids, shift, sid)}\n`);
    writeSpoolPayload(spool, { session_id: sid, transcript_path: big.file, cwd: BIG_CWD, hook_event_name: 'Stop' });
    const out = await runStop(k);
    const res = { k, wallMs: out.wallMs, ok: true, fileBytes: fs.statSync(big.file).size };
    const fail = (msg) => {
      res.ok = false;
      problems.push(`${label} Stop ${k}: ${msg}`);
    };
    if (out.error) fail(out.error);
    const m = out.batchLine ? STOP_LOG_RE.exec(out.batchLine) : null;
    if (!m) fail(`no 'batch applied ms=…' line from the worker`);
    res.batchMs = m ? Number(m[1]) : NaN;
    res.bytesRead = Number(/transcript_bytes_read_total=(\d+)/.exec(out.batchLine ?? '')?.[1] ?? NaN);
    const after = dbFigures(db, [sid])[sid];
    res.before = before;
    res.after = after;
    if (!after) fail('the big session is gone from the database');
    else {
      const grew = (key) => after[key] - before[key];
      if (grew('api_calls') !== 1) fail(`api_calls grew by ${grew('api_calls')} (${before.api_calls} -> ${after.api_calls}), expected exactly 1`);
      if (grew('token_usage_rows') !== 1) fail(`token_usage rows grew by ${grew('token_usage_rows')}, expected 1`);
      const d = turn.delta;
      const want = { input_tokens: d.input, output_tokens: d.output, cache_creation_tokens: d.cacheCreation, cache_read_tokens: d.cacheRead };
      for (const [key, v] of Object.entries(want)) if (grew(key) !== v) fail(`${key} grew by ${grew(key)}, expected ${v}`);
      if (Math.abs(grew('cost_usd') - d.cost) > COST_REL_TOL * d.cost) fail(`cost grew by ${grew('cost_usd')}, expected ${d.cost}`);
    }
    // A worker deletes a committed payload after its batch (asynchronously): allow it a moment.
    const spoolLeft = () => ['incoming', 'processing', 'dead'].reduce((a, d) => a + listDir(path.join(spool, d)).filter((n) => n.endsWith('.json')).length, 0);
    const deadline = performance.now() + 5000;
    while (spoolLeft() > 0 && performance.now() < deadline) await sleepMs(5);
    if (spoolLeft()) fail(`${spoolLeft()} payload file(s) left in the spool 5 s after its batch`);
    results.push(res);
  }
  return results;
}

function stopTable(results, wallLabel) {
  table(
    ['Stop', 'worker batch (ms=)', wallLabel, 'bytes read*', 'api_calls', 'checks'],
    results.map((r) => [
      r.k,
      fmtMs(r.batchMs),
      r.wallMs === undefined ? '' : fmtMs(r.wallMs),
      Number.isFinite(r.bytesRead) ? r.bytesRead.toLocaleString('en-US') : '?',
      r.before && r.after ? `${r.before.api_calls.toLocaleString('en-US')} -> ${r.after.api_calls.toLocaleString('en-US')}` : '?',
      r.ok ? 'ok' : 'FAILED',
    ]),
  );
}

async function stopAfterTurn({ cfg, cliJs, problems, misses, cleanupProcs, big, templates, db, spool }) {
  console.log(`  4c. one new turn (a user prompt line + an assistant line with usage) appended to the ${fmtMB(fs.statSync(big.file).size)} transcript`);
  console.log(`      after the import above, then one Stop payload spooled (temp file + rename into incoming/) and`);
  console.log(`      'worker --drain --log-level debug' run; the worker's time = ms= of its 'batch applied' line (the batch`);
  console.log(`      transaction, transcript reading included).`);

  // The turn: the recorded prompt and final answer of the resumed session (a text reply, no tools).
  const userTpl = templates.filter((t) => t.contentIsText).at(-1);
  const asstTpl = templates.filter((t) => t.type === 'assistant' && t.call && t.toolUseIds.length === 0).at(-1);
  if (!userTpl || !asstTpl) {
    problems.push('4c: the fixture has no prompt line or text-only assistant line to append');
    return;
  }
  const turn = { userTpl, asstTpl, delta: { ...asstTpl.call.usage, cost: callCost(asstTpl.call.model, asstTpl.call.usage) } };

  const drained = await stopsAfterTurns({
    count: cfg.stopRuns,
    first: 1,
    problems,
    label: 'drain',
    big,
    turn,
    db,
    spool,
    runStop: (k) => {
      const t0 = hrUs();
      const r = spawnSync(process.execPath, [cliJs, 'worker', '--drain', '--spool', spool, '--db', db, '--log-level', 'debug'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 16 << 20,
        encoding: 'utf8',
      });
      const wallMs = (hrUs() - t0) / 1000;
      const stderr = r.stderr ?? '';
      const batchLines = stderr.split('\n').filter((l) => l.includes('batch applied'));
      const bad = stderr.split('\n').filter((l) => / (warn|error) /.test(l));
      let error;
      if (r.error || r.status !== 0) error = `worker exited ${r.status}${r.error ? ` ${r.error.message}` : ''}: ${stderr.trim().slice(-500)}`;
      else if (batchLines.length !== 1) error = `expected one 'batch applied' line, got ${batchLines.length}: ${stderr.trim().slice(0, 500)}`;
      else if (bad.length) error = `worker logged ${bad.length} warn/error line(s), first: ${bad[0].slice(0, 300)}`;
      return { batchLine: batchLines[0], wallMs, error };
    },
  });
  stopTable(drained, 'whole drain process');
  const med = median(drained.map((r) => r.batchMs));

  // Reference: the same in a watching worker (how the worker normally runs), which may keep the
  // session's reading state in memory from one Stop to the next. Its first Stop finds nothing in
  // memory (the import ran in another process).
  console.log('');
  console.log(`      reference: the same ${cfg.stopRuns} times into one watching worker ('worker --log-level debug', started after the`);
  console.log(`      drains above), waiting for each Stop's 'batch applied' line before the next:`);
  const watch = await watchingWorker({ cliJs, db, spool, cleanupProcs });
  let watched = [];
  if (watch.error) problems.push(`watch worker: ${watch.error}`);
  else {
    watched = await stopsAfterTurns({
      count: cfg.stopRuns,
      first: cfg.stopRuns + 1,
      problems,
      label: 'watch',
      big,
      turn,
      db,
      spool,
      runStop: async () => {
        const line = await watch.nextBatch(10_000);
        return line ? { batchLine: line } : { error: `no 'batch applied' line within 10 s (log: ${watch.log().trim().slice(-300)})` };
      },
    });
    const stopped = await watch.stop();
    if (stopped.error) problems.push(`watch worker: ${stopped.error}`);
    const bad = watch.log().split('\n').filter((l) => / (warn|error) /.test(l));
    if (bad.length) problems.push(`watch worker logged ${bad.length} warn/error line(s), first: ${bad[0].slice(0, 300)}`);
    stopTable(watched, '');
  }
  const warm = watched.slice(1).map((r) => r.batchMs);
  const warmMed = median(warm);
  console.log('');
  table(
    ['figure', 'value', 'target', ''],
    [
      ['worker time per Stop, worker --drain (median ms=)', fmtMs(med), '<= 20 ms', mark(med <= 20)],
      ['  whole drain process (median, reference)', fmtMs(median(drained.map((r) => r.wallMs))), '', ''],
      ['  watching worker, first Stop (reference)', fmtMs(watched[0]?.batchMs), '', ''],
      [`  watching worker, Stops 2-${cfg.stopRuns} (median, reference)`, fmtMs(warmMed), '(<= 20 ms)', warm.length ? mark(warmMed <= 20) : ''],
    ],
  );
  console.log('  * transcript_bytes_read_total of the worker process: one drain = one Stop; the watching worker\'s is cumulative.');
  if (!(med <= 20)) misses.push(`Stop on ${fmtMB(drained.at(-1)?.fileBytes ?? 0)} transcript: worker --drain ${fmtMs(med)} > 20 ms`);
  if ([...drained, ...watched].every((r) => r.ok)) {
    console.log(`  check: each of the ${drained.length + watched.length} Stops added exactly 1 API call and its tokens and cost; spool empty after each`);
  }

  // Where a fresh process's time goes: it rebuilds the session's reading state from the database.
  const sid = big.sessionId;
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const stateText = conn.prepare('SELECT state FROM transcript_reads WHERE session_id = ?').pluck().get(sid);
    const cols = conn.prepare('PRAGMA table_info(token_usage)').all().map((c) => c.name);
    const calls = conn.prepare(`SELECT * FROM token_usage WHERE session_id = ?${cols.includes('call_key') ? ' AND call_key IS NOT NULL' : ''}`);
    const loaded = timeIt(() => calls.all(sid));
    const parts = [`${loaded.result.length.toLocaleString('en-US')} token_usage rows of the session: SELECT … .all() ${fmtMs(loaded.ms)}`];
    if (typeof stateText === 'string') {
      const parsed = timeIt(() => JSON.parse(stateText));
      const strung = timeIt(() => JSON.stringify(parsed.result));
      const st = parsed.result.state ?? {};
      const counts = ['calls', 'tool_uses', 'pending', 'orphan_results'].map((k) => `${k} ${Object.keys(st[k] ?? {}).length.toLocaleString('en-US')}`).join(', ');
      parts.push(`transcript_reads.state ${fmtMB(Buffer.byteLength(stateText))} of JSON (${counts}): JSON.parse ${fmtMs(parsed.ms)}, JSON.stringify ${fmtMs(strung.ms)}`);
    }
    console.log(`  diagnosis (measured in the bench process, median of 3): ${parts.join('; ')}.`);
  } finally {
    conn.close();
  }
}

/** A watching worker with its stderr collected; nextBatch() resolves with its next 'batch applied' line. */
async function watchingWorker({ cliJs, db, spool, cleanupProcs }) {
  const child = spawn(process.execPath, [cliJs, 'worker', '--spool', spool, '--db', db, '--log-level', 'debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanupProcs.add(child);
  let log = '';
  let pending = '';
  const batches = [];
  let wake;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    log += d;
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const l of lines) if (l.includes('batch applied')) batches.push(l);
    wake?.();
  });
  child.stdout.resume();
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      cleanupProcs.delete(child);
      resolve({ code, signal });
    }),
  );
  const waitFor = async (pred, ms) => {
    const deadline = performance.now() + ms;
    while (!pred()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise((r) => {
        wake = r;
        setTimeout(r, Math.min(left, 50)).unref();
      });
    }
    return true;
  };
  let exitedEarly = false;
  exited.then(() => (exitedEarly = true));
  if (!(await waitFor(() => log.includes('worker starting') || exitedEarly, 15_000)) || exitedEarly) {
    child.kill('SIGKILL');
    return { error: `did not log 'worker starting' (log: ${log.trim().slice(-300)})` };
  }
  await sleepMs(300); // settle: watcher ready
  return {
    log: () => log,
    nextBatch: async (ms) => ((await waitFor(() => batches.length > 0, ms)) ? batches.shift() : null),
    stop: async () => {
      child.kill('SIGTERM');
      let timer;
      const r = await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000, null)))]);
      clearTimeout(timer);
      if (!r) {
        child.kill('SIGKILL');
        return { error: 'did not exit within 10 s of SIGTERM' };
      }
      return r.code === 0 ? {} : { error: `exited ${r.code}${r.signal ? ` (${r.signal})` : ''} after SIGTERM` };
    },
  };
}
