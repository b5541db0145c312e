// A year of synthetic history in a real database, for the report and dashboard benches: the real
// schema (a `worker --drain` of an empty spool runs the migrations), then 4,000 sessions of 40 API
// calls each (by default) over 2025-12-01 .. 2026-11-30, inserted directly with SQL, seeded so that
// every run builds the same rows. With `extras` (the dashboard bench), what the other views read
// too, from a second seed so the calls stay the same: a git branch on each call and session,
// tool uses with names, times, results and subagents (30 per session), the hook payloads'
// ledger rows (4 per session), and status line samples with context use and official limits.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Builds `<dir>/metrics.db` (and `<dir>/spool/`); returns its path and the time of its last call.
 * @param {{ dir: string, cli: string, sessions?: number, calls?: number, extras?: boolean }} o
 */
export function buildYearDb({ dir, cli, sessions = 4000, calls = 40, extras = false }) {
  const db = path.join(dir, 'metrics.db');
  fs.mkdirSync(path.join(dir, 'spool', 'incoming'), { recursive: true });
  const init = spawnSync(process.execPath, [cli, 'worker', '--drain', '--spool', path.join(dir, 'spool'), '--db', db], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`worker --drain failed: ${init.stderr}`);

  const conn = new Database(db);
  conn.pragma('temp_store = MEMORY'); // as the worker: the rollups' triggers journal in memory
  conn.pragma('foreign_keys = OFF'); // each session row is written after its calls, with their totals
  const models = [['claude-sonnet-4-5', 3, 15], ['claude-opus-4-5', 5, 25], ['claude-haiku-4-5', 1, 5]];
  const projects = Array.from({ length: 25 }, (_, i) => `/home/user/code/project-${i}`);
  const yearStart = Date.parse('2025-12-01T00:00:00Z');
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let seed2 = 7;
  const rand2 = () => ((seed2 = (seed2 * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const addSession = conn.prepare(`INSERT INTO sessions (session_id, start_time, end_time, total_cost_usd, lines_added, lines_removed, commits, tool_calls,
    input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, api_calls, cost_complete, models, cwd, cost_source)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, '{}', ?, 'transcript')`);
  const addCall = conn.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
    cache_creation_1h_tokens, cost_usd, message_id, request_id, call_key) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`);
  const addModel = conn.prepare(`INSERT INTO session_models (session_id, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens,
    cache_read_tokens, cache_creation_1h_tokens, cost_usd) VALUES (?, ?, ?, 0, ?, ?, ?, ?, 0, ?)`);
  const x = extras ? extraStatements(conn) : null;
  let lastCall = 0;
  conn.transaction(() => {
    for (let s = 0; s < sessions; s++) {
      const id = `bench-${s}`;
      const start = yearStart + Math.floor(rand() * 365 * 86_400_000);
      const per = new Map();
      const tot = { i: 0, o: 0, w: 0, r: 0, c: 0 };
      const times = [];
      let t = start;
      for (let c = 0; c < calls; c++) {
        t += Math.floor(rand() * 120_000);
        const [model, pin, pout] = models[c % 7 === 0 ? 2 : s % 5 === 0 ? 1 : 0];
        const i = Math.floor(rand() * 5000);
        const o = Math.floor(rand() * 800);
        const w = Math.floor(rand() * 3000);
        const r = Math.floor(rand() * 60000);
        const cost = (i * pin + o * pout + w * pin * 1.25 + r * pin * 0.1) / 1e6;
        addCall.run(id, new Date(t).toISOString(), model, i, o, w, r, cost, `m${c}`, `r${c}`, `m${c}|r${c}`);
        times.push(t);
        const m = per.get(model) ?? { n: 0, i: 0, o: 0, w: 0, r: 0, c: 0 };
        per.set(model, { n: m.n + 1, i: m.i + i, o: m.o + o, w: m.w + w, r: m.r + r, c: m.c + cost });
        Object.assign(tot, { i: tot.i + i, o: tot.o + o, w: tot.w + w, r: tot.r + r, c: tot.c + cost });
      }
      lastCall = Math.max(lastCall, t);
      addSession.run(id, new Date(start).toISOString(), new Date(t).toISOString(), tot.c, 40, 10, 1, 30, tot.i, tot.o, tot.w, tot.r, calls, projects[s % projects.length]);
      for (const [model, m] of per) addModel.run(id, model, m.n, m.i, m.o, m.w, m.r, m.c);
      if (x) addExtras(x, rand2, id, s, times, tot.c);
    }
  })();
  conn.close();
  return { db, lastCall: new Date(lastCall) };
}

const TOOLS = ['Bash', 'Read', 'Edit', 'Grep', 'Write', 'Glob', 'Agent', 'WebFetch', 'TodoWrite', 'MultiEdit'];
const BRANCHES = ['main', 'feature/checkout', 'fix/login', 'refactor/db', 'docs'];

function extraStatements(conn) {
  return {
    branch: conn.prepare('UPDATE token_usage SET git_branch = ? WHERE session_id = ?'),
    sessionBranch: conn.prepare('UPDATE sessions SET git_branch = ? WHERE session_id = ?'),
    tool: conn.prepare('INSERT INTO tool_uses (session_id, tool_use_id, name, used_at, is_error, agent_id) VALUES (?, ?, ?, ?, ?, ?)'),
    payload: conn.prepare('INSERT INTO payloads (id, event, session_id, received_at, applied_at) VALUES (?, ?, ?, ?, ?)'),
    sample: conn.prepare(`INSERT INTO statusline_samples (session_id, sampled_at, payload_id, model_id, total_cost_usd, context_window_size, context_used_pct,
      five_hour_used_pct, five_hour_resets_at, seven_day_used_pct, seven_day_resets_at) VALUES (?, ?, ?, 'claude-sonnet-4-5', ?, 200000, ?, ?, ?, ?, ?)`),
  };
}

function addExtras(x, rand, id, s, times, cost) {
  const branch = BRANCHES[s % BRANCHES.length];
  x.branch.run(branch, id);
  x.sessionBranch.run(branch, id);
  const iso = (ms) => new Date(ms).toISOString();
  for (let k = 0; k < 30; k++) {
    const at = times[Math.floor(rand() * times.length)];
    const name = TOOLS[Math.min(TOOLS.length - 1, Math.floor(rand() * rand() * TOOLS.length * 1.5))];
    x.tool.run(id, `toolu_${s}_${k}`, name, iso(at), rand() < 0.06 ? 1 : 0, rand() < 0.15 ? `agent-${s % 7}` : null);
  }
  const pid = 1000 + (s % 50);
  ['SessionStart', 'UserPromptSubmit', 'Stop', 'SessionEnd'].forEach((event, k) => {
    const at = k === 0 ? times[0] - 1000 : times[Math.min(times.length - 1, Math.floor(((k + 1) / 4) * (times.length - 1)))];
    x.payload.run(`${String(at).padStart(13, '0')}-${pid}-${s.toString(16)}${k}`, event, id, iso(at), iso(at + 40));
  });
  for (let k = 0; k < 10; k++) {
    const at = times[Math.floor((k / 10) * times.length)] + 500;
    const resets = Math.ceil(at / 18_000_000) * 18_000_000;
    x.sample.run(id, iso(at), `${String(at).padStart(13, '0')}-${pid}-${s.toString(16)}${k}-statusline`, (cost * (k + 1)) / 10, 5 + k * 6 + rand() * 5,
      Math.min(100, 10 + k * 8 + rand() * 20), iso(resets), 10 + (at % 604_800_000) / 604_800_000 * 60, iso(at + 86_400_000));
  }
}
