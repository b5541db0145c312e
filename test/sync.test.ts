// The push to a team database, against a real PostgreSQL 15 started in a temp folder
// (test/support/postgres.ts): three machines pushing at once add up exactly; a server stopped
// mid-push, connections killed, a pusher SIGKILLed inside its transaction, a replay from an old
// cursor and a rebuilt local database all end with every row once; bad settings are clear errors
// in status and the logs while the local pipeline goes on. Every process is the built CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CLI, type Sandbox, query, sandbox, startWorker, waitUntil } from './helpers.ts';
import { type PgServer, startPostgres } from './support/postgres.ts';
import { migrateCentral } from '../src/sync/central-schema.ts';
import { loadMigrations } from '../src/worker/db.ts';
import { type TeamFigures, assertSameFigures, centralFigures, centralRows, importInto, localFigures, machineClaudeDir, sumFigures } from './support/team.ts';
import { dropDashboardRollups, dropReportIndexesAndSessionRollup } from './support/schema-7.ts';

let server: PgServer;
let dbCounter = 0;

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.close();
});

/** A new, empty team database on the server; its URL. */
async function teamDatabase(): Promise<string> {
  const name = `team_${++dbCounter}`;
  await server.createDatabase(name);
  return server.url(name);
}

/** The environment every CLI run here gets: no user config file, no URL from the outside. */
function env(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, CLAUDE_METRICS_CONFIG: path.join(sb.dir, 'config.json'), CLAUDE_METRICS_POSTGRES_URL: '', HOME: sb.dir, ...extra };
}

function syncArgs(sb: Sandbox, url: string, developer: string, machine: string, extra: string[] = []): string[] {
  return [CLI, 'sync', '--once', '--postgres', url, '--db', sb.db, '--developer', developer, '--machine', machine, ...extra];
}

function syncOnce(sb: Sandbox, url: string, developer: string, machine: string, extra: string[] = []) {
  return spawnSync(process.execPath, syncArgs(sb, url, developer, machine, extra), { encoding: 'utf8', env: env(sb), timeout: 120_000 });
}

