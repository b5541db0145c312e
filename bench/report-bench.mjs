// How long `claude-metrics report` takes on a year of history: builds a database with the real
// schema (a `worker --drain` of an empty spool runs the migrations), inserts a year of synthetic
// sessions and API calls directly with SQL, then runs each report kind as a process (the built
// dist/cli.js, --json to /dev/null's equivalent) and prints the median wall time of 7 runs; then
// times activeBlock (the status line's 5-hour block) in-process with bench/active-block.ts.
//   npm run build && node bench/report-bench.mjs [sessions=4000] [calls per session=40]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SESSIONS = Number(process.argv[2] ?? 4000);
const CALLS = Number(process.argv[3] ?? 40);
const RUNS = Number(process.env.RUNS ?? 7);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-report-bench-'));
const db = path.join(dir, 'metrics.db');
try {
  fs.mkdirSync(path.join(dir, 'spool', 'incoming'), { recursive: true });
  const init = spawnSync(process.execPath, [CLI, 'worker', '--drain', '--spool', path.join(dir, 'spool'), '--db', db], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`worker --drain failed: ${init.stderr}`);

  const built = performance.now();
  const conn = new Database(db);
  conn.pragma('foreign_keys = OFF'); // each session row is written after its calls, with their totals
  const models = [['claude-sonnet-4-5', 3, 15], ['claude-opus-4-5', 5, 25], ['claude-haiku-4-5', 1, 5]];
  const projects = Array.from({ length: 25 }, (_, i) => `/home/user/code/project-${i}`);
  const yearStart = Date.parse('2025-12-01T00:00:00Z');
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const addSession = conn.prepare(`INSERT INTO sessions (session_id, start_time, end_time, total_cost_usd, lines_added, lines_removed, commits, tool_calls,
    input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, api_calls, cost_complete, models, cwd, cost_source)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, '{}', ?, 'transcript')`);
  const addCall = conn.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
    cache_creation_1h_tokens, cost_usd, message_id, request_id, call_key) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`);
  const addModel = conn.prepare(`INSERT INTO session_models (session_id, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens,
    cache_read_tokens, cache_creation_1h_tokens, cost_usd) VALUES (?, ?, ?, 0, ?, ?, ?, ?, 0, ?)`);
  conn.transaction(() => {
    for (let s = 0; s < SESSIONS; s++) {
      const id = `bench-${s}`;
      const start = yearStart + Math.floor(rand() * 365 * 86_400_000);
      const per = new Map();
      const tot = { i: 0, o: 0, w: 0, r: 0, c: 0 };
      let t = start;
      for (let c = 0; c < CALLS; c++) {
        t += Math.floor(rand() * 120_000);
        const [model, pin, pout] = models[c % 7 === 0 ? 2 : s % 5 === 0 ? 1 : 0];
        const i = Math.floor(rand() * 5000);
        const o = Math.floor(rand() * 800);
        const w = Math.floor(rand() * 3000);
        const r = Math.floor(rand() * 60000);
        const cost = (i * pin + o * pout + w * pin * 1.25 + r * pin * 0.1) / 1e6;
        addCall.run(id, new Date(t).toISOString(), model, i, o, w, r, cost, `m${c}`, `r${c}`, `m${c}|r${c}`);
        const m = per.get(model) ?? { n: 0, i: 0, o: 0, w: 0, r: 0, c: 0 };
        per.set(model, { n: m.n + 1, i: m.i + i, o: m.o + o, w: m.w + w, r: m.r + r, c: m.c + cost });
        Object.assign(tot, { i: tot.i + i, o: tot.o + o, w: tot.w + w, r: tot.r + r, c: tot.c + cost });
      }
      addSession.run(id, new Date(start).toISOString(), new Date(t).toISOString(), tot.c, 40, 10, 1, 30, tot.i, tot.o, tot.w, tot.r, CALLS, projects[s % projects.length]);
      for (const [model, m] of per) addModel.run(id, model, m.n, m.i, m.o, m.w, m.r, m.c);
    }
  })();
  conn.close();
  console.log(`database: ${SESSIONS} sessions, ${SESSIONS * CALLS} token_usage rows over a year (built in ${((performance.now() - built) / 1000).toFixed(1)} s, ${(fs.statSync(db).size / 2 ** 20).toFixed(0)} MiB)`);

  const time = (args) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'report', ...args, '--db', db, '--json', '--timezone', 'Europe/Paris'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`report ${args.join(' ')}: ${r.stderr}`);
    return { ms, rows: JSON.parse(r.stdout).rows.length };
  };
  const floor = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, [CLI, '--version']);
    floor.push(performance.now() - t0);
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`node dist/cli.js --version (process start floor): ${median(floor).toFixed(0)} ms`);
  console.log('report (--json, Europe/Paris)          rows   median of 7');
  for (const args of [['daily'], ['daily', '--breakdown'], ['weekly'], ['monthly', '--breakdown'], ['session'], ['model'], ['project'], ['daily', '--since', '2026-06-01', '--until', '2026-06-30'], ['blocks'], ['blocks', '--since', '2026-06-01', '--until', '2026-06-30']]) {
    const runs = Array.from({ length: RUNS }, () => time(args));
    console.log(`${args.join(' ').padEnd(38)} ${String(runs[0].rows).padStart(5)}   ${median(runs.map((r) => r.ms)).toFixed(0).padStart(6)} ms`);
  }
  const active = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'active-block.ts'), db], { cwd: ROOT, encoding: 'utf8' });
  process.stdout.write(active.stdout);
  if (active.status !== 0) throw new Error(`bench/active-block.ts: ${active.stderr}`);
} finally {
  if (process.env.KEEP_DB) console.log(`kept ${db}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
