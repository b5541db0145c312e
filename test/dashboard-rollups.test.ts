// The dashboard's rollups (the migration `*_dashboard_rollups.sql`: branch_hours, branch_days,
// tool_hours, tool_days; docs/ARCHITECTURE.md, invariant 30): equal to token_usage and tool_uses
// after the real worker applies calls and tool uses, changes them (a tool_result setting is_error
// on a later Stop, a call's tokens growing, a restart that deletes and re-inserts a session's calls
// and tool uses), after other writers' inserts, updates and deletes, and after the backfill of an
// older database; and the branch and tool views they answer equal those read from the base tables
// in several time zones and ranges (zones off whole hours read the base tables).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { type Sandbox, drain, event, query, sandbox, spoolPayload } from './helpers.ts';
import { buildEmptyDb } from './support/fixture-db.ts';
import { loadMigrations } from '../src/worker/db.ts';
import { dashRange } from '../src/report/dashboard-range.ts';
import { branchesAnswer, toolsAnswer } from '../src/report/dashboard-tools.ts';
import { blocksReport } from '../src/report/blocks-report.ts';

const CALL_OK = "typeof(timestamp) = 'text' AND substr(timestamp, 11, 1) = 'T' AND unixepoch(timestamp) IS NOT NULL";
const USE_OK = "typeof(used_at) = 'text' AND substr(used_at, 11, 1) = 'T' AND unixepoch(used_at) IS NOT NULL";
const CALL_SUMS = `count(*) AS api_calls, count(*) - count(cost_usd) AS unpriced_calls, sum(COALESCE(input_tokens, 0)) AS input_tokens,
  sum(COALESCE(output_tokens, 0)) AS output_tokens, sum(COALESCE(cache_creation_tokens, 0)) AS cache_creation_tokens,
  sum(COALESCE(cache_read_tokens, 0)) AS cache_read_tokens, COALESCE(sum(cost_usd), 0) AS cost_usd`;
const USE_SUMS = 'count(*) AS uses, COALESCE(sum(is_error = 1), 0) AS errors, count(is_error) AS with_result, count(agent_id) AS subagent_uses';
const BRANCH_KEY = "session_id, COALESCE(git_branch, '(none)') AS branch, COALESCE(model, 'unknown') AS model";

type Row = Record<string, number | string>;

/** What the rollups should hold, computed from the base tables, and what they hold: both sorted alike. */
const CHECKS: Array<[string, string, string]> = [
  ['branch_hours', `SELECT unixepoch(timestamp) / 3600 AS hour, ${BRANCH_KEY}, ${CALL_SUMS} FROM token_usage WHERE ${CALL_OK} GROUP BY 1, 2, 3, 4`, 'hour, session_id, branch, model'],
  ['branch_days', `SELECT unixepoch(timestamp) / 86400 AS day, ${BRANCH_KEY}, ${CALL_SUMS} FROM token_usage WHERE ${CALL_OK} GROUP BY 1, 2, 3, 4`, 'day, session_id, branch, model'],
  ['tool_hours', `SELECT unixepoch(used_at) / 3600 AS hour, session_id, COALESCE(name, '(unknown)') AS name, ${USE_SUMS} FROM tool_uses WHERE ${USE_OK} GROUP BY 1, 2, 3`, 'hour, session_id, name'],
  ['tool_days', `SELECT unixepoch(used_at) / 86400 AS day, COALESCE(name, '(unknown)') AS name, ${USE_SUMS} FROM tool_uses WHERE ${USE_OK} GROUP BY 1, 2`, 'day, name'],
];

/** Where the rollups differ from the base tables (costs to 1e-9 USD); and whether each has rows. */
function mismatches(file: string): { problems: string[]; counts: number[] } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const problems: string[] = [];
    const counts: number[] = [];
    for (const [table, want, keys] of CHECKS) {
      const w = db.prepare(`SELECT * FROM (${want}) ORDER BY ${keys}`).all() as Row[];
      const g = db.prepare(`SELECT * FROM ${table} ORDER BY ${keys}`).all() as Row[];
      counts.push(g.length);
      if (w.length !== g.length) problems.push(`${table}: ${g.length} rows, ${w.length} groups in the base table`);
      w.forEach((row, i) => {
        for (const [k, v] of Object.entries(row)) {
          const got = g[i]?.[k];
          const same = k === 'cost_usd' ? Math.abs(Number(got) - Number(v)) <= 1e-9 : got === v;
          if (!same) problems.push(`${table} row ${i} ${k}: ${String(got)} vs ${String(v)}`);
        }
      });
    }
    problems.push(...limitMismatches(db));
    counts.push(db.prepare('SELECT count(*) FROM limit_hours').pluck().get() as number);
    return { problems, counts };
  } finally {
    db.close();
  }
}

