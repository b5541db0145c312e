// The sums of calls over a time range that the status line, status, budgets and the active block
// read (src/report/spend.ts callSums): whole UTC hours from the rollups of migration 0009, the
// part-hours at either edge from token_usage. On a real database (the worker's migrations, calls
// inserted so that the rollups' triggers fill usage_hours), every range must give exactly what
// summing token_usage gives: edges inside an hour, on an hour, empty and reversed ranges, a
// range inside one hour; and the same on a database whose rollups are gone (token_usage alone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { sandbox } from './helpers.ts';
import { buildEmptyDb } from './support/fixture-db.ts';
import { callSums, spentBetween } from '../src/report/spend.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-11-20T06:00:00.000Z');

function direct(db: Database.Database, a: number, b: number): { calls: number; unpriced_calls: number; cost_usd: number } {
  const r = db
    .prepare(`SELECT count(*) AS calls, count(*) - count(cost_usd) AS unpriced_calls, total(cost_usd) AS cost_usd FROM token_usage
      WHERE timestamp >= ? AND timestamp < ? AND substr(timestamp, 11, 1) = 'T'`)
    .get(new Date(a).toISOString(), new Date(b).toISOString()) as { calls: number; unpriced_calls: number; cost_usd: number };
  return r;
}

test('callSums: rollups for whole hours, token_usage for the edges, equal to summing token_usage over any range', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  const db = new Database(sb.db);
  t.after(() => db.close());
  db.pragma('foreign_keys = OFF'); // calls without their session rows: only the sums matter here
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const add = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cost_usd, message_id, request_id, call_key)
    VALUES (?, ?, ?, 10, 1, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) {
      const at = T0 + Math.floor(rand() * 30 * H);
      const priced = rand() > 0.1;
      add.run(`s${i % 7}`, new Date(at).toISOString(), priced ? 'claude-sonnet-4-5' : 'claude-unknown-9', priced ? Math.round(rand() * 1e6) / 1e8 : null, `m${i}`, `r${i}`, `k${i}`);
    }
    // Exactly on hour boundaries, and the old hook's format (counted by neither).
    add.run('edge', new Date(T0 + 3 * H).toISOString(), 'claude-sonnet-4-5', 0.5, 'e1', 'e1', 'e1');
    add.run('edge', new Date(T0 + 4 * H - 1).toISOString(), 'claude-sonnet-4-5', 0.25, 'e2', 'e2', 'e2');
    add.run('old', '2026-11-20 08:30:00', 'claude-sonnet-4-5', 9, 'o1', 'o1', 'o1');
  })();
  assert.ok((db.prepare('SELECT count(*) FROM usage_hours').pluck().get() as number) > 0, 'the rollups are there');
  const ranges: Array<[number, number]> = [
    [T0, T0 + 30 * H], [T0 + 3 * H, T0 + 4 * H], [T0 + 3 * H, T0 + 4 * H - 1], [T0 + 3 * H + 1, T0 + 4 * H],
    [T0 + 90_000, T0 + 90_000 + 10 * H + 1234], [T0 + 2 * H + 5, T0 + 2 * H + 600_000], [T0 + 5 * H, T0 + 5 * H], [T0 + 8 * H, T0 + 2 * H],
  ];
  for (let i = 0; i < 200; i++) {
    const a = T0 - H + Math.floor(rand() * 32 * H);
    ranges.push([a, a + Math.floor(rand() * 12 * H)]);
  }
  for (const [a, b] of ranges) {
    const want = a < b ? direct(db, a, b) : { calls: 0, unpriced_calls: 0, cost_usd: 0 };
    const got = callSums(db, a, b);
    const what = `[${new Date(a).toISOString()}, ${new Date(b).toISOString()})`;
    assert.equal(got.calls, want.calls, `${what} calls`);
    assert.equal(got.unpriced_calls, want.unpriced_calls, `${what} unpriced`);
    assert.ok(Math.abs(got.cost_usd - want.cost_usd) < 1e-9, `${what} cost ${got.cost_usd} vs ${want.cost_usd}`);
  }
  const day = spentBetween(db, '2026-11-20T00:00:00.000Z', '2026-11-21T00:00:00.000Z');
  const dayWant = direct(db, Date.parse('2026-11-20T00:00:00.000Z'), Date.parse('2026-11-21T00:00:00.000Z'));
  assert.equal(day.api_calls, dayWant.calls);
  assert.ok(Math.abs((day.cost_usd ?? NaN) - dayWant.cost_usd) < 1e-9);

  // Without rollups (an older schema's shape): token_usage alone, same answers.
  const bare = new Database(':memory:');
  t.after(() => bare.close());
  bare.exec('CREATE TABLE token_usage (session_id TEXT, timestamp TEXT, model TEXT, cost_usd REAL)');
  const copy = bare.prepare('INSERT INTO token_usage VALUES (?, ?, ?, ?)');
  for (const r of db.prepare('SELECT session_id, timestamp, model, cost_usd FROM token_usage').all() as Array<Record<string, unknown>>) {
    copy.run(r.session_id, r.timestamp, r.model, r.cost_usd);
  }
  for (const [a, b] of ranges.slice(0, 20)) {
    const got = callSums(bare, a, b);
    const want = a < b ? direct(db, a, b) : { calls: 0, unpriced_calls: 0, cost_usd: 0 };
    assert.equal(got.calls, want.calls);
    assert.ok(Math.abs(got.cost_usd - want.cost_usd) < 1e-9);
  }
});

