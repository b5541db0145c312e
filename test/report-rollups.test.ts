// The rollups of migration 0009 (usage_hours, usage_days): equal to token_usage after the real
// worker applies calls, changes them (a call's tokens growing on a later Stop, a call moving to
// another hour, a restart), after other writers' inserts, updates and deletes, and after the
// backfill of an older database; and the reports they answer equal the reports read from
// token_usage in every time zone, those whose offsets are not whole hours (which the rollups
// cannot answer) included.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CLI, type Sandbox, drain, event, query, sandbox, spoolPayload } from './helpers.ts';
import { buildEmptyDb, buildFixtureDb } from './support/fixture-db.ts';
import { rollupMismatches } from './support/rollups.ts';
import { loadMigrations } from '../src/worker/db.ts';
import { type Report, type ReportKind, runReport } from '../src/report/queries.ts';
import { usageReport } from '../src/report/usage-report.ts';

function assertRollups(file: string, when: string): void {
  const r = rollupMismatches(file);
  assert.deepEqual(r.problems, [], when);
  assert.ok(r.hours > 0 && r.days > 0 && r.sessions > 0, `${when}: rollups empty`);
}

test('the rollups equal token_usage once the worker has applied the recorded sessions', (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  assertRollups(sb.db, 'fixtures');
});

