// Status line snapshots through the real worker: recorded shapes spooled with the statusline
// kind (`<id>-statusline.json`) and applied by `worker --drain` on real SQLite files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'node:test';
import { CLI, FIXTURES, drain, event, payloadId, query, sandbox, spoolFiles, spoolPayload } from './helpers.ts';
import { loadMigrations } from '../src/worker/db.ts';
import { EXPECTED, buildFixtureDb } from './support/fixture-db.ts';
import { snapshot, snapshotText, statuslineId } from './support/statusline.ts';

const T = Date.parse('2026-11-23T10:00:00.000Z');
const at = (ms: number): string => new Date(ms).toISOString();
const samples = (db: string, sessionId: string) => query(db, 'SELECT * FROM statusline_samples WHERE session_id = ? ORDER BY sampled_at, payload_id', sessionId);
const session = (db: string, sessionId: string) => query(db, 'SELECT * FROM sessions WHERE session_id = ?', sessionId)[0];

test('a 2.1.332 snapshot with rate_limits: one sample with every value, the session created from it, no transcript read', async (t) => {
  const sb = sandbox(t);
  // A real transcript at the snapshot's transcript_path: a status line must not read it.
  const claude = path.join(sb.dir, 'home', '.claude');
  fs.cpSync(path.join(FIXTURES, 'projects'), path.join(claude, 'projects'), { recursive: true });
  const [sid, want] = Object.entries(EXPECTED)[0]!;
  const transcript = fs.globSync(path.join(claude, 'projects', '*', `${sid}.jsonl`))[0]!;
  assert.ok(transcript, 'the fixture transcript is there');
  const id = statuslineId(T);
  spoolPayload(sb, snapshot('2.1.332-pro.json', sid, (s) => (s.transcript_path = transcript)), id);
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied 1, dead-lettered 0/);
  assert.deepEqual(query(sb.db, 'SELECT id, event, session_id, received_at FROM payloads'), [{ id, event: 'StatusLine', session_id: sid, received_at: at(T) }]);
  assert.deepEqual(samples(sb.db, sid), [
    {
      session_id: sid,
      sampled_at: at(T),
      payload_id: id,
      model_id: 'claude-sonnet-4-5',
      client_version: '2.1.332',
      total_cost_usd: 0.01998,
      total_duration_ms: 12826,
      total_api_duration_ms: 91,
      total_lines_added: 5,
      total_lines_removed: 2,
      context_window_size: 200000,
      context_used_pct: 10,
      input_tokens: 1200,
      output_tokens: 42,
      cache_creation_tokens: 3000,
      cache_read_tokens: 15000,
      five_hour_used_pct: 42,
      five_hour_resets_at: '2026-11-26T09:00:00.000Z',
      seven_day_used_pct: 17.5,
      seven_day_resets_at: '2026-12-01T08:00:00.000Z',
      cache_ttl: '5m',
      cache_hit_ratio: 0.78125,
    },
  ]);
  const s = session(sb.db, sid)!;
  assert.deepEqual(
    {
      start_time: s.start_time, end_time: s.end_time, cwd: s.cwd, transcript_path: s.transcript_path,
      reported_cost_usd: s.reported_cost_usd, total_duration_ms: s.total_duration_ms, total_api_duration_ms: s.total_api_duration_ms,
      reported_lines_added: s.reported_lines_added, reported_lines_removed: s.reported_lines_removed,
      reported_source: s.reported_source, reported_at: s.reported_at,
      cost_source: s.cost_source, total_cost_usd: s.total_cost_usd, lines_added: s.lines_added, api_calls: s.api_calls,
    },
    {
      start_time: at(T), end_time: at(T), cwd: '/home/user/code/shop-api', transcript_path: transcript,
      reported_cost_usd: 0.01998, total_duration_ms: 12826, total_api_duration_ms: 91,
      reported_lines_added: 5, reported_lines_removed: 2,
      reported_source: 'statusline', reported_at: at(T),
      // No transcript read yet: the reported figures stand in, as for the older payload format.
      cost_source: 'reported', total_cost_usd: 0.01998, lines_added: 5, api_calls: 0,
    },
  );
  assert.equal(query(sb.db, 'SELECT count(*) AS n FROM token_usage')[0]!.n, 0);
  assert.equal(query(sb.db, 'SELECT count(*) AS n FROM transcript_reads')[0]!.n, 0);
  assert.ok(want.api_calls > 0);
});

