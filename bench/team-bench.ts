// How long the team views take on a team database: `report … --postgres` (a mirror made for each
// report, then the report's own SQL) and `dashboard --postgres` (its first pull, and how soon a
// push shows). Starts a throwaway PostgreSQL (test/support/postgres.ts), writes DEVELOPERS x CALLS
// API calls over a year straight into the central tables with generate_series (sessions of 20
// calls, their per-model sums, a tool use per call), then times each command as a whole process
// (the built dist/cli.js, median of RUNS after one unmeasured run), with the mirror's own split
// (CLAUDE_METRICS_TEAM_TIMING=1: rows pulled and ms, report ms).
//   npm run build && node scripts/run-on-node.mjs 24 --import tsx bench/team-bench.ts [developers=20] [calls per developer=10000]
//   RUNS=5
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres } from '../test/support/postgres.ts';
import { migrateCentral } from '../src/sync/central-schema.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const DEVELOPERS = Number(process.argv[2] ?? 20);
const CALLS = Number(process.argv[3] ?? 10_000);
const RUNS = Number(process.env.RUNS ?? 5);
const PER_SESSION = 20;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A year of calls per developer, one machine each, written by SQL as pushes would have. */
async function fill(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await migrateCentral(c);
    const sessions = Math.ceil(CALLS / PER_SESSION);
    // Each developer's sessions spread over 2026, a session every (year / sessions), its calls a minute apart.
    await c.query(`INSERT INTO claude_metrics.replicas (replica_id, machine, developer, cursor, rows_applied, last_push_at, client_version)
      SELECT md5('replica' || d)::uuid, 'dev' || d || '-laptop', 'dev' || d, 0, 0, now(), 'bench' FROM generate_series(1, $1) d`, [DEVELOPERS]);
    await c.query(`INSERT INTO claude_metrics.sessions (session_id, start_time, end_time, total_cost_usd, api_calls, input_tokens, output_tokens,
        cache_creation_tokens, cache_read_tokens, tool_calls, cwd, cost_source, cost_complete, replica_id, machine, developer)
      SELECT 'dev' || d || '-s' || s, t, t + interval '1 minute' * ($3 - 1), 0, $3, 0, 0, 0, 0, $3, '/home/dev' || d || '/project-' || (s % 7), 'transcript', 1,
        md5('replica' || d)::uuid, 'dev' || d || '-laptop', 'dev' || d
      FROM generate_series(1, $1) d, generate_series(1, $2) s,
        LATERAL (SELECT timestamptz '2026-01-01T08:00:00Z' + (interval '365 days' / $2) * (s - 1) + interval '7 minutes' * d AS t) x`, [DEVELOPERS, sessions, PER_SESSION]);
    await c.query(`INSERT INTO claude_metrics.token_usage (session_id, call_key, "timestamp", model, input_tokens, output_tokens, cache_creation_tokens,
        cache_read_tokens, message_id, request_id, cache_creation_1h_tokens, cost_usd, replica_id, machine, developer)
      SELECT s.session_id, 'msg_' || i || '|req_' || i, s.start_time + interval '1 minute' * (i - 1),
        CASE WHEN i % 5 = 0 THEN 'claude-opus-4-5' ELSE 'claude-sonnet-4-5' END, 10 + i, 200 + i, 1000, 20000 + i, 'msg_' || i, 'req_' || i, 0,
        0.01 + i * 0.0001, s.replica_id, s.machine, s.developer
      FROM claude_metrics.sessions s, generate_series(1, $1) i`, [PER_SESSION]);
    await c.query(`INSERT INTO claude_metrics.session_models (session_id, model, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens,
        cache_read_tokens, cache_creation_1h_tokens, cost_usd, replica_id, machine, developer)
      SELECT session_id, model, count(*), 0, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), 0, sum(cost_usd),
        min(replica_id::text)::uuid, min(machine), min(developer)
      FROM claude_metrics.token_usage GROUP BY session_id, model`);
    await c.query(`UPDATE claude_metrics.sessions s SET total_cost_usd = m.cost, input_tokens = m.i, output_tokens = m.o, cache_creation_tokens = m.cc, cache_read_tokens = m.cr
      FROM (SELECT session_id, sum(cost_usd) AS cost, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_creation_tokens) AS cc, sum(cache_read_tokens) AS cr
            FROM claude_metrics.session_models GROUP BY session_id) m WHERE m.session_id = s.session_id`);
    await c.query(`INSERT INTO claude_metrics.tool_uses (session_id, tool_use_id, name, used_at, is_error, replica_id, machine, developer)
      SELECT session_id, 'toolu_' || call_key, CASE WHEN length(call_key) % 3 = 0 THEN 'Bash' ELSE 'Edit' END, "timestamp", 0, replica_id, machine, developer
      FROM claude_metrics.token_usage`);
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

function timeReport(url: string, args: string[]): { ms: number; rows: number; pulled: number; mirrorMs: number; reportMs: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'report', ...args, '--postgres', url, '--json', '--timezone', 'Europe/Paris'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, CLAUDE_METRICS_TEAM_TIMING: '1' },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`report ${args.join(' ')}: ${r.stderr}`);
  const m = /mirror of (\d+) rows in (\d+) ms, report in (\d+) ms/.exec(r.stderr);
  return { ms, rows: (JSON.parse(r.stdout) as { rows: unknown[] }).rows.length, pulled: Number(m?.[1]), mirrorMs: Number(m?.[2]), reportMs: Number(m?.[3]) };
}

