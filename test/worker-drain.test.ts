// `claude-metrics worker --drain` on real spool folders and real SQLite files.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadMigrations } from '../src/worker/db.ts';
import { BASELINE, CLI, FIXTURES, drain, event, ledgerCount, payloadId, query, runHook, sandbox, spoolFiles, spoolPayload } from './helpers.ts';

const MIGRATIONS = loadMigrations().length;

test('a drain of 1,000 payloads applies each once, empties the spool and says so', async (t) => {
  const sb = sandbox(t);
  const ids: string[] = [];
  for (let i = 0; i < 1000; i++) ids.push(spoolPayload(sb, event(`s-${i % 40}`, i % 2 ? 'Stop' : 'SessionStart')));
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^drained: applied 1000, dead-lettered 0, retried 0 \(/);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.deepEqual(query(sb.db, 'SELECT id FROM payloads ORDER BY id').map((row) => row.id), ids.sort());
  assert.equal(query(sb.db, 'SELECT count(*) AS n FROM sessions')[0]!.n, 40);
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);
  assert.deepEqual(spoolFiles(sb, 'processing'), []);
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
});

test('the database is created 0600 in WAL mode with the migrations recorded', async (t) => {
  const sb = sandbox(t);
  spoolPayload(sb, event('s', 'SessionStart'));
  assert.equal(drain(sb).code, 0);
  assert.equal(fs.statSync(sb.db).mode & 0o777, 0o600);
  const db = new Database(sb.db, { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS);
  const cols = (db.prepare("SELECT name FROM pragma_table_info('payloads')").all() as Array<{ name: string }>).map((c) => c.name);
  assert.deepEqual(cols, ['id', 'event', 'session_id', 'received_at', 'applied_at']);
});

test('the same payload replayed is applied once (the ledger remembers its id)', async (t) => {
  const sb = sandbox(t);
  const id = payloadId(Date.parse('2026-11-23T10:00:00.000Z'));
  const body = event('dup', 'SessionEnd', { reason: 'logout' });
  spoolPayload(sb, body, id);
  assert.match(drain(sb).stdout, /applied 1,/);
  const before = query(sb.db, 'SELECT * FROM sessions');
  // As after a crash between COMMIT and delete: the same file comes back, once in incoming/, once in processing/.
  spoolPayload(sb, body, id);
  const r = drain(sb);
  assert.match(r.stdout, /applied 0, dead-lettered 0, retried 0 \(already applied 1/);
  fs.mkdirSync(path.join(sb.spool, 'processing'), { recursive: true });
  fs.writeFileSync(path.join(sb.spool, 'processing', `${id}.json`), JSON.stringify(body));
  assert.match(drain(sb).stdout, /applied 0, .*already applied 1, recovered 1/);
  assert.equal(ledgerCount(sb.db), 1);
  assert.deepEqual(query(sb.db, 'SELECT * FROM sessions'), before);
});

test('SessionStart sets start_time, cwd and transcript; SessionEnd sets end_time and reason', async (t) => {
  const sb = sandbox(t);
  const t0 = Date.parse('2026-11-23T19:40:31.000Z');
  spoolPayload(sb, event('life', 'SessionStart', { source: 'startup', cwd: '/w/a' }), payloadId(t0));
  spoolPayload(sb, event('life', 'Stop'), payloadId(t0 + 1000));
  spoolPayload(sb, event('life', 'SessionEnd', { reason: 'prompt_input_exit' }), payloadId(t0 + 2000));
  // Resumed: a later start must not move start_time; a later end wins.
  spoolPayload(sb, event('life', 'SessionStart', { source: 'resume' }), payloadId(t0 + 60_000));
  spoolPayload(sb, event('life', 'SessionEnd', { reason: 'other' }), payloadId(t0 + 61_000));
  // SessionEnd alone creates its row.
  spoolPayload(sb, event('only-end', 'SessionEnd', { reason: 'clear' }), payloadId(t0 + 5000));
  assert.equal(drain(sb).code, 0);
  const rows = query(sb.db, 'SELECT session_id, start_time, end_time, end_reason, cwd, transcript_path FROM sessions ORDER BY session_id');
  assert.deepEqual(rows, [
    {
      session_id: 'life',
      start_time: '2026-11-23T19:40:31.000Z',
      end_time: '2026-11-23T19:41:32.000Z',
      end_reason: 'other',
      cwd: '/home/user/p',
      transcript_path: '/home/user/.claude/projects/-p/life.jsonl',
    },
    {
      session_id: 'only-end',
      start_time: '2026-11-23T19:40:36.000Z',
      end_time: '2026-11-23T19:40:36.000Z',
      end_reason: 'clear',
      cwd: '/home/user/p',
      transcript_path: '/home/user/.claude/projects/-p/only-end.jsonl',
    },
  ]);
  const events = query(sb.db, "SELECT event, received_at FROM payloads WHERE session_id = 'life' ORDER BY id").map((r) => r.event);
  assert.deepEqual(events, ['SessionStart', 'Stop', 'SessionEnd', 'SessionStart', 'SessionEnd']);
});

test('every recorded fixture payload, fed through the real hook, gets its ledger row', async (t) => {
  const sb = sandbox(t);
  const dir = path.join(FIXTURES, 'payloads');
  const files = fs.readdirSync(dir).sort();
  for (const f of files) assert.equal((await runHook(fs.readFileSync(path.join(dir, f)), ['--spool', sb.spool])).code, 0);
  assert.equal(drain(sb).code, 0);
  const byEvent = query<{ event: string; n: number }>(sb.db, 'SELECT event, count(*) AS n FROM payloads GROUP BY event ORDER BY event');
  const expected = new Map<string, number>();
  for (const f of files) {
    const name = f.replace(/^\d+-/, '').replace(/\.json$/, '');
    expected.set(name, (expected.get(name) ?? 0) + 1);
  }
  assert.deepEqual(byEvent, [...expected].sort().map(([event, n]) => ({ event, n })));
  const sessions = query<{ session_id: string; end_reason: string }>(sb.db, 'SELECT session_id, end_reason FROM sessions ORDER BY session_id');
  const fixtureSessions = Object.keys(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'))).sort();
  assert.deepEqual(sessions.map((s) => s.session_id), fixtureSessions);
  assert.ok(sessions.every((s) => s.end_reason === 'other'));
});

test('unknown events are recorded and acknowledged, not dead-lettered', async (t) => {
  const sb = sandbox(t);
  spoolPayload(sb, event('u', 'BrandNewEvent2027', { anything: [1, 2, 3] }));
  const r = drain(sb);
  assert.match(r.stdout, /applied 1, dead-lettered 0/);
  assert.deepEqual(query(sb.db, 'SELECT event FROM payloads'), [{ event: 'BrandNewEvent2027' }]);
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
});

test('the older format (no hook_event_name, a cost object) stores the reported figures', async (t) => {
  const sb = sandbox(t);
  const at = Date.parse('2026-10-01T08:00:00.000Z');
  spoolPayload(sb, { session_id: 'old', cost: { total_cost_usd: 0.42, total_duration_ms: 60000, total_api_duration_ms: 20000, total_lines_added: 12, total_lines_removed: 3 } }, payloadId(at));
  assert.equal(drain(sb).code, 0);
  const columns = 'session_id, start_time, end_time, total_cost_usd, total_duration_ms, total_api_duration_ms, lines_added, lines_removed, commits, tool_calls, cwd, transcript_path, end_reason, cost_source, reported_cost_usd, reported_lines_added, reported_lines_removed, reported_source, reported_at';
  assert.deepEqual(query(sb.db, `SELECT ${columns} FROM sessions`), [
    {
      session_id: 'old',
      start_time: '2026-10-01T08:00:00.000Z',
      end_time: '2026-10-01T08:00:00.000Z',
      total_cost_usd: 0.42,
      total_duration_ms: 60000,
      total_api_duration_ms: 20000,
      lines_added: 12,
      lines_removed: 3,
      commits: 0,
      tool_calls: 0,
      cwd: null,
      transcript_path: null,
      end_reason: null,
      cost_source: 'reported',
      reported_cost_usd: 0.42,
      reported_lines_added: 12,
      reported_lines_removed: 3,
      reported_source: 'payload',
      reported_at: '2026-10-01T08:00:00.000Z',
    },
  ]);
  assert.deepEqual(query(sb.db, 'SELECT event FROM payloads'), [{ event: 'legacy' }]);
});

test('each kind of bad payload is dead-lettered with its reason; good ones around it apply', async (t) => {
  const sb = sandbox(t);
  const incoming = path.join(sb.spool, 'incoming');
  const good: string[] = [];
  const bad = new Map<string, RegExp>();
  const addBad = (write: (file: string) => void, reason: RegExp): void => {
    good.push(spoolPayload(sb, event(`good-${good.length}`, 'Stop')));
    const id = payloadId();
    write(path.join(incoming, `${id}.json`));
    bad.set(id, reason);
  };
  const target = path.join(sb.dir, 'target.json');
  fs.writeFileSync(target, JSON.stringify(event('via-symlink', 'Stop')));
  addBad((f) => fs.writeFileSync(f, '{"session_id": "trunc'), /^not JSON/);
  addBad((f) => fs.writeFileSync(f, Buffer.from([0xde, 0xad, 0xbe, 0xef])), /^not JSON/);
  addBad((f) => fs.writeFileSync(f, ''), /^not JSON/);
  addBad((f) => fs.writeFileSync(f, '[{"session_id":"a"}]'), /not a JSON object: an array/);
  addBad((f) => fs.writeFileSync(f, '"just a string"'), /not a JSON object: string/);
  addBad((f) => fs.writeFileSync(f, '{"hook_event_name":"Stop"}'), /missing session_id/);
  addBad((f) => fs.writeFileSync(f, '{"session_id":12345}'), /session_id is not a string \(number\)/);
  addBad((f) => fs.writeFileSync(f, '{"session_id":""}'), /session_id is empty/);
  addBad((f) => fs.writeFileSync(f, `{"session_id":"big","pad":"${'x'.repeat(8 * 1024 * 1024)}"}`), /larger than 8 MiB/);
  addBad((f) => fs.symlinkSync(target, f), /not a regular file: a symlink/);
  addBad((f) => fs.mkdirSync(f), /not a regular file: a directory/);
  addBad((f) => execFileSync('mkfifo', [f]), /not a regular file: a FIFO|socket or FIFO/);
  good.push(spoolPayload(sb, event('good-last', 'SessionEnd')));

  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`applied ${good.length}, dead-lettered ${bad.size},`));
  assert.deepEqual(query(sb.db, 'SELECT id FROM payloads ORDER BY id').map((row) => row.id), good.sort());
  for (const [id, reason] of bad) {
    const error = JSON.parse(fs.readFileSync(path.join(sb.spool, 'dead', `${id}.error.json`), 'utf8')) as { reason: string };
    assert.match(error.reason, reason, id);
    assert.ok(fs.lstatSync(path.join(sb.spool, 'dead', `${id}.json`)), `dead/${id}.json exists`);
  }
  // The symlink was moved, never followed: its target is untouched and still in place.
  assert.equal(fs.readFileSync(target, 'utf8'), JSON.stringify(event('via-symlink', 'Stop')));
  assert.equal(query(sb.db, "SELECT count(*) AS n FROM sessions WHERE session_id = 'via-symlink'")[0]!.n, 0);
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);
  assert.deepEqual(spoolFiles(sb, 'processing'), []);
});