test('the same snapshot again adds no sample (its age aside); a changed value adds one; the session follows the newest', async (t) => {
  const sb = sandbox(t);
  const ids: string[] = [];
  // A session idling with a 1 s refresh: only total_duration_ms moves.
  for (let i = 0; i < 10; i++) {
    ids.push(spoolPayload(sb, snapshot('2.1.332-pro.json', 'idle', (s) => (s.cost.total_duration_ms = 12826 + i * 1000)), statuslineId(T + i * 1000)));
  }
  assert.equal(drain(sb).code, 0);
  assert.equal(samples(sb.db, 'idle').length, 1);
  assert.deepEqual(query(sb.db, "SELECT id FROM payloads WHERE event = 'StatusLine'"), [{ id: ids[9] }], 'the ledger keeps the newest');
  assert.equal(session(sb.db, 'idle')!.total_duration_ms, 12826 + 9000);
  assert.equal(session(sb.db, 'idle')!.reported_at, at(T + 9000));
  // Again in a later drain: still nothing new.
  spoolPayload(sb, snapshot('2.1.332-pro.json', 'idle', (s) => (s.cost.total_duration_ms = 30000)), statuslineId(T + 20_000));
  assert.equal(drain(sb).code, 0);
  assert.equal(samples(sb.db, 'idle').length, 1);
  // A turn: the cost moves. Then only the official five-hour % moves (another session used the plan).
  spoolPayload(sb, snapshot('2.1.332-pro.json', 'idle', (s) => (s.cost.total_cost_usd = 0.05)), statuslineId(T + 30_000));
  spoolPayload(sb, snapshot('2.1.332-pro.json', 'idle', (s) => ((s.cost.total_cost_usd = 0.05), (s.rate_limits.five_hour.used_percentage = 43))), statuslineId(T + 40_000));
  assert.equal(drain(sb).code, 0);
  const rows = samples(sb.db, 'idle');
  assert.deepEqual(rows.map((r) => [r.sampled_at, r.total_cost_usd, r.five_hour_used_pct]), [
    [at(T), 0.01998, 42],
    [at(T + 30_000), 0.05, 42],
    [at(T + 40_000), 0.05, 43],
  ]);
  assert.equal(rows[0]!.payload_id, ids[0], 'the row is the first snapshot with those values');
  assert.equal(session(sb.db, 'idle')!.reported_cost_usd, 0.05);
});

test('snapshots applied out of order: the newest figures stay on the session', async (t) => {
  const sb = sandbox(t);
  const withCost = (cost: number, duration: number) => snapshot('2.1.197.json', 'late', (s) => Object.assign(s.cost, { total_cost_usd: cost, total_duration_ms: duration, total_api_duration_ms: duration / 10, total_lines_added: Math.round(cost * 100) }));
  spoolPayload(sb, withCost(0.5, 90_000), statuslineId(T + 60_000));
  assert.equal(drain(sb).code, 0);
  // An older snapshot turns up after the newer one was applied (a drain after an outage).
  spoolPayload(sb, withCost(0.2, 30_000), statuslineId(T + 20_000));
  spoolPayload(sb, withCost(0.5, 70_000), statuslineId(T + 40_000));
  assert.equal(drain(sb).code, 0);
  const s = session(sb.db, 'late')!;
  assert.deepEqual([s.reported_cost_usd, s.total_duration_ms, s.total_api_duration_ms, s.reported_lines_added, s.reported_at, s.total_cost_usd], [0.5, 90_000, 9000, 50, at(T + 60_000), 0.5]);
  // Each compared with the sample in force at its own time: 0.2 is new there, 0.5 at +40 s is new after it.
  assert.deepEqual(samples(sb.db, 'late').map((r) => [r.sampled_at, r.total_cost_usd]), [
    [at(T + 20_000), 0.2],
    [at(T + 40_000), 0.5],
    [at(T + 60_000), 0.5],
  ]);
});