/** An assistant line of a transcript: one API call's usage at a time. */
function line(id: string, time: string, model: string, input: number, output: number): string {
  return `${JSON.stringify({
    type: 'assistant', sessionId: 'grow', cwd: '/p', timestamp: time, requestId: `req-${id}`, uuid: `u-${id}-${output}`,
    message: { id: `msg-${id}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'x' }], usage: { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
  })}\n`;
}

test('the rollups follow every change the worker makes: tokens growing on a later Stop, a call moving hour, a new model, a restart', (t) => {
  const sb = sandbox(t);
  const transcript = path.join(sb.dir, 'grow.jsonl');
  const stop = (when: string): void => {
    spoolPayload(sb, event('grow', 'Stop', { transcript_path: transcript }));
    const r = drain(sb);
    assert.equal(r.code, 0, r.stderr);
    assertRollups(sb.db, when);
  };
  const hourOf = (iso: string): number => Math.floor(Date.parse(iso) / 3_600_000);
  const tokens = (hour: number): unknown => query(sb.db, "SELECT input_tokens, output_tokens, api_calls FROM usage_hours WHERE session_id = 'grow' AND hour = ?", hour);
  fs.writeFileSync(transcript, line('a', '2026-03-01T10:59:59.000Z', 'claude-sonnet-4-5', 100, 5) + line('b', '2026-03-01T11:30:00.000Z', 'claude-sonnet-4-5', 50, 7));
  stop('first Stop');
  assert.deepEqual(tokens(hourOf('2026-03-01T10:59:59Z')), [{ input_tokens: 100, output_tokens: 5, api_calls: 1 }]);
  // Call a streams on: the same message again with more output tokens, read on a later Stop.
  fs.appendFileSync(transcript, line('a', '2026-03-01T10:59:59.000Z', 'claude-sonnet-4-5', 100, 900));
  stop('tokens grown');
  assert.deepEqual(tokens(hourOf('2026-03-01T10:59:59Z')), [{ input_tokens: 100, output_tokens: 900, api_calls: 1 }]);
  // Call b seen again with an earlier time (the call's time is its earliest line's): it moves to
  // the hour before, beside call a; and a call of another model.
  fs.appendFileSync(transcript, line('b', '2026-03-01T10:15:00.000Z', 'claude-sonnet-4-5', 50, 8) + line('c', '2026-03-01T23:30:00.000Z', 'claude-haiku-4-5', 10, 1));
  stop('a call moved, a new model');
  assert.deepEqual(tokens(hourOf('2026-03-01T10:00:00Z')), [{ input_tokens: 150, output_tokens: 908, api_calls: 2 }]);
  assert.deepEqual(tokens(hourOf('2026-03-01T11:30:00Z')), [], 'no row left where no call is');
  // The file replaced by a shorter one: the session's calls are deleted and read again.
  fs.writeFileSync(`${transcript}.new`, line('d', '2026-03-02T08:00:00.000Z', 'claude-opus-4-5', 1, 1));
  fs.renameSync(`${transcript}.new`, transcript);
  stop('restart');
  assert.deepEqual(query(sb.db, "SELECT hour, model, api_calls FROM usage_hours WHERE session_id = 'grow'"), [{ hour: hourOf('2026-03-02T08:00:00Z'), model: 'claude-opus-4-5', api_calls: 1 }]);
});

/** Calls inserted as any writer might (the old hook, a script): times odd ones included. */
function insertCalls(file: string, n: number): void {
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = OFF');
    const add = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, call_key)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const models = ['claude-sonnet-4-5', 'claude-opus-4-5', null];
    for (let i = 0; i < n; i++) {
      const ms = Date.parse('2026-03-06T00:00:00Z') + i * 37 * 60_000;
      add.run(`s${i % 7}`, new Date(ms).toISOString(), models[i % 3], 1000 + i, 10 + i, i % 5, i * 3, i % 11 === 0 ? null : 0.0001 * i + 0.0137, `k${i}`);
    }
    add.run('odd', '', 'claude-sonnet-4-5', 1, 1, 0, 0, 0.5, 'no-time');
    add.run('odd', '2026-03-06 10:00:00', 'claude-sonnet-4-5', 1, 1, 0, 0, 0.5, 'old-format');
    db.prepare("INSERT OR IGNORE INTO sessions (session_id, start_time, end_time, total_cost_usd, cost_source) VALUES ('old', '2026-03-07T22:40:00.000Z', '2026-03-07T23:00:00.000Z', 1.25, 'reported')").run();
  } finally {
    db.close();
  }
}

test('other writers: inserts, updates and deletes made straight in SQL keep the rollups equal too', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  insertCalls(sb.db, 400);
  assertRollups(sb.db, 'inserted');
  const db = new Database(sb.db);
  try {
    db.exec(`UPDATE token_usage SET output_tokens = output_tokens * 2, cost_usd = cost_usd * 3 WHERE id % 4 = 0;
      UPDATE token_usage SET timestamp = strftime('%Y-%m-%dT%H:%M:%fZ', timestamp, '+90 minutes') WHERE id % 5 = 0;
      UPDATE token_usage SET model = 'claude-haiku-4-5' WHERE id % 6 = 0;
      UPDATE token_usage SET cost_usd = NULL WHERE id % 9 = 0;
      DELETE FROM token_usage WHERE id % 7 = 0;`);
  } finally {
    db.close();
  }
  assertRollups(sb.db, 'updated and deleted');
});

test('usage_sessions follows any writer of usage_hours itself: an hour re-keyed, summed into, deleted', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  insertCalls(sb.db, 200);
  const db = new Database(sb.db);
  try {
    db.exec(`UPDATE usage_hours SET hour = hour + 1000 WHERE hour % 3 = 0 AND session_id = 's1';
      UPDATE usage_hours SET model = 'moved' WHERE hour % 4 = 0 AND session_id = 's2';
      UPDATE usage_hours SET session_id = 's9' WHERE hour % 5 = 0 AND session_id = 's3';
      UPDATE usage_hours SET api_calls = api_calls + 2, cost_usd = cost_usd + 0.5 WHERE hour % 2 = 0;
      DELETE FROM usage_hours WHERE hour % 7 = 0;`);
    const want = db
      .prepare(`SELECT session_id, model, min(hour) AS first_hour, max(hour) AS last_hour, sum(api_calls) AS api_calls, sum(unpriced_calls) AS unpriced_calls,
          sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cache_creation_tokens) AS cache_creation_tokens,
          sum(cache_read_tokens) AS cache_read_tokens, round(sum(cost_usd), 9) AS cost_usd FROM usage_hours GROUP BY 1, 2 ORDER BY 1, 2`)
      .all();
    const got = db.prepare('SELECT session_id, model, first_hour, last_hour, api_calls, unpriced_calls, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, round(cost_usd, 9) AS cost_usd FROM usage_sessions ORDER BY 1, 2').all();
    assert.ok(want.length > 7);
    assert.deepEqual(got, want);
  } finally {
    db.close();
  }
});

test('an older database is backfilled by migration 0009 when the worker opens it', (t) => {
  const sb = sandbox(t);
  const old = new Database(sb.db);
  try {
    for (const m of loadMigrations().filter((x) => x.version <= 8)) old.exec(m.sql);
    old.pragma('user_version = 8');
  } finally {
    old.close();
  }
  insertCalls(sb.db, 300);
  assert.equal(query(sb.db, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'usage_hours'")[0]!.n, 0);
  fs.mkdirSync(path.join(sb.spool, 'incoming'), { recursive: true });
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(query(sb.db, 'PRAGMA user_version')[0]!.user_version, loadMigrations().length);
  assertRollups(sb.db, 'backfilled');
  assert.deepEqual(differences(sb.db, 'Europe/Paris'), []);
});

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

/** Where two reports differ (costs to 1e-9), as paths. */
function diff(a: unknown, b: unknown, at = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number') return close(a, b) ? [] : [`${at}: ${a} vs ${b}`];
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return a === b ? [] : [`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