test('a payload that keeps failing unexpectedly is dead-lettered with its stack; the rest apply', async (t) => {
  const sb = sandbox(t);
  spoolPayload(sb, event('warm-up', 'Stop'));
  assert.equal(drain(sb).code, 0);
  // A real SQLite trigger that fails one session's inserts: an error the worker does not expect.
  const db = new Database(sb.db);
  db.exec(`CREATE TRIGGER poison BEFORE INSERT ON payloads WHEN NEW.session_id = 'poison'
           BEGIN SELECT RAISE(ABORT, 'poisoned payload'); END`);
  db.close();
  const before = spoolPayload(sb, event('fine-1', 'Stop'));
  const poison = spoolPayload(sb, event('poison', 'Stop'));
  const after = spoolPayload(sb, event('fine-2', 'Stop'));
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied 2, dead-lettered 1, retried 2/);
  const error = JSON.parse(fs.readFileSync(path.join(sb.spool, 'dead', `${poison}.error.json`), 'utf8'));
  assert.match(error.reason, /failed 3 times: .*poisoned payload/);
  assert.match(error.stack, /poisoned payload/);
  assert.equal(error.attempts, 3);
  assert.deepEqual(query(sb.db, "SELECT id FROM payloads WHERE session_id LIKE 'fine-%' ORDER BY id").map((x) => x.id), [before, after]);
});