test("a snapshot of a session the hooks know keeps the hooks' cwd and times; an unknown session is created", async (t) => {
  const sb = sandbox(t);
  spoolPayload(sb, event('known', 'SessionStart', { cwd: '/from/the/hook' }), payloadId(T));
  spoolPayload(sb, snapshot('2.1.197.json', 'known'), statuslineId(T + 5000));
  spoolPayload(sb, snapshot('2.1.197.json', 'known', (s) => (s.cost.total_cost_usd = 0.1)), statuslineId(T + 3_600_000));
  spoolPayload(sb, snapshot('first-run.json', 'unknown'), statuslineId(T + 7000));
  assert.equal(drain(sb).code, 0);
  const known = session(sb.db, 'known')!;
  assert.deepEqual([known.cwd, known.start_time, known.end_time, known.reported_cost_usd], ['/from/the/hook', at(T), at(T), 0.1], 'a status line refresh is not activity');
  const unknown = session(sb.db, 'unknown')!;
  assert.deepEqual([unknown.cwd, unknown.start_time, unknown.end_time, unknown.reported_source], ['/home/user/code/cli-tool', at(T + 7000), at(T + 7000), 'statusline']);
  assert.equal(samples(sb.db, 'unknown')[0]!.input_tokens, null);
  assert.deepEqual(query(sb.db, 'SELECT event, count(*) AS n FROM payloads GROUP BY event ORDER BY event'), [
    { event: 'SessionStart', n: 1 },
    { event: 'StatusLine', n: 2 }, // the newest of each session
  ]);
});

test('transcript figures are never overwritten by a snapshot or an older-format payload, in either order', async (t) => {
  const sb = sandbox(t);
  const [first, second] = Object.keys(EXPECTED) as [string, string];
  // Before the fixture payloads (an earlier time, the same drain): the transcript comes after it.
  spoolPayload(sb, snapshot('2.1.332-pro.json', first, (s) => Object.assign(s.cost, { total_cost_usd: 7.5, total_lines_added: 999 })), statuslineId(Date.parse('2026-11-23T19:00:00.000Z')));
  buildFixtureDb(sb);
  // After it: a snapshot and an older-format payload for the other session.
  spoolPayload(sb, snapshot('2.1.332-pro.json', second, (s) => Object.assign(s.cost, { total_cost_usd: 9.99, total_lines_added: 100, total_duration_ms: 61_000 })), statuslineId(Date.parse('2026-11-23T20:00:00.000Z')));
  assert.equal(drain(sb).code, 0);
  let s2 = session(sb.db, second)!;
  assert.deepEqual([s2.cost_source, s2.reported_cost_usd, s2.reported_lines_added, s2.total_duration_ms, s2.reported_source], ['transcript', 9.99, 100, 61_000, 'statusline']);
  spoolPayload(sb, { session_id: second, cost: { total_cost_usd: 12.5, total_lines_added: 1, total_duration_ms: 62_000 } }, payloadId(Date.parse('2026-11-23T21:00:00.000Z')));
  assert.equal(drain(sb).code, 0);
  s2 = session(sb.db, second)!;
  assert.deepEqual([s2.reported_cost_usd, s2.total_duration_ms, s2.reported_source, s2.reported_at], [12.5, 62_000, 'payload', '2026-11-23T21:00:00.000Z']);
  for (const sid of [first, second]) {
    const s = session(sb.db, sid)!;
    assert.equal(s.cost_source, 'transcript', sid);
    assert.ok(Math.abs((s.total_cost_usd as number) - EXPECTED[sid]!.cost_usd) < 1e-9, `${sid}: ${s.total_cost_usd} is the transcript's cost`);
    assert.equal(s.lines_added, EXPECTED[sid]!.lines_added, sid);
  }
  assert.equal(session(sb.db, first)!.reported_cost_usd, 7.5);
});

