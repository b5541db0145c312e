// `claude-metrics status` and `claude-metrics dead …` on real spools and databases: dead letters
// made by the real hook and worker, a real watching worker, the fixture sessions' costs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { localDayRange } from '../src/cli/status.ts';
import { loadMigrations } from '../src/worker/db.ts';
import { CLI, FIXTURES, type Sandbox, drain, event, payloadId, query, runHook, sandbox, spoolFiles, spoolPayload, startWorker } from './helpers.ts';

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Cli {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface StatusJson {
  ok: boolean;
  problems: string[];
  spool: { path: string; exists: boolean; incoming: number; processing: number; dead: number; oldest_waiting: { id: string; received_at: string; age_seconds: number } | null; waiting_too_long: number; max_wait_seconds: number };
  worker: { running: boolean; pid: number | null; since: string | null };
  database: { path: string; exists: boolean; size_bytes: number; schema_version: number | null; sessions: number; last_applied: { id: string; event: string; session_id: string; applied_at: string } | null; last_statusline: { id: string; session_id: string; applied_at: string } | null; error: string | null };
  day: { date: string; time_zone: string; start: string; end: string; cost_usd: number | null; api_calls: number };
}

/** `status --json`, judging only the spool and database unless `everything` (worker and hook too). */
function status(sb: Sandbox, extra: string[] = [], env: NodeJS.ProcessEnv = {}, everything = false): { code: number | null; json: StatusJson; stderr: string } {
  const r = cli(['status', '--json', '--spool', sb.spool, '--db', sb.db, ...(everything ? [] : ['--spool-only']), ...extra], env);
  return { code: r.code, json: JSON.parse(r.stdout) as StatusJson, stderr: r.stderr };
}

function dead(sb: Sandbox, args: string[]): Cli {
  return cli(['dead', ...args, '--spool', sb.spool]);
}

/** Dead letters made the real way: through the hook, then a drain. Returns their ids, sorted. */
async function deadLetters(sb: Sandbox, bodies: string[]): Promise<string[]> {
  const before = new Set(spoolFiles(sb, 'dead'));
  for (const body of bodies) assert.equal((await runHook(body, ['--spool', sb.spool])).code, 0);
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`dead-lettered ${bodies.length}`));
  return spoolFiles(sb, 'dead')
    .filter((n) => !before.has(n) && !n.endsWith('.error.json'))
    .map((n) => n.slice(0, -'.json'.length));
}

test('status: an empty spool and no database is healthy (exit 0) and creates nothing', (t) => {
  const sb = sandbox(t);
  const { code, json } = status(sb);
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(json), ['ok', 'problems', 'spool', 'worker', 'hook', 'statusline', 'database', 'day', 'budgets', 'sync']);
  assert.equal(json.ok, true);
  assert.deepEqual(json.problems, []);
  assert.deepEqual(json.spool, { path: sb.spool, exists: false, incoming: 0, processing: 0, dead: 0, oldest_waiting: null, waiting_too_long: 0, max_wait_seconds: 300 });
  assert.deepEqual(json.worker, { running: false, pid: null, since: null });
  assert.deepEqual(json.database, { path: sb.db, exists: false, size_bytes: 0, schema_version: null, sessions: 0, last_applied: null, last_statusline: null, error: null });
  assert.equal(json.day.cost_usd, null);
  assert.equal(json.day.api_calls, 0);
  assert.equal(fs.existsSync(sb.spool), false, 'status never creates the spool');
  assert.equal(fs.existsSync(sb.db), false, 'status never creates the database');
  const text = cli(['status', '--spool-only', '--spool', sb.spool, '--db', sb.db]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^spool +.*\(not created yet\)$/m);
  assert.match(text.stdout, /^worker +not running \(start one/m);
  assert.match(text.stdout, /^status: ok$/m);
});