/** Runs a process to its end, asynchronously (several at once). */
function run(args: string[], environment: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A machine: its own sandbox, the fixtures with its own session ids, imported. */
function machine(t: { after: (fn: () => void) => void }, index: number): Sandbox {
  const sb = sandbox(t);
  importInto(sb, machineClaudeDir(sb, index));
  return sb;
}

/** `n` more API calls in one session of this database, written by plain SQL (any writer's rows go out too). */
function addCalls(dbFile: string, sessionId: string, n: number, from = 0): void {
  const db = new Database(dbFile);
  try {
    db.prepare('INSERT OR IGNORE INTO sessions (session_id, start_time) VALUES (?, ?)').run(sessionId, '2026-11-20T10:00:00.000Z');
    const insert = db.prepare(`INSERT INTO token_usage (session_id, call_key, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd)
      VALUES (?, ?, ?, 'claude-sonnet-4-5', ?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (let i = from; i < from + n; i++) {
        insert.run(sessionId, `msg_${i}|req_${i}`, new Date(Date.parse('2026-11-20T10:00:00Z') + i * 1000).toISOString(), 10 + (i % 7), 100 + (i % 13), i % 5, 1000 + i, (i % 97) * 1e-5 + 1e-7);
      }
    })();
  } finally {
    db.close();
  }
}

async function centralCount(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query(sql)).rows[0].n);
  } finally {
    await client.end();
  }
}

test('three machines pushing at once: the team database holds exactly the sum of their figures, per developer and in total', async (t) => {
  const url = await teamDatabase();
  const machines = [machine(t, 1), machine(t, 2), machine(t, 3)];
  const who = [
    ['ada', 'ada-laptop'],
    ['ada', 'ada-desktop'],
    ['grace', 'grace-laptop'],
  ] as const;
  // The first push of a new team database creates its schema: all three race to do it.
  const results = await Promise.all(machines.map((sb, i) => run(syncArgs(sb, url, who[i]![0], who[i]![1], ['--json']), env(sb))));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const summaries = results.map((r) => JSON.parse(r.stdout) as { rows: number; replica_id: string });
  assert.equal(new Set(summaries.map((s) => s.replica_id)).size, 3, 'each database is its own replica');
  const local = machines.map((sb) => localFigures(sb.db));
  assert.ok(local[0]!.calls > 20 && local[0]!.tool_uses > 0, `the fixtures give each machine real calls and tool uses: ${JSON.stringify(local[0])}`);
  assertSameFigures(await centralFigures(url), sumFigures(local), 'all developers');
  assertSameFigures(await centralFigures(url, 'ada'), sumFigures([local[0]!, local[1]!]), 'ada (two machines)');
  assertSameFigures(await centralFigures(url, 'grace'), local[2]!, 'grace');
  // Row by row: every local call is there once with its values.
  const calls = await centralRows(url, 'token_usage', 'session_id, call_key');
  assert.equal(calls.length, sumFigures(local).calls);
  const localCalls = machines.flatMap((sb) => query<{ session_id: string; call_key: string; input_tokens: number; cost_usd: number | null }>(sb.db, 'SELECT session_id, call_key, input_tokens, cost_usd FROM token_usage'));
  const byKey = new Map(calls.map((c) => [`${(c as { session_id: string }).session_id}|${(c as { call_key: string }).call_key}`, c as { input_tokens: string; cost_usd: number | null }]));
  for (const c of localCalls) {
    const central = byKey.get(`${c.session_id}|${c.call_key}`);
    assert.ok(central, `call ${c.call_key} of ${c.session_id} is central`);
    assert.equal(Number(central.input_tokens), c.input_tokens);
    assert.equal(central.cost_usd, c.cost_usd, 'a cost crosses exactly (the double, not a rounding)');
  }
  // A second push changes nothing and sends nothing.
  const again = syncOnce(machines[0]!, url, 'ada', 'ada-laptop', ['--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { rows: number }).rows, 0);
  assertSameFigures(await centralFigures(url), sumFigures(local), 'after a repeated push');
});

test('a push repeated from an old cursor, and a server restored from an older backup, converge to the same rows', async (t) => {
  const url = await teamDatabase();
  const sb = machine(t, 4);
  addCalls(sb.db, 'synthetic-old-cursor', 500);
  assert.equal(syncOnce(sb, url, 'ada', 'm4').status, 0);
  const expected = localFigures(sb.db);
  const before = await centralRows(url, 'token_usage', 'session_id, call_key');
  // Replayed from an old cursor (a lost acknowledgement, a confused operator): same rows.
  await server.psql(`UPDATE claude_metrics.replicas SET cursor = cursor / 3`, `team_${dbCounter}`);
  assert.equal(syncOnce(sb, url, 'ada', 'm4', ['--batch-rows', '64']).status, 0);
  assertSameFigures(await centralFigures(url), expected, 'after a replay');
  assert.deepEqual(await centralRows(url, 'token_usage', 'session_id, call_key'), before);
  // Restored from a backup older than the last pushes: rows missing, cursor back to 0 or ahead.
  await server.psql(`DELETE FROM claude_metrics.token_usage WHERE call_key LIKE 'msg_1%'; UPDATE claude_metrics.replicas SET cursor = 0`, `team_${dbCounter}`);
  assert.equal(syncOnce(sb, url, 'ada', 'm4').status, 0);
  assertSameFigures(await centralFigures(url), expected, 'after a restore with the cursor at 0');
  await server.psql(`DELETE FROM claude_metrics.token_usage WHERE call_key LIKE 'msg_2%'; UPDATE claude_metrics.replicas SET cursor = cursor + 1000000`, `team_${dbCounter}`);
  const r = syncOnce(sb, url, 'ada', 'm4');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /pushed again from the start/);
  assertSameFigures(await centralFigures(url), expected, 'after a restore whose cursor is ahead of this database');
});

test('local changes after a push go out as they are now: updated rows replaced, deleted rows marked, never summed twice', async (t) => {
  const url = await teamDatabase();
  const sb = machine(t, 5);
  addCalls(sb.db, 'synthetic-changes', 50);
  assert.equal(syncOnce(sb, url, 'ada', 'm5').status, 0);
  const db = new Database(sb.db);
  db.prepare("UPDATE token_usage SET output_tokens = output_tokens + 1000 WHERE session_id = 'synthetic-changes' AND call_key LIKE 'msg_1%'").run();
  db.prepare("DELETE FROM token_usage WHERE session_id = 'synthetic-changes' AND call_key LIKE 'msg_2%'").run();
  db.close();
  assert.equal(syncOnce(sb, url, 'ada', 'm5').status, 0);
  assertSameFigures(await centralFigures(url), localFigures(sb.db), 'after updates and deletes');
  const marked = await centralCount(url, "SELECT count(*) AS n FROM claude_metrics.token_usage WHERE deleted_at IS NOT NULL AND call_key LIKE 'msg_2%'");
  assert.equal(marked, 11, 'msg_2 and msg_20..29 are marked deleted, not removed');
});

test('the pushing process SIGKILLed inside its transaction, again and again: nothing lost, nothing doubled', async (t) => {
  const url = await teamDatabase();
  const sb = machine(t, 6);
  addCalls(sb.db, 'synthetic-kill', 20_000);
  const expected = localFigures(sb.db);
  // The schema first, so that the kills land in pushes rather than in its creation.
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await migrateCentral(admin);
  await admin.end();
  let killedInTransaction = 0;
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, syncArgs(sb, url, 'ada', 'm6', ['--batch-rows', '200']), { env: env(sb), stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Wait until the pusher's transaction is open on the server, then kill it there.
    let open = false;
    const deadline = Date.now() + 20_000;
    while (!open && Date.now() < deadline && child.exitCode === null) {
      open = (await centralCount(url, "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'claude-metrics' AND xact_start IS NOT NULL").catch(() => 0)) > 0;
    }
    if (open && child.exitCode === null) {
      child.kill('SIGKILL');
      if ((await exited) === 'SIGKILL') killedInTransaction++;
    } else await exited;
  }
  assert.ok(killedInTransaction >= 3, `the pusher was killed inside a transaction ${killedInTransaction} times`);
  const partial = await centralFigures(url);
  assert.ok(partial.calls <= expected.calls, 'never more than the local rows, whatever was cut');
  const r = syncOnce(sb, url, 'ada', 'm6');
  assert.equal(r.status, 0, r.stderr);
  assertSameFigures(await centralFigures(url), expected, 'after the kills and one clean push');
});

test('the server stopped in the middle of a push and started again: the push fails cleanly and the next one ends exact', async (t) => {
  const url = await teamDatabase();
  const sb = machine(t, 15);
  addCalls(sb.db, 'synthetic-stop', 20_000);
  const expected = localFigures(sb.db);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await migrateCentral(admin);
  await admin.end();
  let stoppedInTransaction = 0;
  for (let round = 0; round < 2; round++) {
    const pushing = run(syncArgs(sb, url, 'ada', 'm15', ['--batch-rows', '200']), env(sb));
    let open = false;
    const deadline = Date.now() + 20_000;
    while (!open && Date.now() < deadline) {
      open = (await centralCount(url, "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'claude-metrics' AND xact_start IS NOT NULL").catch(() => 0)) > 0;
    }
    if (open) {
      await server.stop(round === 0 ? 'immediate' : 'fast');
      try {
        const r = await pushing;
        if (r.code === 1) {
          stoppedInTransaction++;
          assert.match(r.stderr, /claude-metrics sync: .*(terminat|connection|shut|ended|reach)/i, r.stderr);
          assert.ok(!r.stderr.includes(server.password));
        }
      } finally {
        // Whatever the assertion says, the next tests need the server back.
        await server.start();
      }
    } else await pushing;
  }
  assert.ok(stoppedInTransaction >= 1, 'the server went down under an open push at least once');
  const partial = await centralFigures(url);
  assert.ok(partial.calls < expected.calls, 'the cut pushes left rows to push');
  const r = syncOnce(sb, url, 'ada', 'm15');
  assert.equal(r.status, 0, r.stderr);
  assertSameFigures(await centralFigures(url), expected, 'after the restarts and one clean push');
});

test('a local database deleted and rebuilt with import is a new replica, and its sessions and calls still count once', async (t) => {
  const url = await teamDatabase();
  const sb = sandbox(t);
  const claude = machineClaudeDir(sb, 7);
  importInto(sb, claude);
  const first = JSON.parse(syncOnce(sb, url, 'ada', 'm7', ['--json']).stdout) as { replica_id: string };
  const expected = localFigures(sb.db);
  for (const suffix of ['', '-wal', '-shm', '-sync.json']) fs.rmSync(`${sb.db}${suffix}`, { force: true });
  importInto(sb, claude);
  const second = JSON.parse(syncOnce(sb, url, 'ada', 'm7', ['--json']).stdout) as { replica_id: string; rows: number };
  assert.notEqual(second.replica_id, first.replica_id, 'a rebuilt database is a new replica');
  assert.ok(second.rows > 0, 'it pushed its rows again');
  assertSameFigures(await centralFigures(url), expected, 'after the rebuild');
  assert.equal(await centralCount(url, 'SELECT count(*) AS n FROM claude_metrics.replicas'), 2);
});

/** The watching worker with --postgres: a worker process of the built CLI. */
async function workerWithSync(sb: Sandbox, url: string, extra: string[] = []) {
  const w = await startWorkerEnv(sb, ['--postgres', url, '--developer', 'ada', '--machine', 'w', ...extra]);
  return w;
}

async function startWorkerEnv(sb: Sandbox, extra: string[]) {
  // startWorker inherits process.env: the config file and URL are pinned for this test's processes.
  const saved = { config: process.env.CLAUDE_METRICS_CONFIG, url: process.env.CLAUDE_METRICS_POSTGRES_URL };
  process.env.CLAUDE_METRICS_CONFIG = path.join(sb.dir, 'config.json');
  process.env.CLAUDE_METRICS_POSTGRES_URL = '';
  try {
    return await startWorker(sb, extra, 'worker ready');
  } finally {
    if (saved.config === undefined) delete process.env.CLAUDE_METRICS_CONFIG;
    else process.env.CLAUDE_METRICS_CONFIG = saved.config;
    if (saved.url === undefined) delete process.env.CLAUDE_METRICS_POSTGRES_URL;
    else process.env.CLAUDE_METRICS_POSTGRES_URL = saved.url;
  }
}

async function stopWorker(w: Awaited<ReturnType<typeof startWorker>>): Promise<void> {
  w.child.kill('SIGTERM');
  const { code } = await w.exited;
  assert.equal(code, 0, w.stderr());
}

test('the watching worker pushes as it applies, through a server stopped mid-push and restarted and connections killed', async (t) => {
  const url = await teamDatabase();
  const sb = sandbox(t);
  const claude = machineClaudeDir(sb, 8);
  const w = await workerWithSync(sb, url);
  t.after(() => w.child.kill('SIGKILL'));
  addCalls(sb.db, 'synthetic-outage', 3000);
  // Import through the watching worker while the server goes away and comes back.
  const imported = run([CLI, 'import', '--claude-dir', claude, '--spool', sb.spool, '--db', sb.db], env(sb));
  await waitUntil(() => w.stderr().includes('sync pushed'), 20_000, () => `a first push: ${w.stderr()}`);
  await server.stop('immediate');
  addCalls(sb.db, 'synthetic-outage', 3000, 3000);
  await waitUntil(() => w.stderr().includes('sync failed'), 20_000, () => `the worker to notice the outage: ${w.stderr()}`);
  // Meanwhile the local pipeline goes on, and status tells what is wrong.
  assert.equal((await imported).code, 0);
  await waitUntil(() => query(sb.db, 'SELECT 1 FROM payloads').length > 0, 20_000, () => 'the import applied locally');
  const status = spawnSync(process.execPath, [CLI, 'status', '--json', '--spool-only', '--spool', sb.spool, '--db', sb.db], { encoding: 'utf8', env: env(sb) });
  const report = JSON.parse(status.stdout) as { ok: boolean; problems: string[]; sync: { state: { last_error: string }; lag: { rows: number; age_seconds: number } } };
  assert.equal(status.status, 1);
  assert.match(report.sync.state.last_error, /cannot reach the team database|connection|terminat/i);
  assert.ok(report.sync.lag.rows > 0, 'status shows the changes waiting');
  assert.ok(report.problems.some((p) => p.includes('pushing to the team database')), report.problems.join('\n'));
  await server.start();
  // Kill every connection a few times while the pusher works.
  for (let i = 0; i < 5; i++) {
    addCalls(sb.db, 'synthetic-outage', 500, 6000 + i * 500);
    await new Promise((r) => setTimeout(r, 300));
    await server.terminateAllBackends(`team_${dbCounter}`);
  }
  const expected = localFigures(sb.db);
  await waitUntil(() => w.stderr().split('sync recovered').length > 1, 60_000, () => `recovery: ${w.stderr()}`);
  const deadline = Date.now() + 60_000;
  let central: TeamFigures = await centralFigures(url);
  while (central.calls !== expected.calls && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    central = await centralFigures(url);
  }
  assertSameFigures(central, expected, 'after the outage and the killed connections');
  assert.ok(!w.stderr().includes(server.password), 'the password never reaches the log');
  await stopWorker(w);
});

test('bad settings (unreachable host, wrong password, no TLS where TLS is required): a clear error in the log and status, the local pipeline unaffected', async (t) => {
  const dbName = `team_${++dbCounter}`;
  await server.createDatabase(dbName);
  const cases = [
    { name: 'unreachable', url: `postgresql://${server.superuser}:${encodeURIComponent(server.password)}@127.0.0.1:1/${dbName}`, error: /cannot reach the team database/ },
    { name: 'wrong password', url: server.url(dbName, { password: 'not-the-password' }), error: /refused the login: password authentication failed/ },
    { name: 'TLS required', url: server.url(dbName, { params: { sslmode: 'verify-full' } }), error: /no TLS/ },
  ];
  for (const c of cases) {
    const sb = sandbox(t);
    const claude = machineClaudeDir(sb, 9);
    const w = await workerWithSync(sb, c.url);
    t.after(() => w.child.kill('SIGKILL'));
    const imported = await run([CLI, 'import', '--claude-dir', claude, '--drain', '--spool', sb.spool, '--db', sb.db, '--wait-seconds', '60'], env(sb));
    assert.equal(imported.code, 0, `${c.name}: the import is applied by the worker all the same: ${imported.stdout}${imported.stderr}`);
    assert.ok(localFigures(sb.db).calls > 0, `${c.name}: local figures recorded`);
    await waitUntil(() => w.stderr().includes('sync failed'), 20_000, () => `${c.name}: the failure logged: ${w.stderr()}`);
    const logLine = w.stderr().split('\n').find((l) => l.includes('sync failed'))!;
    assert.match(logLine, c.error, `${c.name}: ${logLine}`);
    assert.ok(!w.stderr().includes('not-the-password') && !w.stderr().includes(server.password), `${c.name}: no password in the log`);
    const status = spawnSync(process.execPath, [CLI, 'status', '--spool-only', '--spool', sb.spool, '--db', sb.db], { encoding: 'utf8', env: env(sb) });
    assert.equal(status.status, 1, `${c.name}: status says attention`);
    assert.match(status.stdout, /pushing to the team database .* fails since/, `${c.name}: ${status.stdout}`);
    assert.match(status.stdout, c.error);
    assert.ok(!status.stdout.includes(server.password) && !status.stdout.includes('not-the-password'));
    await stopWorker(w);
  }
  // `sync --once` with the same: exit 1 and the message; a URL that is not PostgreSQL's: exit 2.
  const sb = machine(t, 10);
  const once = syncOnce(sb, cases[1]!.url, 'ada', 'x');
  assert.equal(once.status, 1);
  assert.match(once.stderr, /refused the login/);
  const bad = syncOnce(sb, 'mysql://db.example.com/team', 'ada', 'x');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /not a PostgreSQL URL/);
  const none = spawnSync(process.execPath, [CLI, 'sync', '--once', '--db', sb.db], { encoding: 'utf8', env: env(sb) });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no team database/);
});