test('hostile snapshots: the unusable dead-letter with their reason, wrong-typed fields apply as absent; routing is by the id', async (t) => {
  const sb = sandbox(t);
  const bad = new Map<string, RegExp>([
    [spoolPayload(sb, '{"session_id": "trunc', statuslineId(T)), /^not JSON/],
    [spoolPayload(sb, snapshotText('2.1.197.json').slice(0, 200), statuslineId(T + 1)), /^not JSON/],
    [spoolPayload(sb, `[${snapshotText('2.1.197.json')}]`, statuslineId(T + 2)), /not a JSON object: an array/],
    [spoolPayload(sb, snapshot('2.1.197.json', 'x', (s) => delete s.session_id), statuslineId(T + 3)), /missing session_id/],
    [spoolPayload(sb, snapshot('2.1.197.json', 'x', (s) => (s.session_id = 7)), statuslineId(T + 4)), /session_id is not a string \(number\)/],
  ]);
  spoolPayload(sb, { session_id: 'wrong', cost: 'free', model: { id: 5 }, rate_limits: { five_hour: { used_percentage: '42', resets_at: 1795683600000 } }, context_window: { used_percentage: 12 } }, statuslineId(T + 5));
  // A status line snapshot carrying hook_event_name is still a snapshot (the id says so): no figures recomputed.
  spoolPayload(sb, snapshot('2.1.197.json', 'tricky', (s) => (s.hook_event_name = 'Stop')), statuslineId(T + 6));
  // And a hook payload (no kind) shaped like a status line is the older hook format, never a snapshot.
  spoolPayload(sb, snapshot('2.1.197.json', 'hooky'), payloadId(T + 7));
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied 3, dead-lettered 5,/);
  for (const [id, reason] of bad) {
    const error = JSON.parse(fs.readFileSync(path.join(sb.spool, 'dead', `${id}.error.json`), 'utf8')) as { reason: string };
    assert.match(error.reason, reason, id);
    assert.match(query(sb.db, 'SELECT reason FROM dead_letters WHERE id = ?', id)[0]!.reason as string, reason);
  }
  assert.deepEqual(spoolFiles(sb, 'dead').length, 10);
  const wrong = samples(sb.db, 'wrong');
  assert.equal(wrong.length, 1);
  assert.deepEqual([wrong[0]!.model_id, wrong[0]!.total_cost_usd, wrong[0]!.five_hour_used_pct, wrong[0]!.five_hour_resets_at, wrong[0]!.context_used_pct], [null, null, null, null, 12]);
  assert.equal(session(sb.db, 'wrong')!.reported_source, null, 'no cost figures: nothing reported');
  assert.deepEqual(query(sb.db, 'SELECT session_id, event FROM payloads ORDER BY id'), [
    { session_id: 'wrong', event: 'StatusLine' },
    { session_id: 'tricky', event: 'StatusLine' },
    { session_id: 'hooky', event: 'legacy' },
  ]);
  assert.equal(samples(sb.db, 'hooky').length, 0);
  assert.equal(session(sb.db, 'hooky')!.reported_source, 'payload');
});

const ledger = (db: string) => query(db, "SELECT id, session_id FROM payloads WHERE event = 'StatusLine' ORDER BY id");
const reported = (db: string, sessionId: string) => {
  const s = session(db, sessionId)!;
  return [s.reported_cost_usd, s.reported_lines_added, s.total_duration_ms, s.reported_source, s.reported_at];
};

test('300 identical snapshots of one session, over several batches: 1 sample, 1 StatusLine ledger row (the newest)', async (t) => {
  const sb = sandbox(t);
  const hook = spoolPayload(sb, event('idle', 'SessionStart'), payloadId(T - 1000));
  const body = snapshot('2.1.332-pro.json', 'idle');
  const ids: string[] = [];
  for (let i = 0; i < 300; i++) ids.push(spoolPayload(sb, body, statuslineId(T + i * 1000)));
  const r = drain(sb, ['--batch-size', '64']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied 301, dead-lettered 0/);
  assert.equal(samples(sb.db, 'idle').length, 1);
  assert.equal(samples(sb.db, 'idle')[0]!.payload_id, ids[0]);
  assert.deepEqual(query(sb.db, 'SELECT id, event FROM payloads ORDER BY id'), [
    { id: hook, event: 'SessionStart' },
    { id: ids[299], event: 'StatusLine' },
  ]);
  assert.equal(session(sb.db, 'idle')!.reported_at, at(T + 299_000));
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);
});