test('start-up recovery returns processing/ to incoming/ and sweeps only stale temp files', async (t) => {
  const sb = sandbox(t);
  const id = spoolPayload(sb, event('rec', 'SessionStart'));
  fs.mkdirSync(path.join(sb.spool, 'processing'), { recursive: true });
  fs.renameSync(path.join(sb.spool, 'incoming', `${id}.json`), path.join(sb.spool, 'processing', `${id}.json`));
  const staleTemp = path.join(sb.spool, 'incoming', `${payloadId()}.json.123456`);
  const freshTemp = path.join(sb.spool, 'incoming', `${payloadId()}.json.654321`);
  fs.writeFileSync(staleTemp, '{"session_id":"half');
  fs.writeFileSync(freshTemp, '{"session_id":"being written');
  const old = new Date(Date.now() - 2 * 3600_000);
  fs.utimesSync(staleTemp, old, old);
  const r = drain(sb);
  assert.match(r.stdout, /applied 1, .*recovered 1/);
  assert.match(r.stderr, /stale_temps_removed=1/);
  assert.equal(fs.existsSync(staleTemp), false);
  assert.equal(fs.existsSync(freshTemp), true, 'a temp file a live hook may still rename is left alone');
  assert.equal(ledgerCount(sb.db), 1);
});

