// The team database read back: `report … --postgres` and `dashboard --postgres` against a real
// PostgreSQL 15 (test/support/postgres.ts) that three machines (two developers) pushed their
// fixture databases to with the built CLI. Every report kind's figures equal the sum of the
// machines' own reports (per developer with --developer, per machine with --machine, and in
// total); a call deleted on its machine and pushed is no longer counted; the dashboard answers
// its API from the team, follows a new push within seconds, marks its figures stale while the
// server is down; the read-only role of docs/TEAM.md reads the same; a wrong password, an
// unreachable server or a certificate not verified is exit 1 with a message that never holds
// the password. The mirror's high-water mark is checked against a transaction that commits
// rows with versions below ones already read. The local dashboard's pipeline shows this
// machine's push.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CLI, type Sandbox, sandbox, waitUntil } from './helpers.ts';
import { getJson, request, startDashboard } from './support/dashboard.ts';
import { type PgServer, startPostgres } from './support/postgres.ts';
import { importInto, machineClaudeDir } from './support/team.ts';
import { openMirror, pullCentral } from '../src/sync/mirror.ts';
import { migrateCentral } from '../src/sync/central-schema.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIGURES = ['sessions', 'api_calls', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'total_tokens', 'cost_usd'];
/** A fixed now for the blocks report: after every fixture call. */
const NOW = '2026-12-31T12:00:00.000Z';

let server: PgServer;
let url: string;
let dbCounter = 0;
/** [developer, machine, sandbox] of each machine pushing to `url`. */
const machines: Array<{ developer: string; machine: string; sb: Sandbox }> = [];
const cleanups: Array<() => void> = [];

async function teamDatabase(): Promise<{ name: string; url: string }> {
  const name = `team_${++dbCounter}`;
  await server.createDatabase(name);
  return { name, url: server.url(name) };
}

/** No user config file (no budgets, no configured team database), no URL from the outside. */
function env(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, CLAUDE_METRICS_CONFIG: path.join(dir, 'config.json'), CLAUDE_METRICS_POSTGRES_URL: '', PGPASSWORD: '', HOME: dir, ...extra };
}

function cli(args: string[], dir: string, extra: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: env(dir, extra), timeout: 120_000 });
}

function syncOnce(m: { developer: string; machine: string; sb: Sandbox }, target = url): void {
  const r = cli(['sync', '--once', '--postgres', target, '--db', m.sb.db, '--developer', m.developer, '--machine', m.machine], m.sb.dir);
  assert.equal(r.status, 0, r.stderr);
}

