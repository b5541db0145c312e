// 5-hour blocks: the rule as a pure function against hand-computed windows, then `report blocks
// --json` (the built CLI) and activeBlock on real databases: boundaries, gaps, ranges that cut a
// chain, local midnight and DST with --timezone, the active block with an injected now, and the
// official limits from status line snapshots applied by the real worker.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CLI, type Sandbox, drain, sandbox, spoolPayload } from './helpers.ts';
import { buildEmptyDb } from './support/fixture-db.ts';
import { snapshot, statuslineId } from './support/statusline.ts';
import { activeBlock, blockStartOf, burnRate, limitsOf, projectedCost, splitBlocks } from '../src/report/blocks.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ms = (iso: string): number => Date.parse(iso);
const H = 3_600_000;
const close = (a: number, b: number, what: string, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b}`);

test('the rule: a block starts at the UTC hour of its first call, lasts 5 h; a call at its end or after opens the next', () => {
  const calls = [
    '2026-03-02T10:40:00.000Z', '2026-03-02T14:59:59.999Z', // one block 10:00–15:00
    '2026-03-02T15:00:00.000Z', // exactly at the end: a new block 15:00–20:00
    '2026-03-02T19:30:00.000Z', // a 4 h 30 gap inside it
    '2026-03-03T00:29:00.000Z', // a gap under 5 h (4 h 59) but past 20:00: a new block 00:00
    '2026-03-03T05:30:00.000Z', // a gap of 5 h 01: a new block 05:00
    '2026-03-03T10:30:00.000Z', // a gap of exactly 5 h: a new block 10:00
  ].map((t) => ({ ms: ms(t) }));
  const blocks = splitBlocks(calls).map((b) => [new Date(b.startMs).toISOString(), new Date(b.endMs).toISOString(), b.calls.length]);
  assert.deepEqual(blocks, [
    ['2026-03-02T10:00:00.000Z', '2026-03-02T15:00:00.000Z', 2],
    ['2026-03-02T15:00:00.000Z', '2026-03-02T20:00:00.000Z', 2],
    ['2026-03-03T00:00:00.000Z', '2026-03-03T05:00:00.000Z', 1],
    ['2026-03-03T05:00:00.000Z', '2026-03-03T10:00:00.000Z', 1],
    ['2026-03-03T10:00:00.000Z', '2026-03-03T15:00:00.000Z', 1],
  ]);
  assert.equal(blockStartOf(ms('2026-03-02T10:00:00.000Z')), ms('2026-03-02T10:00:00.000Z'));
  assert.deepEqual(splitBlocks([]), []);
});

test('burn rate is cost per hour since the block started (a minute at least); the projection is burn × 5 h', () => {
  const start = ms('2026-03-02T10:00:00.000Z');
  close(burnRate(3, start, start + 2.5 * H), 1.2, 'burn');
  close(projectedCost(1.2), 6, 'projected = cost + burn × time left');
  close(3 + 1.2 * 2.5, projectedCost(burnRate(3, start, start + 2.5 * H)), 'both readings agree');
  close(burnRate(0.1, start, start + 10_000), 6, 'under a minute counts as a minute');
});

test('limits: the highest five-hour % (the latest on a tie) with its reset, reached at 100, the latest 7-day %', () => {
  const s = (at: string, five: number | null, resets: string | null, week: number | null) => ({ sampled_at: at, five_hour_used_pct: five, five_hour_resets_at: resets, seven_day_used_pct: week });
  assert.deepEqual(limitsOf([]), { five_hour_used_pct: null, five_hour_resets_at: null, limit_reached: null, seven_day_used_pct: null });
  assert.deepEqual(limitsOf([s('a1', 40, 'r1', 10), s('a2', 99.5, 'r2', null), s('a3', 99.5, 'r3', 12), s('a4', 20, 'r4', null)]), {
    five_hour_used_pct: 99.5, five_hour_resets_at: 'r3', limit_reached: false, seven_day_used_pct: 12,
  });
  assert.equal(limitsOf([s('a1', 100, 'r1', null)]).limit_reached, true);
});

/** A migrated database (the worker's drain) with calls inserted at chosen instants. */
function dbWithCalls(sb: Sandbox, calls: Array<[string, number | null, string?]>): void {
  buildEmptyDb(sb);
  const db = new Database(sb.db);
  try {
    const add = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, message_id, request_id, call_key)
      VALUES (?, ?, ?, 100, 10, 20, 1000, ?, ?, ?, ?)`);
    const addSession = db.prepare('INSERT OR IGNORE INTO sessions (session_id) VALUES (?)');
    calls.forEach(([ts, cost, session], i) => {
      addSession.run(session ?? 's1');
      add.run(session ?? 's1', ts, cost === null ? 'claude-unknown-9' : 'claude-sonnet-4-5', cost, `m${i}`, `r${i}`, `k${i}`);
    });
  } finally {
    db.close();
  }
}