test('a replayed older snapshot (its ledger row pruned) adds no sample and never moves reported_* back; a tie of times goes to the higher id', async (t) => {
  const sb = sandbox(t);
  const snap = (cost: number, duration: number) => snapshot('2.1.197.json', 'r', (s) => Object.assign(s.cost, { total_cost_usd: cost, total_duration_ms: duration, total_lines_added: Math.round(cost * 100) }));
  const bodies = [snap(0.1, 1000), snap(0.2, 2000), snap(0.2, 3000)];
  const ids = bodies.map((b, i) => spoolPayload(sb, b, statuslineId(T + i * 1000)));
  assert.equal(drain(sb).code, 0);
  const sampled = samples(sb.db, 'r').map((x) => [x.payload_id, x.total_cost_usd]);
  assert.deepEqual(sampled, [[ids[0], 0.1], [ids[1], 0.2]]);
  const want = [0.2, 20, 3000, 'statusline', at(T + 2000)];
  assert.deepEqual(reported(sb.db, 'r'), want);
  assert.deepEqual(ledger(sb.db), [{ id: ids[2], session_id: 'r' }]);
  // The files come back (a crash between COMMIT and their delete): the older two are no longer
  // in the ledger, so they apply again, to no effect.
  spoolPayload(sb, bodies[0], ids[0]);
  spoolPayload(sb, bodies[1], ids[1]);
  const again = drain(sb);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /applied 2, dead-lettered 0/);
  assert.deepEqual(samples(sb.db, 'r').map((x) => [x.payload_id, x.total_cost_usd]), sampled, 'no second sample');
  assert.deepEqual(reported(sb.db, 'r'), want, 'reported_* unchanged');
  assert.deepEqual(ledger(sb.db), [{ id: ids[2], session_id: 'r' }]);
  // The newest one again: in the ledger, a duplicate.
  spoolPayload(sb, bodies[2], ids[2]);
  assert.match(drain(sb).stdout, /applied 0, .*already applied 1,/);
  assert.deepEqual(reported(sb.db, 'r'), want);

  // Two snapshots of the same millisecond: the higher id is the newer, whichever applies last.
  const lo = statuslineId(T + 9000);
  const hi = statuslineId(T + 9000);
  assert.ok(lo < hi);
  spoolPayload(sb, snap(0.9, 9000), hi);
  assert.equal(drain(sb).code, 0);
  spoolPayload(sb, snap(0.8, 8000), lo);
  assert.equal(drain(sb).code, 0);
  assert.deepEqual(reported(sb.db, 'r'), [0.9, 90, 9000, 'statusline', at(T + 9000)]);
  assert.deepEqual(ledger(sb.db), [{ id: hi, session_id: 'r' }]);
  assert.deepEqual(samples(sb.db, 'r').map((x) => [x.payload_id, x.total_cost_usd]), [...sampled, [lo, 0.8], [hi, 0.9]], 'each in (time, id) order');
});

test('snapshots of two sessions interleaved: one StatusLine ledger row each, the newest', async (t) => {
  const sb = sandbox(t);
  const last = new Map<string, string>();
  for (let i = 0; i < 40; i++) {
    const sid = i % 2 ? 'odd' : 'even';
    // The cost moves once, halfway.
    last.set(sid, spoolPayload(sb, snapshot('2.1.332-pro.json', sid, (s) => (s.cost.total_cost_usd = Math.floor(i / 20))), statuslineId(T + i * 500)));
    // Half of them in a drain of their own: pruning across transactions too.
    if (i === 19) assert.equal(drain(sb).code, 0);
  }
  assert.equal(drain(sb).code, 0);
  assert.deepEqual(ledger(sb.db), [{ id: last.get('even'), session_id: 'even' }, { id: last.get('odd'), session_id: 'odd' }].sort((a, b) => (a.id! < b.id! ? -1 : 1)));
  for (const sid of ['even', 'odd']) {
    assert.deepEqual(samples(sb.db, sid).map((x) => x.total_cost_usd), [0, 1], sid);
    assert.equal(session(sb.db, sid)!.reported_cost_usd, 1, sid);
  }
});

