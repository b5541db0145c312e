// How long `claude-metrics report` takes on a year of history, against `claude-metrics --version`
// (the cost of starting the CLI at all). Builds a database with the real schema and a year of synthetic sessions and API calls
// (bench/year-db.mjs; the rollups of migration 0009 follow through their triggers), then runs --version and each
// report (the built dist/cli.js, --json, Europe/Paris) as processes, interleaved round-robin so that
// load on a shared machine falls on all alike, and prints each one's median wall time, its ratio to
// --version's, and PASS/MISS against the target: every report kind at most 1.5x --version. Then
// times activeBlock (the status line's 5-hour block) in-process with bench/active-block.ts.
//   npm run build && node scripts/run-on-node.mjs 24 bench/report-bench.mjs [sessions=4000] [calls per session=40]
//   RUNS=11 (runs per command)   KEEP_DB=1 (keep the database and print its path)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildYearDb } from './year-db.mjs';
import { median } from './util.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SESSIONS = Number(process.argv[2] ?? 4000);
const CALLS = Number(process.argv[3] ?? 40);
const RUNS = Number(process.env.RUNS ?? 11);
/** The target: a report as a whole process at most this many times `claude-metrics --version`. */
const TARGET = 1.5;
const KINDS = ['daily', 'weekly', 'monthly', 'session', 'model', 'project', 'blocks'];
/** Also timed, not judged: breakdowns and ranges. */
const MORE = [['daily', '--breakdown'], ['monthly', '--breakdown'], ['daily', '--since', '2026-06-01', '--until', '2026-06-30'], ['blocks', '--since', '2026-06-01', '--until', '2026-06-30']];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-report-bench-'));
const db = path.join(dir, 'metrics.db'); // bench/year-db.mjs builds it
try {
  const built = performance.now();
  buildYearDb({ dir, cli: CLI, sessions: SESSIONS, calls: CALLS });
  console.log(`database: ${SESSIONS} sessions, ${SESSIONS * CALLS} token_usage rows over a year (built in ${((performance.now() - built) / 1000).toFixed(1)} s, ${(fs.statSync(db).size / 2 ** 20).toFixed(0)} MiB)`);

  const commands = [{ name: '--version', args: ['--version'] }, ...[...KINDS.map((k) => [k]), ...MORE].map((a) => ({ name: a.join(' '), args: ['report', ...a, '--db', db, '--json', '--timezone', 'Europe/Paris'] }))];
  const times = new Map(commands.map((c) => [c.name, []]));
  const rows = new Map();
  // A first round unmeasured (the disk cache, Node's compile cache), then RUNS rounds round-robin.
  for (let round = 0; round <= RUNS; round++) {
    for (const c of commands) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [CLI, ...c.args], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${c.name}: ${r.stderr}`);
      if (round === 0) rows.set(c.name, c.args[0] === 'report' ? JSON.parse(r.stdout).rows.length : '');
      else times.get(c.name).push(ms);
    }
  }
  const floor = median(times.get('--version'));
  console.log(`\n${'command (--json, Europe/Paris)'.padEnd(46)} ${'rows'.padStart(5)}  median  x --version`);
  const misses = [];
  for (const c of commands) {
    const ms = median(times.get(c.name));
    const ratio = ms / floor;
    const judged = KINDS.includes(c.name);
    const verdict = judged ? (ratio <= TARGET ? 'PASS' : 'MISS') : '';
    if (verdict === 'MISS') misses.push(c.name);
    const label = c.args[0] === 'report' ? `report ${c.name}` : `claude-metrics ${c.name}`;
    console.log(`${label.padEnd(46)} ${String(rows.get(c.name)).padStart(5)}  ${ms.toFixed(0).padStart(4)} ms  ${ratio.toFixed(2).padStart(5)}  ${verdict}`);
  }
  console.log(`\ntarget: every report kind at most ${TARGET}x --version (${(floor * TARGET).toFixed(0)} ms here): ${misses.length === 0 ? 'PASS' : `MISS (${misses.join(', ')})`}`);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (at the end), ${RUNS} runs each`);
  const active = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'active-block.ts'), db], { cwd: ROOT, encoding: 'utf8' });
  process.stdout.write(active.stdout);
  if (active.status !== 0) throw new Error(`bench/active-block.ts: ${active.stderr}`);
} finally {
  if (process.env.KEEP_DB) console.log(`kept ${db}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