type Sample = { rowid: number; sampled_at: string; five_hour_used_pct: number | null; five_hour_resets_at: string | null; seven_day_used_pct: number | null };

/** limit_hours against the samples, recomputed here in JavaScript: per hour (the text's first 13 characters), the top five-hour sample and the latest 7-day one. */
function limitMismatches(db: Database.Database): string[] {
  const samples = db.prepare('SELECT rowid, sampled_at, five_hour_used_pct, five_hour_resets_at, seven_day_used_pct FROM statusline_samples').all() as Sample[];
  const later = (a: Sample, b: Sample): boolean => a.sampled_at > b.sampled_at || (a.sampled_at === b.sampled_at && a.rowid > b.rowid);
  const want = new Map<number, { five: Sample | null; seven: Sample | null }>();
  for (const x of samples) {
    const ms = Date.parse(`${x.sampled_at.slice(0, 13)}:00:00Z`);
    if (Number.isNaN(ms) || (x.five_hour_used_pct === null && x.seven_day_used_pct === null)) continue;
    const h = ms / 3_600_000;
    const w = want.get(h) ?? { five: null, seven: null };
    if (x.five_hour_used_pct !== null && (w.five === null || x.five_hour_used_pct > w.five.five_hour_used_pct! || (x.five_hour_used_pct === w.five.five_hour_used_pct && later(x, w.five)))) w.five = x;
    if (x.seven_day_used_pct !== null && (w.seven === null || later(x, w.seven))) w.seven = x;
    want.set(h, w);
  }
  const got = db.prepare('SELECT * FROM limit_hours ORDER BY hour').all() as Row[];
  const problems: string[] = [];
  if (got.length !== want.size) problems.push(`limit_hours: ${got.length} rows, ${want.size} hours with samples`);
  for (const g of got) {
    const w = want.get(Number(g.hour));
    const expect = { five_hour_used_pct: w?.five?.five_hour_used_pct ?? null, five_hour_resets_at: w?.five?.five_hour_resets_at ?? null, five_at: w?.five?.sampled_at ?? null, seven_day_used_pct: w?.seven?.seven_day_used_pct ?? null, seven_at: w?.seven?.sampled_at ?? null };
    for (const [k, v] of Object.entries(expect)) if (g[k] !== v) problems.push(`limit_hours ${g.hour} ${k}: ${String(g[k])} vs ${String(v)}`);
  }
  return problems;
}

/** The rollups equal; each has rows (limit_hours only when `samples`: the worker test writes none; test/blocks.test.ts applies snapshots through the worker). */
function assertRollups(file: string, when: string, samples = true): void {
  const r = mismatches(file);
  assert.deepEqual(r.problems, [], when);
  assert.ok(r.counts.slice(0, samples ? 5 : 4).every((n) => n > 0), `${when}: a rollup is empty (${r.counts.join(', ')})`);
}

/** An assistant line: one API call (its usage), on a branch, with tool uses. */
function assistant(sid: string, id: string, time: string, model: string, branch: string, input: number, output: number, tools: Array<[string, string]> = []): string {
  const content = [{ type: 'text', text: 'x' }, ...tools.map(([tid, name]) => ({ type: 'tool_use', id: tid, name, input: {} }))];
  return `${JSON.stringify({
    type: 'assistant', sessionId: sid, cwd: '/p', gitBranch: branch, timestamp: time, requestId: `req-${id}`, uuid: `u-${id}-${output}`,
    message: { id: `msg-${id}`, type: 'message', role: 'assistant', model, content, usage: { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
  })}\n`;
}

/** A user line carrying tool results. */
function results(sid: string, time: string, r: Array<[string, boolean]>): string {
  return `${JSON.stringify({
    type: 'user', sessionId: sid, cwd: '/p', timestamp: time, uuid: `r-${r.map(([id]) => id).join('-')}`,
    message: { role: 'user', content: r.map(([id, err]) => ({ type: 'tool_result', tool_use_id: id, is_error: err, content: 'x' })) },
  })}\n`;
}