test('a database written by the baseline Python hook is upgraded in place, every row kept', async (t) => {
  const sb = sandbox(t);
  // The real baseline: it forks a detached writer per call, so wait for its rows.
  const payloads = [
    { session_id: 'base-1', cost: { total_cost_usd: 1.5, total_duration_ms: 1000, total_lines_added: 7 } },
    { session_id: 'base-2', cost: { total_cost_usd: 0.25 } },
  ];
  for (const p of payloads) {
    const r = spawnSync('python3', [BASELINE, '--db-path', sb.db], { input: JSON.stringify(p), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const deadline = Date.now() + 20_000;
  while (query(sb.db, "SELECT name FROM sqlite_master WHERE name = 'sessions'").length === 0 || query(sb.db, 'SELECT * FROM sessions').length < 2) {
    assert.ok(Date.now() < deadline, 'the baseline wrote its rows');
    await new Promise((r) => setTimeout(r, 50));
  }
  // A token_usage row as the baseline's schema allows (its parser wrote these).
  const raw = new Database(sb.db);
  raw.prepare("INSERT INTO token_usage (session_id, timestamp, model, input_tokens) VALUES ('base-1', '2026-11-01 10:00:00', 'claude-sonnet-4-5', 99)").run();
  const before = raw.prepare('SELECT * FROM sessions ORDER BY session_id').all() as Array<Record<string, unknown>>;
  assert.equal(raw.pragma('user_version', { simple: true }), 0);
  raw.close();

  spoolPayload(sb, event('new-1', 'SessionStart'));
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  const after = query(sb.db, "SELECT * FROM sessions WHERE session_id LIKE 'base-%' ORDER BY session_id");
  assert.equal(after.length, 2);
  for (const [i, row] of after.entries()) {
    const old = before[i]!;
    for (const col of ['session_id', 'total_cost_usd', 'total_duration_ms', 'total_api_duration_ms', 'lines_added', 'lines_removed', 'commits', 'tool_calls']) {
      assert.equal(row[col], old[col], `${row.session_id}.${col}`);
    }
    // Same instant, now RFC 3339: '2026-11-23 19:40:31' → '2026-11-23T19:40:31.000Z'.
    assert.equal(row.start_time, `${String(old.start_time).replace(' ', 'T')}.000Z`);
    assert.equal(row.end_time, `${String(old.end_time).replace(' ', 'T')}.000Z`);
    assert.equal(row.cost_source, 'reported');
    assert.equal(row.reported_source, 'payload', 'migration 0005 names where the baseline\'s figures came from');
  }
  assert.deepEqual(query(sb.db, 'SELECT session_id, model, input_tokens FROM token_usage'), [{ session_id: 'base-1', model: 'claude-sonnet-4-5', input_tokens: 99 }]);
  const indexes = query(sb.db, "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_token_usage_%' ORDER BY name").map((x) => x.name);
  assert.deepEqual(indexes, ['idx_token_usage_call', 'idx_token_usage_call_key', 'idx_token_usage_session', 'idx_token_usage_timestamp']);
  assert.equal(query(sb.db, 'PRAGMA user_version')[0]!.user_version, MIGRATIONS);
  // The baseline can still write to the upgraded database.
  spawnSync('python3', [BASELINE, '--db-path', sb.db], { input: JSON.stringify({ session_id: 'base-3', cost: { total_cost_usd: 2 } }), encoding: 'utf8' });
  const until = Date.now() + 20_000;
  while (query(sb.db, "SELECT * FROM sessions WHERE session_id = 'base-3'").length === 0) {
    assert.ok(Date.now() < until, 'the baseline still writes to the upgraded schema');
    await new Promise((r) => setTimeout(r, 50));
  }
});

test("the baseline's call times ('YYYY-MM-DD HH:MM:SS', UTC) become RFC 3339, and reports count them on their day and block", async (t) => {
  const sb = sandbox(t);
  const r0 = spawnSync('python3', [BASELINE, '--db-path', sb.db], { input: JSON.stringify({ session_id: 'base-t', cost: { total_cost_usd: 1 } }), encoding: 'utf8' });
  assert.equal(r0.status, 0, r0.stderr);
  const deadline = Date.now() + 20_000;
  while (query(sb.db, "SELECT name FROM sqlite_master WHERE name = 'sessions'").length === 0 || query(sb.db, 'SELECT * FROM sessions').length < 1) {
    assert.ok(Date.now() < deadline, 'the baseline wrote its row');
    await new Promise((r) => setTimeout(r, 50));
  }
  // Calls as the baseline's parser stored them (datetime('now') text, UTC; Python's own
  // str(datetime) with microseconds), and one already RFC 3339, which stays as written.
  const raw = new Database(sb.db);
  const insert = raw.prepare("INSERT INTO token_usage (session_id, timestamp, model, input_tokens) VALUES ('base-t', ?, 'claude-sonnet-4-5', ?)");
  const times: Array<[string, string]> = [
    ['2026-11-01 23:30:00', '2026-11-01T23:30:00.000Z'],
    ['2026-11-02 00:30:00', '2026-11-02T00:30:00.000Z'],
    ['2026-11-02 01:15:00.123456', '2026-11-02T01:15:00.123Z'],
    ['2026-11-02T02:00:00Z', '2026-11-02T02:00:00Z'],
    ['2026-11-02 04:00:00', '2026-11-02T04:00:00.000Z'],
  ];
  for (const [i, [text]] of times.entries()) insert.run(text, 10 + i);
  assert.equal(raw.pragma('user_version', { simple: true }), 0);
  raw.close();
  const r = drain(sb); // nothing to apply: the worker opens the database, and migrates it
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(query(sb.db, 'SELECT timestamp FROM token_usage ORDER BY input_tokens').map((x) => x.timestamp), times.map(([, rfc]) => rfc));

  const report = (args: string[]) => {
    const out = spawnSync(process.execPath, [CLI, 'report', ...args, '--json', '--timezone', 'UTC', '--db', sb.db], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout) as { rows: Array<Record<string, unknown>> };
  };
  const day = (d: string) => report(['daily', '--since', d, '--until', d]).rows.map((x) => [x.date, x.api_calls, x.input_tokens]);
  assert.deepEqual(day('2026-11-01'), [['2026-11-01', 1, 10]]);
  assert.deepEqual(day('2026-11-02'), [['2026-11-02', 4, 11 + 12 + 13 + 14]]);
  // 23:30 opens a block at 23:00 that ends at 04:00; the call at 04:00 opens the next.
  const blocks = report(['blocks', '--now', '2026-11-10T00:00:00.000Z']).rows.map((x) => [x.start, x.api_calls, x.first_call, x.last_call]);
  assert.deepEqual(blocks, [
    ['2026-11-01T23:00:00.000Z', 4, '2026-11-01T23:30:00.000Z', '2026-11-02T02:00:00Z'],
    ['2026-11-02T04:00:00.000Z', 1, '2026-11-02T04:00:00.000Z', '2026-11-02T04:00:00.000Z'],
  ]);
});

test('a database from a newer claude-metrics is refused with a clear error, the spool kept', async (t) => {
  const sb = sandbox(t);
  const db = new Database(sb.db);
  db.pragma('user_version = 99');
  db.close();
  const id = spoolPayload(sb, event('keep', 'Stop'));
  const r = drain(sb);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /schema version 99 is newer/);
  assert.deepEqual(spoolFiles(sb, 'incoming'), [`${id}.json`]);
});

test('worker --help, --version and a usage error', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [path.resolve('dist/cli.js'), ...args], { encoding: 'utf8' });
  const help = run(['worker', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--drain/);
  assert.match(run(['--help']).stdout, /Commands:/);
  assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  const bad = run(['worker', '--bogus']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bogus/);
  assert.equal(run(['frobnicate']).status, 2);
});