function reportJson(args: string[], dir: string): Json {
  const r = cli(['report', ...args, '--json', '--timezone', 'UTC'], dir);
  assert.equal(r.status, 0, `report ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

const localReport = (m: { sb: Sandbox }, args: string[]): Json => reportJson([...args, '--db', m.sb.db], m.sb.dir);
const teamReport = (args: string[], target = url): Json => reportJson([...args, '--postgres', target], machines[0]!.sb.dir);

// Report JSON rounds dollars to 6 decimals: a sum of rounded figures is off by up to half a millionth each.
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 5e-6, `${what}: ${a} vs ${b}`);

/** Figures summed (counts and tokens exactly, costs to 1e-9). */
function sumOf(list: Json[]): Json {
  const out: Json = Object.fromEntries(FIGURES.map((k) => [k, 0]));
  for (const f of list) for (const k of FIGURES) out[k] += f[k] ?? 0;
  return out;
}

function assertFigures(actual: Json, expected: Json, what: string): void {
  for (const k of FIGURES) {
    if (k === 'cost_usd') close(actual[k], expected[k], `${what} ${k}`);
    else assert.equal(actual[k], expected[k], `${what} ${k}`);
  }
}

/** Rows of several local reports summed by key (sessions add up: each machine's sessions are its own). */
function sumRows(reports: Json[], key: string): Map<string, Json> {
  const out = new Map<string, Json[]>();
  for (const r of reports) for (const row of r.rows as Json[]) out.set(String(row[key]), [...(out.get(String(row[key])) ?? []), row]);
  return new Map([...out].map(([k, rows]) => [k, sumOf(rows)]));
}

function assertSumOfReports(team: Json, locals: Json[], key: string, what: string): void {
  const expected = sumRows(locals, key);
  assert.deepEqual(team.rows.map((r: Json) => String(r[key])).sort(), [...expected.keys()].sort(), `${what}: the same ${key}s`);
  for (const row of team.rows as Json[]) assertFigures(row, expected.get(String(row[key]))!, `${what} ${row[key]}`);
  assertFigures(team.totals, sumOf(locals.map((l) => l.totals)), `${what} totals`);
}

const byDeveloper = (d: string) => machines.filter((m) => m.developer === d);

before(async () => {
  server = await startPostgres();
  ({ url } = await teamDatabase());
  const who = [
    ['ada', 'ada-laptop'],
    ['ada', 'ada-desktop'],
    ['grace', 'grace-laptop'],
  ] as const;
  for (const [i, [developer, machine]] of who.entries()) {
    const t = { after: (fn: () => void) => cleanups.push(fn) };
    const sb = sandbox(t);
    importInto(sb, machineClaudeDir(sb, i + 1));
    machines.push({ developer, machine, sb });
    syncOnce(machines.at(-1)!);
  }
});

after(async () => {
  for (const fn of cleanups) fn();
  await server?.close();
});

test('every report kind from the team database equals the sum of the machines\' own reports', async (t) => {
  await t.test('daily, weekly, monthly, model, project: row by row and in total', () => {
    for (const [kind, key] of [['daily', 'date'], ['weekly', 'week'], ['monthly', 'month'], ['model', 'model'], ['project', 'project']] as const) {
      assertSumOfReports(teamReport([kind]), machines.map((m) => localReport(m, [kind])), key, kind);
    }
  });

  await t.test('daily with --breakdown: the per-model rows add up too', () => {
    const team = teamReport(['daily', '--breakdown']);
    const locals = machines.map((m) => localReport(m, ['daily', '--breakdown']));
    for (const row of team.rows as Json[]) {
      const expected = sumRows(locals.map((l) => ({ rows: l.rows.filter((r: Json) => r.date === row.date).flatMap((r: Json) => r.breakdown) })), 'model');
      for (const m of row.breakdown as Json[]) assertFigures(m, expected.get(m.model)!, `${row.date} ${m.model}`);
    }
  });

  await t.test('session: the same rows as the machines have, field for field', () => {
    const team = teamReport(['session']);
    const locals = machines.map((m) => localReport(m, ['session']));
    const expected = new Map(locals.flatMap((l) => l.rows as Json[]).map((r) => [r.session_id, r]));
    assert.equal(team.rows.length, expected.size);
    for (const row of team.rows as Json[]) assert.deepEqual(row, expected.get(row.session_id), `session ${row.session_id}`);
    assertFigures(team.totals, sumOf(locals.map((l) => l.totals)), 'session totals');
    for (const k of ['tool_calls', 'commits', 'lines_added', 'lines_removed']) assert.equal(team.totals[k], locals.reduce((a, l) => a + l.totals[k], 0), k);
  });

  await t.test('developer: one row per developer, the sum of their machines, with the machines counted', () => {
    const team = teamReport(['developer']);
    assert.deepEqual(team.rows.map((r: Json) => r.developer).sort(), ['ada', 'grace']);
    for (const row of team.rows as Json[]) {
      const mine = byDeveloper(row.developer);
      assertFigures(row, sumOf(mine.map((m) => localReport(m, ['daily']).totals)), row.developer);
      assert.equal(row.machines, mine.length, `${row.developer}'s machines`);
    }
    assert.equal(team.totals.machines, 3);
    assertFigures(team.totals, sumOf(machines.map((m) => localReport(m, ['daily']).totals)), 'developer totals');
    const table = cli(['report', 'developer', '--postgres', url, '--timezone', 'UTC'], machines[0]!.sb.dir, { COLUMNS: '200' });
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /developer report, .*team database postgresql:\/\/cm_admin:\*\*\*@127\.0\.0\.1:\d+\/team_1/);
    assert.match(table.stdout, /Developer +Models +Machines +Sessions/);
    assert.ok(!table.stdout.includes(server.password), 'no password in the table');
  });

  await t.test('--developer and --machine: one developer\'s or one machine\'s figures, as their own reports give them', () => {
    for (const d of ['ada', 'grace']) {
      assertSumOfReports(teamReport(['daily', '--developer', d]), byDeveloper(d).map((m) => localReport(m, ['daily'])), 'date', `daily --developer ${d}`);
      assertSumOfReports(teamReport(['model', '--developer', d]), byDeveloper(d).map((m) => localReport(m, ['model'])), 'model', `model --developer ${d}`);
    }
    const one = machines[1]!;
    const session = teamReport(['session', '--machine', one.machine]);
    assert.deepEqual(session.rows, localReport(one, ['session']).rows, 'session --machine');
    assert.deepEqual(session.team, { postgres: server.url('team_1').replace(`:${server.password}@`, ':***@'), developers: [], machines: [one.machine] });
    const both = teamReport(['developer', '--developer', 'ada', '--developer', 'grace', '--machine', 'ada-laptop', '--machine', 'grace-laptop']);
    assert.deepEqual(both.rows.map((r: Json) => [r.developer, r.machines]).sort(), [['ada', 1], ['grace', 1]]);
  });

  await t.test('blocks: one developer\'s blocks are their own; the team\'s blocks hold every call once', () => {
    const grace = machines[2]!;
    const team = teamReport(['blocks', '--developer', 'grace', '--now', NOW]);
    const local = localReport(grace, ['blocks', '--now', NOW]);
    assert.deepEqual(team.rows, local.rows);
    assert.deepEqual(team.totals, local.totals);
    const all = teamReport(['blocks', '--now', NOW]);
    assertFigures({ ...all.totals, sessions: 0 }, { ...sumOf(machines.map((m) => localReport(m, ['blocks', '--now', NOW]).totals)), sessions: 0 }, 'blocks totals');
    assert.equal(all.totals.sessions, sumOf(machines.map((m) => localReport(m, ['session']).totals)).sessions);
  });

  await t.test('--since/--until: only the range is read, and the figures are the range\'s', () => {
    const days = (localReport(machines[0]!, ['daily']).rows as Json[]).map((r) => r.date as string);
    assert.ok(days.length >= 2, `the fixtures span several days: ${days}`);
    for (const day of days) {
      for (const [kind, key] of [['daily', 'date'], ['project', 'project'], ['developer', 'developer']] as const) {
        const range = ['--since', day, '--until', day];
        const team = teamReport([kind, ...range]);
        if (kind === 'developer') {
          for (const row of team.rows as Json[]) assertFigures(row, sumOf(byDeveloper(row.developer).map((m) => localReport(m, ['daily', ...range]).totals)), `${day} ${row.developer}`);
        } else assertSumOfReports(team, machines.map((m) => localReport(m, [kind, ...range])), key, `${kind} ${day}`);
      }
      const sessions = teamReport(['session', '--since', day, '--until', day]);
      assert.deepEqual(sessions.rows.map((r: Json) => r.session_id).sort(), machines.flatMap((m) => localReport(m, ['session', '--since', day, '--until', day]).rows.map((r: Json) => r.session_id)).sort());
      const blocks = teamReport(['blocks', '--developer', 'grace', '--since', day, '--until', day, '--now', NOW]);
      assert.deepEqual(blocks.rows, localReport(machines[2]!, ['blocks', '--since', day, '--until', day, '--now', NOW]).rows, `blocks ${day}`);
    }
  });
});