test('callSums reads the smaller side of a part-hour: a range ending at "now", late in the hour, reads only the calls after it', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  const db = new Database(sb.db);
  t.after(() => db.close());
  db.pragma('foreign_keys = OFF');
  const add = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cost_usd, message_id, request_id, call_key)
    VALUES ('s', ?, 'claude-sonnet-4-5', 10, 1, ?, ?, ?, ?)`);
  // 600 calls in hour 3, one every 6 s, and one after the "now" below, inside the same hour.
  for (let i = 0; i < 600; i++) add.run(new Date(T0 + 3 * H + i * 6000).toISOString(), 0.001, `m${i}`, `r${i}`, `k${i}`);
  // Which token_usage ranges were read: each run of the edge query, by its bounds.
  const read: string[] = [];
  const spy = {
    prepare(sql: string) {
      const st = db.prepare(sql);
      if (!/FROM token_usage WHERE timestamp >= \?/.test(sql)) return st;
      return { get: (a: string, b: string) => (read.push(`${a.slice(11, 19)}-${b.slice(11, 19)}`), st.get(a, b)) };
    },
  } as unknown as Parameters<typeof callSums>[0];
  const now = T0 + 3 * H + 50 * 60_000; // 50 minutes into hour 3: calls 0..499 are before it
  const block = callSums(spy, T0 + H, now + 1);
  assert.equal(block.calls, 501, 'calls at or before now');
  assert.ok(Math.abs(block.cost_usd - 0.501) < 1e-9);
  assert.deepEqual(read, ['09:50:00-10:00:00'], 'only the last ten minutes of the hour were read, not the fifty before now');
  read.length = 0;
  // Ten minutes into the hour, the part itself is the smaller side.
  assert.equal(callSums(spy, T0 + H, T0 + 3 * H + 10 * 60_000).calls, 100);
  assert.deepEqual(read, ['09:00:00-09:10:00']);
  read.length = 0;
  // A range inside one hour, most of it: the hour's rollup less both outer parts.
  assert.equal(callSums(spy, T0 + 3 * H + 60_000, T0 + 3 * H + 55 * 60_000).calls, 540);
  assert.deepEqual(read, ['09:00:00-09:01:00', '09:55:00-10:00:00']);
});