function get(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, headers: { host: `127.0.0.1:${port}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** The dashboard's start (the first pull: until its URL is printed), the overview's answer, and a push's way to the page. */
async function timeDashboard(url: string): Promise<{ startMs: number; overviewMs: number; pushMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', '--postgres', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    while (!/dashboard: http:\/\/[^:]+:\d+/.test(out)) {
      if (child.exitCode !== null) throw new Error(`dashboard: ${out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const startMs = performance.now() - t0;
    const port = Number(/dashboard: http:\/\/[^:]+:(\d+)/.exec(out)![1]);
    const t1 = performance.now();
    const calls = (): Promise<number> => get(port, '/api/overview?tz=UTC&range=all').then((b) => (JSON.parse(b) as { totals: { api_calls: number } }).totals.api_calls);
    const before = await calls();
    const overviewMs = performance.now() - t1;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const t2 = performance.now();
    await c.query(`INSERT INTO claude_metrics.token_usage (session_id, call_key, "timestamp", model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, replica_id, machine, developer)
      SELECT 'dev1-s1', 'pushed_' || i || '_' || $1, timestamptz '2026-12-30T10:00:00Z', 'claude-sonnet-4-5', 1, 1, 0, 0, 0.001, md5('replica1')::uuid, 'dev1-laptop', 'dev1' FROM generate_series(1, 10) i`, [Date.now()]);
    await c.end();
    while ((await calls()) !== before + 10) await new Promise((r) => setTimeout(r, 50));
    return { startMs, overviewMs, pushMs: performance.now() - t2 };
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
}

const server = await startPostgres();
try {
  await server.createDatabase('team');
  const url = server.url('team');
  const t0 = performance.now();
  await fill(url);
  console.log(`team database: ${DEVELOPERS} developers x ${CALLS} calls over 2026 (${DEVELOPERS * CALLS} token_usage rows, ${DEVELOPERS * CALLS} tool uses, ${DEVELOPERS * Math.ceil(CALLS / PER_SESSION)} sessions), written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const cases: string[][] = [
    ['daily'],
    ['developer'],
    ['session'],
    ['blocks', '--developer', 'dev3'],
    ['daily', '--developer', 'dev3'],
    ['daily', '--since', '2026-06-01', '--until', '2026-06-07'],
    ['developer', '--since', '2026-06-01', '--until', '2026-06-07'],
    ['session', '--since', '2026-06-01', '--until', '2026-06-30'],
    ['blocks', '--since', '2026-06-01', '--until', '2026-06-07'],
  ];
  console.log(`\n${'report … --postgres (whole process, Europe/Paris)'.padEnd(56)} ${'rows'.padStart(5)} ${'pulled'.padStart(8)}  median  (mirror / report)`);
  for (const args of cases) {
    timeReport(url, args);
    const runs = Array.from({ length: RUNS }, () => timeReport(url, args));
    const mid = runs.find((r) => r.ms === median(runs.map((x) => x.ms)))!;
    console.log(`${`report ${args.join(' ')}`.padEnd(56)} ${String(mid.rows).padStart(5)} ${String(mid.pulled).padStart(8)}  ${mid.ms.toFixed(0).padStart(5)} ms  (${mid.mirrorMs} / ${mid.reportMs} ms)`);
  }
  const d = [];
  for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) d.push(await timeDashboard(url));
  console.log(`\ndashboard --postgres: start (first pull of everything) ${median(d.map((x) => x.startMs)).toFixed(0)} ms, overview (all time) ${median(d.map((x) => x.overviewMs)).toFixed(0)} ms, a push of 10 calls on the page after ${median(d.map((x) => x.pushMs)).toFixed(0)} ms (median of ${d.length})`);
} finally {
  await server.close();
}