test('the dashboard rollups follow every change the worker makes: results later, tokens growing, a restart', (t) => {
  const sb = sandbox(t);
  const transcript = path.join(sb.dir, 'dash.jsonl');
  const stop = (when: string): void => {
    spoolPayload(sb, event('dash', 'Stop', { transcript_path: transcript }));
    const r = drain(sb);
    assert.equal(r.code, 0, r.stderr);
    assertRollups(sb.db, when, false);
  };
  const hourOf = (iso: string): number => Math.floor(Date.parse(iso) / 3_600_000);
  fs.writeFileSync(
    transcript,
    assistant('dash', 'a', '2026-03-01T10:59:59.000Z', 'claude-sonnet-4-5', 'main', 100, 5, [['tu-1', 'Bash'], ['tu-2', 'Read']]) +
      results('dash', '2026-03-01T11:00:01.000Z', [['tu-1', false]]) +
      assistant('dash', 'b', '2026-03-01T11:30:00.000Z', 'claude-sonnet-4-5', 'feature', 50, 7, [['tu-3', 'Bash']]),
  );
  stop('first Stop');
  assert.deepEqual(query(sb.db, 'SELECT name, uses, errors, with_result FROM tool_hours WHERE hour = ? ORDER BY name', hourOf('2026-03-01T10:59:59Z')), [
    { name: 'Bash', uses: 1, errors: 0, with_result: 1 },
    { name: 'Read', uses: 1, errors: 0, with_result: 0 },
  ]);
  // Read's result comes on a later Stop, as an error; call a streams on (more output tokens).
  fs.appendFileSync(transcript, results('dash', '2026-03-01T11:40:00.000Z', [['tu-2', true], ['tu-3', true]]) + assistant('dash', 'a', '2026-03-01T10:59:59.000Z', 'claude-sonnet-4-5', 'main', 100, 900));
  stop('a result later, tokens grown');
  assert.deepEqual(query(sb.db, "SELECT uses, errors, with_result FROM tool_days WHERE name = 'Read'"), [{ uses: 1, errors: 1, with_result: 1 }]);
  assert.deepEqual(query(sb.db, "SELECT output_tokens FROM branch_hours WHERE branch = 'main'"), [{ output_tokens: 900 }]);
  // The file replaced by a shorter one: the session's calls and tool uses are deleted and read again.
  fs.writeFileSync(`${transcript}.new`, assistant('dash', 'd', '2026-03-02T08:00:00.000Z', 'claude-opus-4-5', 'fix', 1, 1, [['tu-9', 'Edit']]));
  fs.renameSync(`${transcript}.new`, transcript);
  stop('restart');
  assert.deepEqual(query(sb.db, 'SELECT branch, api_calls FROM branch_days'), [{ branch: 'fix', api_calls: 1 }]);
  assert.deepEqual(query(sb.db, 'SELECT name, uses FROM tool_hours'), [{ name: 'Edit', uses: 1 }]);
});

const MODELS = ['claude-sonnet-4-5', 'claude-opus-4-5', null];
const BRANCHES = ['main', 'feature/x', null];
const NAMES = ['Bash', 'Read', 'Edit', 'Write', null];