const KINDS: ReportKind[] = ['daily', 'weekly', 'monthly', 'model', 'project'];
const RANGES: Array<[string | null, string | null]> = [[null, null], ['2026-03-07', '2026-03-08'], ['2026-03-08', null], [null, '2026-03-07']];

/** Every kind, range and breakdown in a zone: the rollups' report against token_usage's. */
function differences(file: string, timeZone: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const out: string[] = [];
    for (const kind of KINDS) {
      for (const [since, until] of RANGES) {
        for (const breakdown of kind === 'model' ? [false] : [false, true]) {
          const o = { kind, timeZone, since, until, breakdown, weekStart: 1 };
          const fast: Report = runReport(db, o);
          const slow: Report = runReport(db, { ...o, source: 'calls' });
          out.push(...diff(fast, slow).map((d) => `${timeZone} ${kind} ${since}..${until}${breakdown ? ' breakdown' : ''}${d}`));
        }
      }
    }
    return out;
  } finally {
    db.close();
  }
}

test('in every time zone the reports from the rollups equal those from token_usage; zones off whole hours read token_usage', (t) => {
  const sb: Sandbox = sandbox(t);
  buildEmptyDb(sb);
  insertCalls(sb.db, 600); // every 37 minutes across the US DST change of 2026-03-08
  for (const tz of ['Europe/Paris', 'America/New_York', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns']) {
    assert.deepEqual(differences(sb.db, tz), [], tz);
  }
  // Which source answered: the rollups where every hour is in one local day, token_usage elsewhere.
  const db = new Database(sb.db, { readonly: true, fileMustExist: true });
  try {
    const range = { fromMs: null, toMs: null, from: '0000-01-01T00:00:00.000Z', to: '9999-12-31T23:59:59.999Z' };
    const source = (timeZone: string): string => usageReport(db, { kind: 'daily', timeZone, since: null, until: null, breakdown: false, weekStart: 1 }, range).source;
    assert.deepEqual(['Europe/Paris', 'America/New_York', 'UTC'].map(source), ['rollups', 'rollups', 'rollups']);
    assert.deepEqual(['Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns'].map(source), ['calls', 'calls', 'calls']);
  } finally {
    db.close();
  }
  // And the CLI prints the same figures (rounded to 6 decimals) as the query functions.
  const cli = spawnSync(process.execPath, [CLI, 'report', 'daily', '--json', '--timezone', 'Asia/Kolkata', '--db', sb.db], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const printed = JSON.parse(cli.stdout) as Report;
  const db2 = new Database(sb.db, { readonly: true, fileMustExist: true });
  try {
    const want = runReport(db2, { kind: 'daily', timeZone: 'Asia/Kolkata', since: null, until: null, breakdown: false, weekStart: 1, source: 'calls' });
    assert.deepEqual(printed.rows.map((r) => r.date), want.rows.map((r) => r.date));
    printed.rows.forEach((r, i) => assert.ok(Math.abs(r.cost_usd - want.rows[i]!.cost_usd) <= 5e-7, `${r.date}`));
  } finally {
    db2.close();
  }
});