test('status: payloads waiting longer than --max-wait need attention (exit 1, named)', (t) => {
  const sb = sandbox(t);
  const old = spoolPayload(sb, event('w', 'Stop'), payloadId(Date.now() - 600_000));
  spoolPayload(sb, event('w', 'Stop'));
  const { code, json } = status(sb);
  assert.equal(code, 1);
  assert.equal(json.ok, false);
  assert.equal(json.spool.incoming, 2);
  assert.equal(json.spool.waiting_too_long, 1);
  assert.equal(json.spool.oldest_waiting!.id, old);
  assert.ok(json.spool.oldest_waiting!.age_seconds >= 600 && json.spool.oldest_waiting!.age_seconds < 700);
  assert.equal(json.problems.length, 1);
  assert.match(json.problems[0]!, /^1 payload waiting longer than 300s \(oldest 6\d\ds\)/);
  const text = cli(['status', '--spool-only', '--spool', sb.spool, '--db', sb.db]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^status: attention\n {2}- 1 payload waiting longer than 300s/m);
  // A longer threshold: healthy again.
  assert.equal(status(sb, ['--max-wait', '3600']).code, 0);
  // Applied: nothing waits, the last applied payload is shown.
  assert.equal(drain(sb).code, 0);
  const after = status(sb);
  assert.equal(after.code, 0);
  assert.equal(after.json.spool.oldest_waiting, null);
  assert.equal(after.json.database.sessions, 1);
  assert.equal(after.json.database.schema_version, loadMigrations().length);
  assert.ok(after.json.database.size_bytes > 0);
  assert.equal(after.json.database.last_applied!.event, 'Stop');
  assert.equal(after.json.database.last_applied!.session_id, 'w');
  assert.equal(after.json.database.last_statusline, null);
  // Status line snapshots after it (an idle session refreshing): the last hook payload is still
  // what 'last applied' shows; the last snapshot has a line of its own.
  const stop = after.json.database.last_applied!.id;
  let snap = '';
  for (let i = 1; i <= 3; i++) snap = spoolPayload(sb, { session_id: 'w', cost: { total_cost_usd: 0.5 } }, `${payloadId(Date.now() + i)}-statusline`);
  assert.equal(drain(sb).code, 0);
  const later = status(sb);
  assert.equal(later.json.database.last_applied!.id, stop);
  assert.deepEqual([later.json.database.last_statusline!.id, later.json.database.last_statusline!.session_id], [snap, 'w']);
  const text2 = cli(['status', '--spool-only', '--spool', sb.spool, '--db', sb.db]);
  assert.match(text2.stdout, new RegExp(`^ {2}last applied +\\S+ Stop of session w \\(${stop}\\)$`, 'm'));
  assert.match(text2.stdout, new RegExp(`^ {2}last status line +\\S+ of session w \\(${snap}\\)$`, 'm'));
});

test('status: a dead letter made by the real worker needs attention (exit 1)', async (t) => {
  const sb = sandbox(t);
  const [id] = await deadLetters(sb, ['this is not JSON']);
  const { code, json } = status(sb);
  assert.equal(code, 1);
  assert.equal(json.spool.dead, 1);
  assert.deepEqual(json.problems, [`1 dead letter in ${path.join(sb.spool, 'dead')} (see 'claude-metrics dead list')`]);
  assert.equal(dead(sb, ['purge', id!]).code, 0);
  assert.equal(status(sb).code, 0);
});

test('status: no watching worker or no hook in Claude Code\'s settings needs attention; both there is ok', async (t) => {
  const sb = sandbox(t);
  const claudeDir = path.join(sb.dir, 'claude');
  const env = { CLAUDE_CONFIG_DIR: claudeDir };
  const before = status(sb, [], env, true);
  assert.equal(before.code, 1);
  assert.equal(before.json.ok, false);
  assert.equal(before.json.problems.length, 2, before.json.problems.join('\n'));
  assert.match(before.json.problems[0]!, /^no worker is watching the spool/);
  assert.match(before.json.problems[1]!, /do not run the hook: nothing is recorded \(run 'claude-metrics install'\)$/);
  const text = cli(['status', '--spool', sb.spool, '--db', sb.db], env);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^status: attention\n {2}- no worker is watching the spool/m);
  // --spool-only: a script that drains by itself does not care.
  assert.equal(status(sb, [], env).code, 0);

  assert.equal(cli(['install', '--spool', sb.spool], env).code, 0);
  const hookOnly = status(sb, [], env, true);
  assert.equal(hookOnly.code, 1);
  assert.deepEqual(hookOnly.json.problems.map((p) => p.slice(0, 28)), ['no worker is watching the sp']);
  const w = await startWorker(sb, [], 'worker ready');
  t.after(() => w.child.kill('SIGKILL'));
  const healthy = status(sb, [], env, true);
  assert.equal(healthy.code, 0, healthy.json.problems.join('\n'));
  assert.deepEqual(healthy.json.problems, []);
  assert.match(cli(['status', '--spool', sb.spool, '--db', sb.db], env).stdout, /^status: ok$/m);
  w.child.kill('SIGTERM');
  assert.deepEqual(await w.exited, { code: 0, signal: null });
  assert.equal(status(sb, [], env, true).code, 1, 'the worker gone: attention again');
});