/** Calls and tool uses inserted as any writer might: every 37 minutes across the US DST change of 2026-03-08, odd times included. */
function insertRows(file: string, n: number): void {
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = OFF');
    const call = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, git_branch, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, call_key)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const use = db.prepare('INSERT INTO tool_uses (session_id, tool_use_id, name, used_at, is_error, agent_id) VALUES (?, ?, ?, ?, ?, ?)');
    const session = db.prepare('INSERT OR IGNORE INTO sessions (session_id, start_time, cwd) VALUES (?, ?, ?)');
    for (let i = 0; i < n; i++) {
      const at = new Date(Date.parse('2026-03-06T00:00:00Z') + i * 37 * 60_000).toISOString();
      const sid = `s${i % 7}`;
      session.run(sid, at, i % 7 === 6 ? null : `/code/p${i % 3}`);
      call.run(sid, at, MODELS[i % 3], BRANCHES[i % 3 === 0 ? (i >> 2) % 3 : i % 3], 1000 + i, 10 + i, i % 5, i * 3, i % 11 === 0 ? null : 0.0001 * i + 0.0137, `k${i}`);
      for (let j = 0; j < (i % 4); j++) use.run(sid, `t${i}-${j}`, NAMES[(i + j) % 5], new Date(Date.parse(at) + j * 1000).toISOString(), [null, 0, 1][(i + j) % 3], j === 2 ? 'agent-1' : null);
    }
    const sample = db.prepare('INSERT INTO statusline_samples (session_id, sampled_at, payload_id, five_hour_used_pct, five_hour_resets_at, seven_day_used_pct) VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < n; i++) {
      // Every 13 minutes: ties on the five-hour % (and on the time itself), samples without limits.
      const at = new Date(Date.parse('2026-03-06T00:00:00Z') + i * 13 * 60_000 - (i % 17 === 0 ? 13 * 60_000 : 0)).toISOString();
      sample.run(`s${i % 7}`, at, `p${i}`, i % 5 === 4 ? null : (i * 7) % 40 + 60, i % 5 === 4 ? null : `r${i}`, i % 3 === 0 ? null : i % 50);
    }
    sample.run('odd', 'yesterday', 'p-odd', 99, 'r', 9);
    call.run('odd', '', 'claude-sonnet-4-5', 'main', 1, 1, 0, 0, 0.5, 'no-time');
    call.run('odd', '2026-03-06 10:00:00', 'claude-sonnet-4-5', 'main', 1, 1, 0, 0, 0.5, 'old-format');
    use.run('odd', 'no-time', 'Bash', null, null, null);
    use.run('odd', 'bad-time', 'Bash', 'yesterday', 1, null);
  } finally {
    db.close();
  }
}

test("other writers: inserts, updates and deletes made straight in SQL keep the dashboard's rollups equal too", (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  insertRows(sb.db, 400);
  assertRollups(sb.db, 'inserted');
  const db = new Database(sb.db);
  try {
    db.exec(`UPDATE token_usage SET output_tokens = output_tokens * 2, cost_usd = cost_usd * 3 WHERE id % 4 = 0;
      UPDATE token_usage SET timestamp = strftime('%Y-%m-%dT%H:%M:%fZ', timestamp, '+90 minutes') WHERE id % 5 = 0;
      UPDATE token_usage SET git_branch = 'other' WHERE id % 6 = 0;
      UPDATE token_usage SET model = NULL, cost_usd = NULL WHERE id % 9 = 0;
      UPDATE token_usage SET session_id = 's1' WHERE id % 13 = 0;
      DELETE FROM token_usage WHERE id % 7 = 0;
      UPDATE tool_uses SET is_error = 1 WHERE is_error IS NULL AND tool_use_id GLOB '*[02468]-*';
      UPDATE tool_uses SET used_at = strftime('%Y-%m-%dT%H:%M:%fZ', used_at, '+50 minutes') WHERE tool_use_id LIKE '%-1';
      UPDATE tool_uses SET name = 'Grep', agent_id = 'agent-2' WHERE tool_use_id LIKE 't1%';
      UPDATE tool_uses SET used_at = '2026-03-07T01:02:03.000Z' WHERE tool_use_id = 'bad-time';
      DELETE FROM tool_uses WHERE tool_use_id LIKE '%3-%';
      UPDATE statusline_samples SET five_hour_used_pct = 100 WHERE rowid % 11 = 0;
      UPDATE statusline_samples SET sampled_at = strftime('%Y-%m-%dT%H:%M:%fZ', sampled_at, '+70 minutes') WHERE rowid % 13 = 0;
      UPDATE statusline_samples SET seven_day_used_pct = NULL, five_hour_used_pct = NULL WHERE rowid % 19 = 0;
      DELETE FROM statusline_samples WHERE rowid % 4 = 0;`);
  } finally {
    db.close();
  }
  assertRollups(sb.db, 'updated and deleted');
});