test('a retried dead-letter snapshot keeps its ledger row; migration 0007 prunes a ledger written before it', async (t) => {
  const sb = sandbox(t);
  // A database at schema 6 with a status line's history in the ledger, as the worker wrote it then.
  const migrations = loadMigrations();
  const old = new Database(sb.db);
  for (const m of migrations.filter((x) => x.version <= 6)) old.exec(m.sql);
  old.pragma('user_version = 6');
  const ins = old.prepare("INSERT INTO payloads (id, event, session_id, received_at, applied_at) VALUES (?, ?, ?, ?, ?)");
  const hist = new Map<string, string[]>([['a', []], ['b', []]]);
  for (let i = 0; i < 30; i++) {
    const sid = i % 3 ? 'a' : 'b';
    const id = statuslineId(T + i * 1000);
    hist.get(sid)!.push(id);
    ins.run(id, 'StatusLine', sid, at(T + i * 1000), at(T + i * 1000));
  }
  const hookId = payloadId(T + 500);
  ins.run(hookId, 'Stop', 'a', at(T + 500), at(T + 500));
  // A hook payload that calls itself StatusLine (no -statusline kind): not a snapshot, kept.
  const oddHook = payloadId(T + 700);
  ins.run(oddHook, 'StatusLine', 'a', at(T + 700), at(T + 700));
  // A snapshot that was dead-lettered, then retried and applied.
  const retried = hist.get('a')![0]!;
  old.prepare("INSERT INTO dead_letters (id, reason, received_at, dead_lettered_at) VALUES (?, 'not JSON', ?, ?)").run(retried, at(T), at(T));
  old.close();
  assert.equal(drain(sb).code, 0);
  assert.equal(query(sb.db, 'PRAGMA user_version')[0]!.user_version, migrations.length);
  assert.deepEqual(query(sb.db, 'SELECT id FROM payloads ORDER BY id').map((r) => r.id), [retried, hookId, oddHook, hist.get('b')!.at(-1), hist.get('a')!.at(-1)].sort());

  // Through the worker: a snapshot dead-lettered, fixed, retried (applied), then a newer one.
  const bad = spoolPayload(sb, '{"session_id": "c"', statuslineId(T + 100_000));
  assert.equal(drain(sb).code, 0);
  fs.writeFileSync(path.join(sb.spool, 'dead', `${bad}.json`), JSON.stringify(snapshot('2.1.197.json', 'c')));
  const retry = spawnSync(process.execPath, [CLI, 'dead', 'retry', bad, '--spool', sb.spool], { encoding: 'utf8' });
  assert.equal(retry.status, 0, retry.stderr);
  assert.equal(drain(sb).code, 0);
  const newer = spoolPayload(sb, snapshot('2.1.197.json', 'c'), statuslineId(T + 200_000));
  assert.equal(drain(sb).code, 0);
  assert.deepEqual(ledger(sb.db).filter((r) => r.session_id === 'c').map((r) => r.id), [bad, newer], 'the retried one still shows as applied');
});

test("a turn's last lines written after its Stop hook ran: the next snapshot of that session brings its figures up to date", async (t) => {
  const sb = sandbox(t);
  // A fixture session whose transcript, at its Stop, still lacks its last calls (Claude Code may
  // write them after the hook has run; a fast hook and worker can read before it does).
  const [sid, want] = Object.entries(EXPECTED).find(([, w]) => w.api_calls >= 2)!;
  const source = fs.globSync(path.join(FIXTURES, 'projects', '*', `${sid}.jsonl`))[0]!;
  const lines = fs.readFileSync(source, 'utf8').split('\n').filter((l) => l !== '');
  const lastCall = lines.findLastIndex((l) => (JSON.parse(l) as { message?: { usage?: unknown } }).message?.usage !== undefined);
  assert.ok(lastCall > 0, 'the fixture has calls');
  const transcript = path.join(sb.dir, `${sid}.jsonl`);
  fs.writeFileSync(transcript, lines.slice(0, lastCall).map((l) => `${l}\n`).join(''));
  spoolPayload(sb, event(sid, 'Stop', { transcript_path: transcript }), payloadId(T));
  assert.equal(drain(sb).code, 0);
  const early = session(sb.db, sid)!;
  assert.equal(early.cost_source, 'transcript');
  assert.ok((early.api_calls as number) < want.api_calls, `read before the last call: ${early.api_calls} of ${want.api_calls} calls`);

  // The rest arrives; no hook fires, but the status line does.
  fs.appendFileSync(transcript, lines.slice(lastCall).map((l) => `${l}\n`).join(''));
  spoolPayload(sb, snapshot('2.1.332-pro.json', sid, (s) => (s.transcript_path = transcript)), statuslineId(T + 1000));
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  const caught = session(sb.db, sid)!;
  assert.equal(caught.api_calls, want.api_calls, 'every call counted');
  assert.ok(Math.abs((caught.total_cost_usd as number) - want.cost_usd) < 1e-9, `cost ${caught.total_cost_usd} vs ${want.cost_usd}`);
  assert.equal(query(sb.db, 'SELECT count(*) AS n FROM token_usage WHERE session_id = ?', sid)[0]!.n, want.api_calls);

  // An idle refresh (nothing new in the transcript) reads nothing and changes nothing.
  const generation = query(sb.db, 'SELECT generation FROM transcript_reads WHERE session_id = ?', sid)[0]!.generation;
  spoolPayload(sb, snapshot('2.1.332-pro.json', sid, (s) => (s.transcript_path = transcript)), statuslineId(T + 2000));
  assert.equal(drain(sb).code, 0);
  assert.equal(query(sb.db, 'SELECT generation FROM transcript_reads WHERE session_id = ?', sid)[0]!.generation, generation);
});
