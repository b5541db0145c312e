// How long `claude-metrics report` takes on a year of history: builds a database with the real
// schema and a year of synthetic sessions and API calls (bench/year-db.mjs), then runs each
// report kind as a process (the built dist/cli.js, --json to /dev/null's equivalent) and prints
// the median wall time of 7 runs; then
// times activeBlock (the status line's 5-hour block) in-process with bench/active-block.ts.
//   npm run build && node bench/report-bench.mjs [sessions=4000] [calls per session=40]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildYearDb } from './year-db.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SESSIONS = Number(process.argv[2] ?? 4000);
const CALLS = Number(process.argv[3] ?? 40);
const RUNS = Number(process.env.RUNS ?? 7);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-report-bench-'));
const db = path.join(dir, 'metrics.db'); // bench/year-db.mjs builds it
try {
  const built = performance.now();
  buildYearDb({ dir, cli: CLI, sessions: SESSIONS, calls: CALLS });
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