test('an older database is backfilled by the migration when the worker opens it', (t) => {
  const sb = sandbox(t);
  const all = loadMigrations();
  const mine = all.findIndex((m) => m.name.endsWith('_dashboard_rollups.sql'));
  assert.ok(mine > 0);
  const old = new Database(sb.db);
  try {
    for (const m of all.slice(0, mine)) old.exec(m.sql);
    old.pragma(`user_version = ${all[mine - 1]!.version}`);
  } finally {
    old.close();
  }
  insertRows(sb.db, 300);
  assert.equal(query(sb.db, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'tool_hours'")[0]!.n, 0);
  fs.mkdirSync(path.join(sb.spool, 'incoming'), { recursive: true });
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(query(sb.db, 'PRAGMA user_version')[0]!.user_version, all.length);
  assertRollups(sb.db, 'backfilled');
});

/** Where two answers differ (numbers to 1e-9 relative), as paths. */
function diff(a: unknown, b: unknown, at = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)) ? [] : [`${at}: ${a} vs ${b}`];
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return a === b ? [] : [`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

const OFF_WHOLE_HOURS = ['Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns'];

test('in every time zone the branch and tool views from the rollups equal those from the base tables', (t) => {
  const sb: Sandbox = sandbox(t);
  buildEmptyDb(sb);
  insertRows(sb.db, 600);
  const db = new Database(sb.db, { readonly: true, fileMustExist: true });
  try {
    const ranges: Array<[string | null, string | null]> = [[null, null], ['2026-03-07', '2026-03-08'], ['2026-03-08', null], [null, '2026-03-07'], ['2026-03-09', '2026-03-09']];
    const zones = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns'];
    let compared = 0;
    for (const tz of zones) {
      for (const [from, to] of ranges) {
        const range = dashRange(tz, from, to);
        for (const [name, f] of [['tools', toolsAnswer], ['branches', branchesAnswer]] as const) {
          const fast = f(db, range, 'rollups');
          const slow = f(db, range, 'base');
          const auto = f(db, range);
          // The rollups hold UTC hours: zones off whole hours cannot be answered from them.
          if (!OFF_WHOLE_HOURS.includes(tz)) assert.deepEqual(diff(fast, slow), [], `${tz} ${from}..${to} ${name}`);
          assert.deepEqual(diff(auto, slow), [], `${tz} ${from}..${to} ${name} (as served)`);
          if (from === null && to === null) assert.ok(JSON.stringify(slow).length > 500, `${tz} ${name}: something to compare`);
          compared++;
        }
      }
    }
    assert.equal(compared, zones.length * ranges.length * 2);
    // An answer worth comparing: several branches and tools, sessions counted per tool.
    const whole = dashRange('Europe/Paris', null, null);
    assert.ok(branchesAnswer(db, whole).rows.length >= 6);
    const tools = toolsAnswer(db, whole);
    assert.equal(tools.rows.length, 5);
    assert.ok(tools.rows.every((r) => r.sessions > 0 && r.sessions <= 7));
    assert.ok(tools.by_agent.subagents > 0 && tools.series.length === 5 && tools.days.length > 5);
  } finally {
    db.close();
  }
});

test('the blocks report with limit_hours gives what it gives from every sample (the rollup dropped), at any now', (t) => {
  const sb: Sandbox = sandbox(t);
  buildEmptyDb(sb);
  insertRows(sb.db, 600);
  const without = path.join(sb.dir, 'without.db');
  const db = new Database(sb.db);
  db.exec(`VACUUM INTO '${without}'`);
  db.close();
  const w = new Database(without);
  w.exec('DROP TABLE limit_hours');
  w.close();
  const fast = new Database(sb.db, { readonly: true, fileMustExist: true });
  const slow = new Database(without, { readonly: true, fileMustExist: true });
  try {
    let withLimits = 0;
    for (const now of ['2026-03-06T05:10:00.000Z', '2026-03-07T13:59:59.999Z', '2026-03-08T02:00:00.000Z', '2026-03-09T12:34:56.000Z', '2026-03-20T00:00:00.000Z']) {
      for (const [from, to] of [[null, null], [Date.parse('2026-03-07T00:00:00Z'), Date.parse('2026-03-08T00:00:00Z')]] as const) {
        const a = blocksReport(fast, 'Europe/Paris', from, to, new Date(now));
        const b = blocksReport(slow, 'Europe/Paris', from, to, new Date(now));
        assert.deepEqual(a, b, `${now} ${from}..${to}`);
        withLimits += a.rows.filter((r) => r.five_hour_used_pct !== null && r.seven_day_used_pct !== null).length;
      }
    }
    assert.ok(withLimits > 20, `blocks with limits: ${withLimits}`);
  } finally {
    fast.close();
    slow.close();
  }
});