function blocks(db: string, args: string[]): Json {
  const r = spawnSync(process.execPath, [CLI, 'report', 'blocks', '--json', '--db', db, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

test('report blocks --json: hand-computed windows, sums, and ranges that start inside a chain', (t) => {
  const sb = sandbox(t);
  dbWithCalls(sb, [
    ['2026-03-02T10:40:00.000Z', 0.5], ['2026-03-02T14:59:59.999Z', 0.25, 's2'],
    ['2026-03-02T15:00:00.000Z', 1], ['2026-03-02T19:30:00.000Z', null],
    ['2026-03-02T22:30:00.000Z', 2], ['2026-03-03T02:30:00.000Z', 3], // 22:00–03:00, across UTC midnight
    ['2026-03-03T03:10:00.000Z', 4], // 03:00, not 02:00: the block before decides where this one starts
    ['2026-03-03 04:00:00', 100], // the old hook's time format: not RFC 3339, not in any block
  ]);
  const all = blocks(sb.db, ['--timezone', 'UTC', '--now', '2026-03-10T00:00:00.000Z']);
  assert.equal(all.report, 'blocks');
  assert.equal(all.now, '2026-03-10T00:00:00.000Z');
  assert.deepEqual(all.rows.map((r: Json) => [r.start, r.end, r.api_calls, r.unpriced_calls, r.sessions, r.first_call, r.last_call, r.active]), [
    ['2026-03-02T10:00:00.000Z', '2026-03-02T15:00:00.000Z', 2, 0, 2, '2026-03-02T10:40:00.000Z', '2026-03-02T14:59:59.999Z', false],
    ['2026-03-02T15:00:00.000Z', '2026-03-02T20:00:00.000Z', 2, 1, 1, '2026-03-02T15:00:00.000Z', '2026-03-02T19:30:00.000Z', false],
    ['2026-03-02T22:00:00.000Z', '2026-03-03T03:00:00.000Z', 2, 0, 1, '2026-03-02T22:30:00.000Z', '2026-03-03T02:30:00.000Z', false],
    ['2026-03-03T03:00:00.000Z', '2026-03-03T08:00:00.000Z', 1, 0, 1, '2026-03-03T03:10:00.000Z', '2026-03-03T03:10:00.000Z', false],
  ]);
  const first = all.rows[0];
  assert.deepEqual([first.cost_usd, first.input_tokens, first.cache_read_tokens, first.total_tokens, first.models], [0.75, 200, 2000, 2260, ['claude-sonnet-4-5']]);
  close(first.burn_usd_per_hour, 0.75 / (5 - 1 / 3600_000), 'finished block: cost / (last call − start)', 1e-9);
  assert.deepEqual(all.rows[1].models, ['claude-sonnet-4-5', 'claude-unknown-9']);
  assert.deepEqual([first.ms_left, first.projected_cost_usd, first.five_hour_used_pct, first.limit_reached], [null, null, null, null]);
  assert.deepEqual([all.totals.blocks, all.totals.api_calls, all.totals.sessions, all.totals.cost_usd, all.totals.unpriced_calls], [4, 7, 2, 10.75, 1]);
  // From 2026-03-03: the 22:00 block started the day before; the 03:00 block is the same as above.
  const since = blocks(sb.db, ['--timezone', 'UTC', '--since', '2026-03-03', '--now', '2026-03-10T00:00:00.000Z']);
  assert.deepEqual(since.rows.map((r: Json) => r.start), ['2026-03-03T03:00:00.000Z']);
  const until = blocks(sb.db, ['--timezone', 'UTC', '--until', '2026-03-02', '--now', '2026-03-10T00:00:00.000Z']);
  assert.deepEqual(until.rows.map((r: Json) => [r.start, r.api_calls]), [
    ['2026-03-02T10:00:00.000Z', 2], ['2026-03-02T15:00:00.000Z', 2], ['2026-03-02T22:00:00.000Z', 2], // whole, past midnight
  ]);
});

test('--timezone: a block across local midnight belongs to its start day; DST changes show in local times', (t) => {
  const sb = sandbox(t);
  dbWithCalls(sb, [
    ['2026-01-15T22:30:00.000Z', 1], ['2026-01-16T00:30:00.000Z', 1], // Paris 23:30 and 01:30: one block
    ['2026-03-29T00:20:00.000Z', 1], ['2026-03-29T04:59:00.000Z', 1], // Paris springs forward at 01:00Z
    ['2026-11-01T05:10:00.000Z', 1], ['2026-11-01T09:50:00.000Z', 1], // New York falls back at 06:00Z
  ]);
  const now = ['--now', '2026-12-01T00:00:00.000Z'];
  const paris = blocks(sb.db, ['--timezone', 'Europe/Paris', ...now]);
  assert.deepEqual(paris.rows.slice(0, 2).map((r: Json) => [r.local_start, r.local_end, r.api_calls]), [
    ['2026-01-15 23:00', '2026-01-16 04:00', 2],
    ['2026-03-29 01:00', '2026-03-29 07:00', 2], // 5 hours that read as 6 on the wall clock
  ]);
  assert.deepEqual(blocks(sb.db, ['--timezone', 'Europe/Paris', '--since', '2026-01-16', '--until', '2026-01-16', ...now]).rows, []);
  const day = blocks(sb.db, ['--timezone', 'Europe/Paris', '--since', '2026-01-15', '--until', '2026-01-15', ...now]);
  assert.deepEqual(day.rows.map((r: Json) => [r.start, r.api_calls]), [['2026-01-15T22:00:00.000Z', 2]]);
  assert.equal(day.from_utc, '2026-01-14T23:00:00.000Z');
  const ny = blocks(sb.db, ['--timezone', 'America/New_York', '--since', '2026-11-01', ...now]);
  assert.deepEqual(ny.rows.map((r: Json) => [r.start, r.local_start, r.local_end, r.api_calls]), [['2026-11-01T05:00:00.000Z', '2026-11-01 01:00', '2026-11-01 05:00', 2]]);
});

test('the active block: time left and projection with an injected now; calls after now do not count', (t) => {
  const sb = sandbox(t);
  dbWithCalls(sb, [['2026-03-01T20:00:00.000Z', 9], ['2026-03-02T10:40:00.000Z', 1], ['2026-03-02T11:20:00.000Z', 2], ['2026-03-02T13:00:00.000Z', 5]]);
  const r = blocks(sb.db, ['--timezone', 'UTC', '--now', '2026-03-02T12:30:00.000Z']);
  const last = r.rows.at(-1);
  assert.deepEqual([last.start, last.active, last.api_calls, last.cost_usd, last.ms_left], ['2026-03-02T10:00:00.000Z', true, 2, 3, 2.5 * H]);
  close(last.burn_usd_per_hour, 1.2, 'burn');
  close(last.projected_cost_usd, 6, 'projected');
  assert.equal(r.rows[0].active, false);
  const db = new Database(sb.db, { readonly: true });
  t.after(() => db.close());
  assert.deepEqual(activeBlock(db, new Date('2026-03-02T12:30:00.000Z')), {
    start: '2026-03-02T10:00:00.000Z', end: '2026-03-02T15:00:00.000Z', calls: 2, cost_usd: 3, unpriced_calls: 0,
    burn_usd_per_hour: last.burn_usd_per_hour, projected_cost_usd: last.projected_cost_usd, ms_left: 2.5 * H,
    five_hour_used_pct: null, five_hour_resets_at: null, seven_day_used_pct: null, limit_reached: false,
  });
  const later = activeBlock(db, new Date('2026-03-02T13:30:00.000Z'))!;
  assert.deepEqual([later.calls, later.cost_usd], [3, 8]);
  close(later.burn_usd_per_hour, 8 / 3.5, 'burn at 13:30');
  assert.equal(activeBlock(db, new Date('2026-03-02T15:00:00.000Z')), null, 'at its end the block is over');
  assert.equal(activeBlock(db, new Date('2026-03-02T10:39:59.999Z')), null, 'before its first call there is no block yet');
  assert.equal(activeBlock(db, new Date('2026-03-01T21:00:00.000Z'))!.start, '2026-03-01T20:00:00.000Z');
  assert.equal(blocks(sb.db, ['--timezone', 'UTC', '--now', '2026-03-02T15:00:00.000Z']).rows.at(-1).active, false);
});

test('official limits: status line snapshots applied by the worker give each block its highest five-hour % and latest 7-day %', (t) => {
  const sb = sandbox(t);
  dbWithCalls(sb, [['2026-03-02T10:40:00.000Z', 1], ['2026-03-02T12:10:00.000Z', 1], ['2026-03-02T18:00:00.000Z', 1]]);
  const limit = (five: number, resets: string, week: number, cost: number) => (s: Json) => {
    s.rate_limits = { five_hour: { used_percentage: five, resets_at: ms(resets) / 1000 }, seven_day: { used_percentage: week, resets_at: ms('2026-03-06T00:00:00Z') / 1000 } };
    s.cost.total_cost_usd = cost;
  };
  spoolPayload(sb, snapshot('2.1.332-pro.json', 'a', limit(40, '2026-03-02T14:00:00Z', 10, 1)), statuslineId(ms('2026-03-02T10:45:00.000Z')));
  spoolPayload(sb, snapshot('2.1.332-pro.json', 'b', limit(100, '2026-03-02T14:00:00Z', 11, 1)), statuslineId(ms('2026-03-02T11:30:00.000Z')));
  spoolPayload(sb, snapshot('2.1.332-pro.json', 'a', limit(100, '2026-03-02T14:00:00Z', 12, 2)), statuslineId(ms('2026-03-02T12:15:00.000Z')));
  spoolPayload(sb, snapshot('2.1.332-pro.json', 'a', limit(5, '2026-03-02T23:00:00Z', 13, 3)), statuslineId(ms('2026-03-02T18:05:00.000Z')));
  spoolPayload(sb, snapshot('2.1.197.json', 'c'), statuslineId(ms('2026-03-02T18:06:00.000Z'))); // no rate_limits
  assert.equal(drain(sb).code, 0);
  const r = blocks(sb.db, ['--timezone', 'UTC', '--now', '2026-03-02T18:30:00.000Z']);
  assert.deepEqual(r.rows.map((b: Json) => [b.start, b.five_hour_used_pct, b.five_hour_resets_at, b.limit_reached, b.seven_day_used_pct]), [
    ['2026-03-02T10:00:00.000Z', 100, '2026-03-02T14:00:00.000Z', true, 12],
    ['2026-03-02T18:00:00.000Z', 5, '2026-03-02T23:00:00.000Z', false, 13],
  ]);
  const db = new Database(sb.db, { readonly: true });
  t.after(() => db.close());
  const a = activeBlock(db, new Date('2026-03-02T12:20:00.000Z'))!;
  assert.deepEqual([a.five_hour_used_pct, a.five_hour_resets_at, a.limit_reached, a.seven_day_used_pct], [100, '2026-03-02T14:00:00.000Z', true, 12]);
  const early = activeBlock(db, new Date('2026-03-02T11:00:00.000Z'))!;
  assert.deepEqual([early.five_hour_used_pct, early.limit_reached, early.seven_day_used_pct], [40, false, 10], 'samples after now do not count');
  const table = spawnSync(process.execPath, [CLI, 'report', 'blocks', '--db', sb.db, '--timezone', 'UTC', '--now', '2026-03-02T18:30:00.000Z'], { encoding: 'utf8' });
  assert.equal(table.status, 0, table.stderr);
  const lines = table.stdout.split('\n');
  assert.match(lines.find((l) => l.startsWith('Start'))!, /Burn\/h\s+Left\s+Projected\s+5h limit\s+7d limit$/);
  assert.match(lines.find((l) => l.startsWith('2026-03-02 10:00'))!, /\s100%!\s+12%$/);
  assert.match(lines.find((l) => l.startsWith('2026-03-02 18:00'))!, /\s4h 30m\s+\$\S+\s+5%\s+13%$/);
  assert.match(table.stdout, /^Total \(2 blocks\)/m);
  assert.match(table.stdout, /! = the limit was reached/);
});

test('activeBlock agrees with a full scan at random instants, and reads a database without statusline_samples', (t) => {
  const sb = sandbox(t);
  // The old hook's schema only (no migrations): token_usage, no statusline_samples.
  const db = new Database(`${sb.dir}/old.db`);
  t.after(() => db.close());
  db.exec('CREATE TABLE token_usage (id INTEGER PRIMARY KEY, session_id TEXT, timestamp TIMESTAMP, model TEXT, cost_usd REAL); CREATE INDEX idx_token_usage_timestamp ON token_usage(timestamp)');
  let seed = 11;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const times: number[] = [];
  let at = ms('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < 3000; i++) {
    at += Math.floor(rand() < 0.1 ? 4 * H + rand() * 2 * H : rand() * 0.5 * H);
    times.push(at);
  }
  const add = db.prepare('INSERT INTO token_usage (session_id, timestamp, model, cost_usd) VALUES (?, ?, ?, ?)');
  db.transaction(() => times.forEach((x, i) => add.run('s', new Date(x).toISOString(), 'm', 0.01 * (i % 7))))();
  const full = splitBlocks(times.map((x) => ({ ms: x })));
  for (let i = 0; i < 300; i++) {
    const now = times[0]! - H + Math.floor(rand() * (times.at(-1)! - times[0]! + 7 * H));
    const want = full.findLast((b) => b.calls[0]!.ms <= now);
    const got = activeBlock(db, new Date(now));
    if (!want || now >= want.endMs) {
      assert.equal(got, null, new Date(now).toISOString());
      continue;
    }
    const calls = want.calls.filter((c) => c.ms <= now);
    assert.ok(got, new Date(now).toISOString());
    assert.equal(got.start, new Date(want.startMs).toISOString());
    assert.equal(got.calls, calls.length);
    assert.equal(got.ms_left, want.endMs - now);
    assert.equal(got.five_hour_used_pct, null);
  }
});

test('report blocks: usage errors', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  for (const args of [['--breakdown'], ['--now', 'soon'], ['--now', '2026-13-01T00:00:00Z']]) {
    const r = spawnSync(process.execPath, [CLI, 'report', 'blocks', '--db', sb.db, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