test('TLS with server verification: sslmode=verify-full with the CA file pushes; without the CA it is refused', async (t) => {
  const tls = await startPostgres({ tls: true });
  t.after(() => tls.close());
  await tls.createDatabase('team');
  const sb = machine(t, 11);
  const url = tls.url('team', { params: { sslmode: 'verify-full', sslrootcert: tls.caFile! } }).replace('127.0.0.1', 'localhost');
  const ok = syncOnce(sb, url, 'ada', 'tls');
  assert.equal(ok.status, 0, ok.stderr);
  assertSameFigures(await centralFigures(url), localFigures(sb.db), 'over TLS');
  const ssl = await centralCount(url, 'SELECT count(*) AS n FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl');
  assert.equal(ssl, 1, 'the connection is encrypted');
  const noCa = syncOnce(sb, tls.url('team', { params: { sslmode: 'verify-full' } }).replace('127.0.0.1', 'localhost'), 'ada', 'tls');
  assert.equal(noCa.status, 1);
  assert.match(noCa.stderr, /certificate was not accepted/);
});

test('a database from before the outbox (schema 9) is migrated by sync and its whole history pushed', async (t) => {
  const url = await teamDatabase();
  const sb = machine(t, 12);
  // Take the machine's figures back to schema 9: no outbox, no replica id, no dashboard rollups.
  const db = new Database(sb.db);
  dropDashboardRollups(db);
  dropReportIndexesAndSessionRollup(db);
  db.exec(`${db.prepare("SELECT group_concat('DROP TRIGGER ' || name, '; ') FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync_outbox_%'").pluck().get() as string}; DROP TABLE sync_outbox; DROP TABLE sync_replica; PRAGMA user_version = 9;`);
  db.close();
  addCalls(sb.db, 'synthetic-before-outbox', 100);
  const r = syncOnce(sb, url, 'ada', 'old', ['--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(query(sb.db, 'PRAGMA user_version')[0]!.user_version, loadMigrations().length);
  assertSameFigures(await centralFigures(url), localFigures(sb.db), 'the history from before the outbox');
});

test("a developer's one command: sync --save pushes, keeps the config file's other sections, and every worker started after it pushes", async (t) => {
  const url = await teamDatabase();
  const sb = machine(t, 13);
  const config = path.join(sb.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ budgets: { day: 25 } }));
  const saved = spawnSync(process.execPath, [CLI, 'sync', '--save', '--postgres', url, '--developer', 'linus', '--db', sb.db], { encoding: 'utf8', env: env(sb) });
  assert.equal(saved.status, 0, saved.stderr);
  assert.match(saved.stdout, /saved to .*config\.json/);
  assert.ok(!saved.stdout.includes(server.password), 'the password is not printed');
  assert.equal(fs.statSync(config).mode & 0o777, 0o600);
  const written = JSON.parse(fs.readFileSync(config, 'utf8')) as { budgets: unknown; sync: { postgres: string; developer: string } };
  assert.deepEqual(written.budgets, { day: 25 });
  assert.equal(written.sync.developer, 'linus');
  assertSameFigures(await centralFigures(url, 'linus'), localFigures(sb.db), 'the first push');
  // A worker with no --postgres now pushes what it applies (the URL from the config file).
  const w = await startWorkerEnv(sb, []);
  t.after(() => w.child.kill('SIGKILL'));
  addCalls(sb.db, 'synthetic-saved', 40);
  const expected = localFigures(sb.db);
  const deadline = Date.now() + 30_000;
  while ((await centralFigures(url, 'linus')).calls !== expected.calls && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assertSameFigures(await centralFigures(url, 'linus'), expected, 'pushed by the worker from the saved config');
  await stopWorker(w);
  // A failed push saves nothing.
  const sb2 = machine(t, 14);
  const failed = spawnSync(process.execPath, [CLI, 'sync', '--save', '--postgres', server.url(`team_${dbCounter}`, { password: 'nope' }), '--db', sb2.db], { encoding: 'utf8', env: env(sb2) });
  assert.equal(failed.status, 1);
  assert.ok(!fs.existsSync(path.join(sb2.dir, 'config.json')), 'nothing saved after a failed push');
});