test('a call deleted on its machine and pushed is no longer counted; written again, it counts once', () => {
  const grace = machines[2]!;
  const before = teamReport(['daily']).totals;
  const db = new Database(grace.sb.db);
  const call = db.prepare('SELECT * FROM token_usage ORDER BY id LIMIT 1').get() as Json;
  db.prepare('DELETE FROM token_usage WHERE id = ?').run(call.id);
  db.close();
  syncOnce(grace);
  const without = teamReport(['daily']).totals;
  assert.equal(without.api_calls, before.api_calls - 1);
  close(without.cost_usd, before.cost_usd - (call.cost_usd ?? 0), 'cost without the deleted call');
  assertSumOfReports(teamReport(['daily']), machines.map((m) => localReport(m, ['daily'])), 'date', 'after the deletion');
  const again = new Database(grace.sb.db);
  const columns = Object.keys(call).filter((c) => c !== 'id');
  again.prepare(`INSERT INTO token_usage (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...columns.map((c) => call[c]));
  again.close();
  syncOnce(grace);
  assertFigures(teamReport(['daily']).totals, before, 'the call back');
});

/** `claude-metrics dashboard --postgres URL …` on a free port, with this test's environment (the team mirror's first pull may take a while). */
function startTeamDashboard(t: { after: (fn: () => Promise<void> | void) => void }, args: string[], dir: string) {
  return startDashboard(t, null, args, env(dir), 30_000);
}

/** Calls `get` until `ok` holds of its answer (one request at a time), or fails after `timeoutMs`. */
async function poll<T>(get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `n` new calls in a session of this machine's database, by plain SQL (the outbox takes any writer's rows). */
function addCalls(dbFile: string, n: number, tag: string): void {
  const db = new Database(dbFile);
  try {
    const sessionId = db.prepare('SELECT session_id FROM sessions ORDER BY session_id LIMIT 1').pluck().get() as string;
    const insert = db.prepare(`INSERT INTO token_usage (session_id, call_key, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd)
      VALUES (?, ?, ?, 'claude-sonnet-4-5', 100, 10, 0, 1000, 0.5)`);
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(sessionId, `msg_${tag}_${i}|req_${tag}_${i}`, new Date(Date.parse('2026-11-25T10:00:00Z') + i * 1000).toISOString());
    })();
  } finally {
    db.close();
  }
}

test('dashboard --postgres: the team in every view, a new push shown within seconds, stale while the server is down', async (t) => {
  const dir = machines[0]!.sb.dir;
  const tmpBefore = new Set(fs.readdirSync(os.tmpdir()));
  const d = await startTeamDashboard(t, ['--postgres', url], dir);
  assert.ok(d.port > 0, d.stderr());
  assert.match(d.stdout(), /team database postgresql:\/\/cm_admin:\*\*\*@/);
  const mirrors = fs.readdirSync(os.tmpdir()).filter((f) => !tmpBefore.has(f) && f.startsWith('claude-metrics-team-'));
  assert.equal(mirrors.length, 1, 'one private mirror folder');
  const mirrorDir = path.join(os.tmpdir(), mirrors[0]!);
  assert.equal(fs.statSync(mirrorDir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(mirrorDir, 'mirror.db')).mode & 0o777, 0o600);
  const q = 'tz=UTC&range=all';
  const bodies: string[] = [];
  const get = async (p: string): Promise<Json> => {
    const r = await request(d.port, p);
    assert.equal(r.status, 200, `${p}: ${r.body}`);
    bodies.push(r.body);
    return JSON.parse(r.body) as Json;
  };

  const expected = sumOf(machines.map((m) => localReport(m, ['daily']).totals));
  const overview = await get(`/api/overview?${q}`);
  assertFigures(overview.totals, expected, 'overview');
  const team = (await get('/api/team')).team as Json;
  assert.equal(team.stale, false);
  assert.deepEqual(team.replicas.map((r: Json) => `${r.developer}@${r.machine}`).sort(), ['ada@ada-desktop', 'ada@ada-laptop', 'grace@grace-laptop']);
  const devs = await get(`/api/developers?${q}`);
  assert.equal(devs.available, true);
  assert.deepEqual(devs.rows.map((r: Json) => [r.developer, r.machines]).sort(), [['ada', ['ada-desktop', 'ada-laptop']], ['grace', ['grace-laptop']]]);
  assertFigures(devs.totals, expected, 'developers');
  const pipeline = await get(`/api/pipeline?${q}`);
  assert.equal(pipeline.mode, 'team');
  assert.equal(pipeline.team.replicas.length, 3);
  const graceSessions = await get(`/api/sessions?${q}&developer=grace&per_page=500`);
  assert.equal(graceSessions.total, localReport(machines[2]!, ['session']).rows.length);
  assert.ok(graceSessions.rows.every((r: Json) => r.developer === 'grace' && r.machine === 'grace-laptop'));
  for (const p of ['/api/projects', '/api/models', '/api/blocks', '/api/tools', '/api/branches', '/api/now', '/api/top']) await get(`${p}?${q}`);

  // A new push shows within a few seconds: the page's event stream (the live feed's
  // data_version on the mirror) says so, and the answers have it.
  const events: string[] = [];
  const live = http.get({ host: '127.0.0.1', port: d.port, path: '/api/live', headers: { host: `127.0.0.1:${d.port}` } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => events.push(chunk));
  });
  t.after(() => live.destroy());
  await waitUntil(() => events.join('').includes('event: hello'), 5_000, () => 'the live stream');
  addCalls(machines[2]!.sb.db, 7, 'live');
  syncOnce(machines[2]!);
  const pushed = Date.now();
  await waitUntil(() => events.join('').includes('event: change'), 6_000, () => `a change event: ${events.join('')}`);
  const changeAfter = Date.now() - pushed;
  assert.ok(changeAfter < 4_000, `a change event ${changeAfter} ms after the push`);
  await poll(() => get(`/api/overview?${q}`), (o) => o.totals.api_calls === expected.api_calls + 7, 5_000, 'the new calls');
  const graceNow = (await get(`/api/developers?${q}`)).rows.find((r: Json) => r.developer === 'grace');
  assert.equal(graceNow.api_calls, localReport(machines[2]!, ['daily']).totals.api_calls);

  // Deleted on their machine and pushed: gone from the mirror too.
  const db = new Database(machines[2]!.sb.db);
  db.prepare("DELETE FROM token_usage WHERE call_key LIKE 'msg_live_%'").run();
  db.close();
  syncOnce(machines[2]!);
  await poll(() => get(`/api/overview?${q}`), (o) => o.totals.api_calls === expected.api_calls, 6_000, 'the deleted calls gone');
  assertFigures((await get(`/api/developers?${q}`)).totals, expected, 'developers after the deletion');

  // The server down: the figures stay, marked stale, and come back when it does.
  await server.stop('fast');
  const stale = (await poll(() => get('/api/team'), (a) => a.team.stale === true, 20_000, 'a stale mark')).team as Json;
  assert.match(stale.last_error, /cannot reach the team database|terminated|ended the connection/);
  assertFigures((await get(`/api/overview?${q}`)).totals, expected, 'stale figures kept');
  await server.start();
  await poll(() => get('/api/team'), (a) => a.team.stale === false && a.team.last_error === null, 30_000, 'recovery');

  for (const body of bodies) assert.ok(!body.includes(server.password), 'the password is never sent to the browser');
  for (const page of ['/', '/pipeline', '/developers', '/sessions?developer=grace']) {
    const r = await request(d.port, page);
    assert.equal(r.status, 200, `${page}: the web app answers it`);
    assert.ok(!r.body.includes(server.password));
  }
  d.child.kill('SIGINT');
  assert.equal((await d.exited).code, 0);
  assert.ok(!d.stdout().includes(server.password) && !d.stderr().includes(server.password), 'nor printed');
  assert.ok(!fs.existsSync(mirrorDir), 'the mirror is removed when the dashboard stops');
});

test('as the read-only role of docs/TEAM.md (SELECT only, read-only transactions, no temporary tables): the same reports, and the dashboard', async (t) => {
  // The reader's rights as docs/TEAM.md ("Roles") gives them, on the database the machines pushed to.
  await server.psql(`CREATE ROLE cm_reader LOGIN PASSWORD 'reader-secret';
    REVOKE ALL ON DATABASE team_1 FROM PUBLIC;
    GRANT CONNECT ON DATABASE team_1 TO cm_reader;
    ALTER ROLE cm_reader IN DATABASE team_1 SET default_transaction_read_only = on;`);
  await server.psql('GRANT USAGE ON SCHEMA claude_metrics TO cm_reader; GRANT SELECT ON ALL TABLES IN SCHEMA claude_metrics TO cm_reader;', 'team_1');
  const reader = server.url('team_1', { user: 'cm_reader', password: 'reader-secret' });
  for (const args of [['daily'], ['session'], ['developer'], ['blocks', '--developer', 'grace', '--now', NOW], ['daily', '--since', '2026-11-23', '--until', '2026-11-23']]) {
    const { team: _a, ...asReader } = teamReport(args, reader);
    const { team: _b, ...asAdmin } = teamReport(args);
    assert.deepEqual(asReader, asAdmin, `report ${args.join(' ')} as the reader`);
  }
  const d = await startTeamDashboard(t, ['--postgres', reader, '--developer', 'ada'], machines[0]!.sb.dir);
  assert.ok(d.port > 0, d.stderr());
  const team = (await getJson(d.port, '/api/team')).team;
  assert.deepEqual(team.developers, ['ada']);
  assert.deepEqual(team.replicas.map((r: Json) => r.machine).sort(), ['ada-desktop', 'ada-laptop']);
  assert.ok(!JSON.stringify(team).includes('reader-secret'));
  assertFigures((await getJson(d.port, '/api/overview?tz=UTC&range=all')).totals, sumOf(byDeveloper('ada').map((m) => localReport(m, ['daily']).totals)), 'ada as the reader');
});

test('a wrong password or an unreachable server: exit 1, a clear message, never the password', async () => {
  const dir = machines[0]!.sb.dir;
  const wrong = server.url('team_1', { password: 'not-the-password' });
  const r = cli(['report', 'daily', '--postgres', wrong], dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^claude-metrics report: the team database refused the login: password authentication failed/);
  assert.ok(!r.stderr.includes('not-the-password') && !r.stdout.includes('not-the-password'));
  const d = cli(['dashboard', '--port', '0', '--postgres', wrong], dir);
  assert.equal(d.status, 1);
  assert.match(d.stderr, /cannot start: the team database refused the login/);
  assert.ok(!d.stderr.includes('not-the-password') && !d.stdout.includes('not-the-password'));
  const unreachable = `postgresql://${server.superuser}:${server.password}@127.0.0.1:1/team_1`;
  const u = cli(['report', 'session', '--postgres', unreachable], dir);
  assert.equal(u.status, 1);
  assert.match(u.stderr, /cannot reach the team database \(connection refused\)/);
  assert.ok(!u.stderr.includes(server.password));
  const { url: empty } = await teamDatabase();
  const e = cli(['report', 'daily', '--postgres', empty], dir);
  assert.equal(e.status, 1);
  assert.match(e.stderr, /no claude-metrics schema yet/);
});

test('TLS with server verification: the report reads over verify-full with the CA; without it, exit 1 saying why', async (t) => {
  const tls = await startPostgres({ tls: true });
  t.after(() => tls.close());
  await tls.createDatabase('team');
  const m = machines[2]!;
  const withCa = tls.url('team', { params: { sslmode: 'verify-full', sslrootcert: tls.caFile! } }).replace('127.0.0.1', 'localhost');
  syncOnce(m, withCa);
  assert.deepEqual(teamReport(['session'], withCa).rows, localReport(m, ['session']).rows, 'over TLS');
  const noCa = cli(['report', 'daily', '--postgres', tls.url('team', { params: { sslmode: 'verify-full' } }).replace('127.0.0.1', 'localhost')], m.sb.dir);
  assert.equal(noCa.status, 1);
  assert.match(noCa.stderr, /^claude-metrics report: TLS: the team database's certificate was not accepted/);
  assert.ok(!noCa.stderr.includes(tls.password));
});

test('usage errors: the developer report, --developer and --machine need --postgres; --db and --postgres do not mix', () => {
  const dir = machines[0]!.sb.dir;
  const db = machines[0]!.sb.db;
  const cases: Array<[string[], RegExp]> = [
    [['report', 'developer', '--db', db], /report developer needs the team database: give --postgres URL/],
    [['report', 'daily', '--developer', 'ada', '--db', db], /--developer filters the team database's figures/],
    [['report', 'daily', '--machine', 'x', '--db', db], /--machine filters the team database's figures/],
    [['report', 'daily', '--db', db, '--postgres', url], /--db and --postgres/],
    [['report', 'daily', '--postgres', 'mysql://x@y/z'], /not a PostgreSQL URL/],
    [['dashboard', '--developer', 'ada', '--db', db], /--developer filters the team database's figures/],
    [['dashboard', '--postgres', url, '--db', db], /--db and --postgres/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args, dir);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!r.stderr.includes(server.password));
  }
});

test('the mirror misses no row of a transaction that commits after a later one was read', async (t) => {
  const { url: target } = await teamDatabase();
  const admin = new pg.Client({ connectionString: target });
  const slow = new pg.Client({ connectionString: target });
  const reader = new pg.Client({ connectionString: target });
  await Promise.all([admin.connect(), slow.connect(), reader.connect()]);
  t.after(() => Promise.all([admin.end(), slow.end(), reader.end()]).then(() => undefined));
  await migrateCentral(admin);
  const session = (id: string) =>
    `INSERT INTO claude_metrics.sessions (session_id, start_time, total_cost_usd, replica_id, machine, developer) VALUES ('${id}', '2026-11-20T10:00:00Z', 1, gen_random_uuid(), 'm', 'd')`;
  const mirror = openMirror(':memory:');
  t.after(() => mirror.close());
  const ids = (): string[] => mirror.prepare('SELECT session_id FROM sessions ORDER BY 1').pluck().all() as string[];

  let r = await pullCentral(reader, mirror, {});
  assert.deepEqual(ids(), []);
  // The slow transaction takes its row version first, then a quick one commits a higher one.
  await slow.query('BEGIN');
  await slow.query(session('slow'));
  await admin.query(session('quick'));
  r = await pullCentral(reader, mirror, { since: r.highWater });
  assert.deepEqual(ids(), ['quick']);
  assert.ok(r.highWater.inFlight.length > 0, 'the slow transaction is in flight at the snapshot');
  await slow.query('COMMIT');
  r = await pullCentral(reader, mirror, { since: r.highWater });
  assert.deepEqual(ids(), ['quick', 'slow'], 'the row committed late, below the mark, is read');
  assert.equal(r.upserts, 1, 'and only it');
  r = await pullCentral(reader, mirror, { since: r.highWater });
  assert.equal(r.upserts + r.deletes, 0, 'nothing is read twice once the transactions in flight have ended');
  assert.equal(r.highWater.floor, r.highWater.rowVersion);
  // A row marked deleted leaves the mirror; a row of another developer under a filter leaves it too.
  await admin.query(`UPDATE claude_metrics.sessions SET deleted_at = now(), row_version = nextval('claude_metrics.row_versions') WHERE session_id = 'quick'`);
  r = await pullCentral(reader, mirror, { since: r.highWater });
  assert.deepEqual(ids(), ['slow']);
  await admin.query(`UPDATE claude_metrics.sessions SET developer = 'other', row_version = nextval('claude_metrics.row_versions') WHERE session_id = 'slow'`);
  r = await pullCentral(reader, mirror, { since: r.highWater, filters: { developers: ['d'], machines: [] } });
  assert.deepEqual(ids(), []);
});

test('the local dashboard\'s pipeline shows this machine\'s push: the target without password, the changes not yet pushed', async (t) => {
  const m = machines[1]!;
  syncOnce(m);
  const d = await startDashboard(t, m.sb.db, ['--spool', m.sb.spool], env(m.sb.dir));
  let p = await getJson(d.port, '/api/pipeline?tz=UTC');
  assert.equal(p.mode, 'local');
  assert.equal(p.sync.target, server.url('team_1').replace(`:${server.password}@`, ':***@'));
  assert.equal(p.sync.developer, 'ada');
  assert.equal(p.sync.machine, 'ada-desktop');
  assert.equal(p.sync.lag_rows, 0);
  assert.ok(p.sync.last_success_at);
  assert.deepEqual(p.sync.problems, []);
  addCalls(m.sb.db, 4, 'lag');
  p = await getJson(d.port, '/api/pipeline?tz=UTC');
  assert.equal(p.sync.lag_rows, 4, 'four calls not yet pushed');
  assert.ok(p.sync.oldest_unpushed_at);
  syncOnce(m);
  p = await getJson(d.port, '/api/pipeline?tz=UTC');
  assert.equal(p.sync.lag_rows, 0);
  const raw = await request(d.port, '/api/pipeline?tz=UTC');
  assert.ok(!raw.body.includes(server.password));
  // A machine that never pushed: no sync section.
  const other = sandbox(t);
  importInto(other, machineClaudeDir(other, 9));
  const plain = await startDashboard(t, other.db, ['--spool', other.spool], env(other.dir));
  assert.equal((await getJson(plain.port, '/api/pipeline?tz=UTC')).sync, null);
});