test('status: a watching worker is seen running with its pid, and not after SIGTERM', async (t) => {
  const sb = sandbox(t);
  const w = await startWorker(sb, [], 'worker ready');
  t.after(() => w.child.kill('SIGKILL'));
  const running = status(sb);
  assert.equal(running.code, 0, running.stderr);
  assert.equal(running.json.worker.running, true);
  assert.equal(running.json.worker.pid, w.child.pid);
  assert.match(running.json.worker.since!, /^\d{4}-\d\d-\d\dT/);
  const text = cli(['status', '--spool', sb.spool, '--db', sb.db]);
  assert.match(text.stdout, new RegExp(`^worker +running, pid ${w.child.pid} `, 'm'));
  w.child.kill('SIGTERM');
  assert.deepEqual(await w.exited, { code: 0, signal: null });
  assert.deepEqual(status(sb).json.worker, { running: false, pid: null, since: null });
});

/** The fixture sessions through the real hook and one drain (transcripts copied into the sandbox). */
async function fixtureSessions(sb: Sandbox): Promise<void> {
  const claude = path.join(sb.dir, 'home', '.claude');
  fs.cpSync(path.join(FIXTURES, 'projects'), path.join(claude, 'projects'), { recursive: true });
  const dir = path.join(FIXTURES, 'payloads');
  for (const name of fs.readdirSync(dir).sort()) {
    const body = fs.readFileSync(path.join(dir, name), 'utf8').replaceAll('/home/user/.claude', claude);
    assert.equal((await runHook(body, ['--spool', sb.spool])).code, 0);
  }
  assert.equal(drain(sb).code, 0);
}

test("status: today's cost is the sum of token_usage.cost_usd over the local day, taken as a UTC range", async (t) => {
  const sb = sandbox(t);
  await fixtureSessions(sb);
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, { cost_usd: number; api_calls: number }>;
  const fixtureCost = Object.values(expected).reduce((sum, s) => sum + s.cost_usd, 0);
  const fixtureCalls = Object.values(expected).reduce((sum, s) => sum + s.api_calls, 0);
  const near = (a: number | null, b: number, what: string): void => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

  // Today (whatever day the test runs), computed independently from the rows.
  const now = new Date();
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString();
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).toISOString();
  const today = query<{ cost: number; n: number }>(sb.db, 'SELECT total(cost_usd) AS cost, count(*) AS n FROM token_usage WHERE timestamp >= ? AND timestamp < ?', start, end)[0]!;
  const r = status(sb);
  assert.equal(r.code, 0, r.stderr);
  near(r.json.day.cost_usd, today.cost, 'today');
  assert.equal(r.json.day.api_calls, today.n);
  assert.equal(r.json.database.sessions, Object.keys(expected).length);

  // The fixture calls are all on 2026-11-23 between 19:40 and 19:41 UTC.
  const day = (date: string, tz: string) => status(sb, ['--day', date], { TZ: tz }).json.day;
  const utc = day('2026-11-23', 'UTC');
  assert.deepEqual([utc.date, utc.time_zone, utc.start, utc.end], ['2026-11-23', 'UTC', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z']);
  near(utc.cost_usd, fixtureCost, 'UTC day');
  assert.equal(utc.api_calls, fixtureCalls);
  // UTC-8: 11:40 the same local day.
  near(day('2026-11-23', 'America/Los_Angeles').cost_usd, fixtureCost, 'Los Angeles');
  // UTC+14: already 09:40 the next local day.
  const kiritimati = day('2026-11-23', 'Pacific/Kiritimati');
  assert.deepEqual([kiritimati.start, kiritimati.end, kiritimati.cost_usd, kiritimati.api_calls], ['2026-11-22T10:00:00.000Z', '2026-11-23T10:00:00.000Z', 0, 0]);
  near(day('2026-11-24', 'Pacific/Kiritimati').cost_usd, fixtureCost, 'Kiritimati, next day');
  assert.equal(cli(['status', '--day', '2026-02-30', '--spool', sb.spool, '--db', sb.db]).code, 2);
});

test('localDayRange: a local day as a UTC range, 23 or 25 hours across a DST change', (t) => {
  const saved = process.env.TZ;
  t.after(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
  process.env.TZ = 'UTC';
  assert.deepEqual(localDayRange('2026-11-23'), { date: '2026-11-23', time_zone: 'UTC', start: '2026-11-23T00:00:00.000Z', end: '2026-11-24T00:00:00.000Z' });
  assert.equal(localDayRange(undefined, new Date('2026-11-23T23:59:59.999Z')).date, '2026-11-23');
  process.env.TZ = 'Europe/Paris';
  assert.deepEqual(localDayRange('2026-10-25'), { date: '2026-10-25', time_zone: 'Europe/Paris', start: '2026-10-24T22:00:00.000Z', end: '2026-10-25T23:00:00.000Z' });
  assert.deepEqual(localDayRange('2026-03-29'), { date: '2026-03-29', time_zone: 'Europe/Paris', start: '2026-03-28T23:00:00.000Z', end: '2026-03-29T22:00:00.000Z' });
  // 23:30 UTC is already the next day in Paris.
  assert.equal(localDayRange(undefined, new Date('2026-11-23T23:30:00.000Z')).date, '2026-11-24');
  for (const bad of ['2026-13-01', '2026-02-29', '26-11-23', 'today']) assert.throws(() => localDayRange(bad), RangeError, bad);
});

test('status: an older schema (no payloads, no costs) reports what it has; an unreadable database needs attention', (t) => {
  const sb = sandbox(t);
  const db = new Database(sb.db);
  db.exec(loadMigrations()[0]!.sql);
  db.prepare("INSERT INTO sessions (session_id, start_time, total_cost_usd) VALUES ('old', '2026-01-01 10:00:00', 1.5)").run();
  db.close();
  const { code, json } = status(sb);
  assert.equal(code, 0);
  assert.equal(json.database.exists, true);
  assert.equal(json.database.schema_version, 0);
  assert.equal(json.database.sessions, 1);
  assert.equal(json.database.last_applied, null);
  assert.equal(json.database.last_statusline, null);
  assert.equal(json.database.error, null);
  assert.equal(json.day.cost_usd, null);
  assert.equal(cli(['status', '--spool-only', '--spool', sb.spool, '--db', sb.db]).code, 0);

  fs.writeFileSync(sb.db, 'not a database, just text that is long enough to have a header of sorts'.repeat(20));
  const broken = status(sb);
  assert.equal(broken.code, 1);
  assert.match(broken.json.database.error!, /not a database/);
  assert.match(broken.json.problems[0]!, /^the database cannot be read: /);
});

test('dead letters: list, show, fix, retry, and the worker applies it', async (t) => {
  const sb = sandbox(t);
  const payload = { hook_event_name: 'Stop', cwd: '/w', note: 'no session id' };
  const [id] = await deadLetters(sb, [JSON.stringify(payload)]);
  assert.ok(id);
  const list = dead(sb, ['list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID +RECEIVED +DEAD-LETTERED +BYTES +REASON$/m);
  assert.match(list.stdout, new RegExp(`^${id} +\\d{4}-\\d\\d-\\d\\dT\\S+Z +\\d{4}-\\S+Z +${JSON.stringify(payload).length} +missing session_id$`, 'm'));
  const rows = JSON.parse(dead(sb, ['list', '--json']).stdout) as Array<Record<string, unknown>>;
  assert.equal(rows.length, 1);
  assert.deepEqual(
    { ...rows[0], dead_lettered_at: typeof rows[0]!.dead_lettered_at },
    {
      id,
      received_at: new Date(Number(id!.slice(0, 13))).toISOString(),
      dead_lettered_at: 'string',
      reason: 'missing session_id',
      attempts: null,
      payload_kind: 'file',
      payload_bytes: JSON.stringify(payload).length,
      has_payload: true,
      has_reason: true,
      problem: null,
    },
  );

  const show = dead(sb, ['show', id!]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /"reason": "missing session_id"/);
  assert.ok(show.stdout.includes(JSON.stringify(payload, null, 2)), show.stdout);
  const shown = JSON.parse(dead(sb, ['show', `${id}.json`, '--json']).stdout) as { error: { json: { reason: string } }; payload: { json: unknown } };
  assert.equal(shown.error.json.reason, 'missing session_id');
  assert.deepEqual(shown.payload.json, payload);

  // Fixed in place, then retried by its path.
  const file = path.join(sb.spool, 'dead', `${id}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...payload, session_id: 'fixed' }));
  const retry = dead(sb, ['retry', file]);
  assert.equal(retry.code, 0, retry.stderr);
  assert.match(retry.stdout, /^retried 1$/m);
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
  assert.deepEqual(spoolFiles(sb, 'incoming'), [`${id}.json`]);
  const r = drain(sb);
  assert.match(r.stdout, /applied 1, dead-lettered 0/);
  assert.deepEqual(query(sb.db, 'SELECT id, event, session_id FROM payloads'), [{ id, event: 'Stop', session_id: 'fixed' }]);
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
  assert.equal(dead(sb, ['list']).stdout, `no dead letters in ${path.join(sb.spool, 'dead')}\n`);
});

test('dead show: a symlink is named with its target, never followed; a huge payload is cut and says so', async (t) => {
  const sb = sandbox(t);
  const secret = path.join(sb.dir, 'secret.txt');
  fs.writeFileSync(secret, 'TOP SECRET');
  const linkId = payloadId();
  fs.mkdirSync(path.join(sb.spool, 'incoming'), { recursive: true });
  fs.symlinkSync(secret, path.join(sb.spool, 'incoming', `${linkId}.json`));
  assert.match(drain(sb).stdout, /dead-lettered 1/);
  const [bigId] = await deadLetters(sb, [`x${'y'.repeat(200_000)}\u0007`]);
  const link = dead(sb, ['show', linkId]);
  assert.equal(link.code, 0, link.stderr);
  assert.ok(link.stdout.includes(`a symlink to ${JSON.stringify(secret)} (never followed, not read)`), link.stdout);
  assert.ok(!link.stdout.includes('TOP SECRET'));
  assert.match(link.stdout, /"reason": "not a regular file: a symlink/);
  const big = dead(sb, ['show', bigId!, '--max-bytes', '1000']);
  assert.equal(big.code, 0, big.stderr);
  assert.match(big.stdout, /… 199002 bytes cut \(showing 1000 of 200002; --max-bytes shows more\)/);
  const whole = dead(sb, ['show', bigId!, '--max-bytes', '300000']);
  assert.ok(whole.stdout.includes('y\\x07\n'), 'control characters are escaped');
  const rows = JSON.parse(dead(sb, ['list', '--json']).stdout) as Array<{ id: string; payload_kind: string }>;
  assert.equal(rows.find((r) => r.id === linkId)!.payload_kind, 'symlink');
});

test('dead retry --all and purge act on exactly what is named; an unknown id changes nothing', async (t) => {
  const sb = sandbox(t);
  const ids = await deadLetters(sb, ['bad 1', 'bad 2', 'bad 3', 'bad 4']);
  assert.equal(ids.length, 4);
  const deadDir = path.join(sb.spool, 'dead');
  const snapshot = (): string[] => [...spoolFiles(sb, 'dead'), ...spoolFiles(sb, 'incoming').map((n) => `incoming/${n}`)];

  // Unknown ids (alone or beside good ones): exit 1, every bad one named, nothing touched.
  const before = snapshot();
  for (const args of [['purge', ids[0]!, '1795462831261-1-abc'], ['retry', 'nonsense', ids[1]!], ['show', '1795462831261-1-abc'], ['purge', '/tmp/elsewhere/' + `${ids[0]}.json`]]) {
    const r = dead(sb, args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /is not a dead letter in /);
    assert.deepEqual(snapshot(), before, args.join(' '));
  }
  // Usage errors: exit 2.
  for (const args of [['retry'], ['purge'], ['retry', '--all', ids[0]!], ['show'], ['frobnicate'], ['list', '--bogus']]) {
    assert.equal(dead(sb, args).code, 2, args.join(' '));
  }

  // purge one (as <id>.error.json): only it goes.
  const p1 = dead(sb, ['purge', `${ids[0]}.error.json`]);
  assert.equal(p1.code, 0, p1.stderr);
  assert.equal(p1.stdout, 'purged 1\n');
  assert.deepEqual(spoolFiles(sb, 'dead'), ids.slice(1).flatMap((id) => [`${id}.error.json`, `${id}.json`]));

  // A reason without its payload and a payload without its reason are listed, said to be so.
  fs.rmSync(path.join(deadDir, `${ids[1]}.json`));
  fs.rmSync(path.join(deadDir, `${ids[2]}.error.json`));
  const rows = JSON.parse(dead(sb, ['list', '--json']).stdout) as Array<{ id: string; problem: string | null }>;
  assert.deepEqual(
    rows.map((r) => [r.id, r.problem]),
    [
      [ids[1], 'no payload: only the .error.json is here'],
      [ids[2], 'no reason: the payload has no .error.json'],
      [ids[3], null],
    ],
  );
  assert.match(dead(sb, ['list']).stdout, /\[no payload: only the \.error\.json is here\] not JSON/);
  // Retrying a reason without a payload: refused, nothing moved.
  const orphan = dead(sb, ['retry', ids[1]!, ids[3]!]);
  assert.equal(orphan.code, 1);
  assert.match(orphan.stderr, /has no payload in dead\/, only its reason/);
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);

  // retry --all: every one with a payload goes back to incoming/; the lone reason stays.
  const all = dead(sb, ['retry', '--all', '--json']);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(JSON.parse(all.stdout), { retried: [ids[2], ids[3]], skipped_without_payload: [ids[1]] });
  assert.deepEqual(spoolFiles(sb, 'incoming'), [`${ids[2]}.json`, `${ids[3]}.json`]);
  assert.deepEqual(spoolFiles(sb, 'dead'), [`${ids[1]}.error.json`]);
  // Still not JSON: the worker dead-letters them again, with their reasons.
  assert.match(drain(sb).stdout, /dead-lettered 2/);
  assert.equal(spoolFiles(sb, 'dead').length, 5);

  // purge --all: everything in dead/ (and nothing else: the spool's other folders stay).
  spoolPayload(sb, event('keep', 'Stop'));
  const purged = dead(sb, ['purge', '--all', '--json']);
  assert.equal(purged.code, 0, purged.stderr);
  assert.deepEqual(JSON.parse(purged.stdout), { purged: [ids[1], ids[2], ids[3]] });
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
  assert.equal(spoolFiles(sb, 'incoming').length, 1);
  assert.equal(status(sb).code, 0);
});

test('--help on every command and subcommand; the main help lists status and dead', () => {
  const main = cli(['--help']);
  assert.match(main.stdout, /^ {2}status +/m);
  assert.match(main.stdout, /^ {2}dead +/m);
  for (const args of [['status'], ['dead'], ['dead', 'list'], ['dead', 'show'], ['dead', 'retry'], ['dead', 'purge']]) {
    for (const flag of ['--help', '-h']) {
      const r = cli([...args, flag]);
      assert.equal(r.code, 0, `${args.join(' ')} ${flag}`);
      assert.match(r.stdout, new RegExp(`^Usage: claude-metrics ${args.join(' ')}`), `${args.join(' ')} ${flag}`);
      assert.match(r.stdout, /Exit codes: /);
    }
  }
  assert.equal(cli(['status', '--max-wait', 'soon']).code, 2);
  assert.equal(cli(['status', '--max-wait', '-1']).code, 2);
  assert.equal(cli(['dead']).code, 2);
});
