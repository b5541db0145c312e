// `claude-metrics report` tables as a terminal shows them: every kind at COLUMNS=80 and 120 fits
// (no line wider), model names without 'claude-', project paths keeping their last folders and
// told apart; JSON dollar figures rounded to 6 decimals; the title naming the first and last days
// with data. The built CLI on a database the real worker created, rows written as any writer would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CLI, type Sandbox, sandbox } from './helpers.ts';
import { buildEmptyDb } from './support/fixture-db.ts';

const HOME = '/home/someone-with-a-rather-long-name/work/clients';
const PROJECTS = [
  `${HOME}/acme-corporation/shop-api`,
  `${HOME}/acme-corporation/shop-web`,
  `${HOME}/globex/billing-service-with-a-long-name`,
  `${HOME}/alpha/api`,
  '/home/someone-with-a-rather-long-name/play/beta/api',
];
const MODELS = ['claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-4-5', 'claude-sonnet-4-5-20250929'];
/** A cost as sums of floats print it: the JSON must show 0.229231. */
const NOISY_COST = 0.22923110000000002;

/** Sessions in five projects over five days, each with calls of several models; a status line sample with limits. */
function buildDb(sb: Sandbox): void {
  buildEmptyDb(sb);
  const db = new Database(sb.db);
  try {
    db.pragma('foreign_keys = OFF'); // each session row is written after its calls, with their totals
    const addSession = db.prepare(`INSERT INTO sessions (session_id, start_time, end_time, cwd, total_cost_usd, api_calls, tool_calls, commits,
      lines_added, lines_removed, input_tokens, output_tokens, cost_source, reported_cost_usd, reported_source) VALUES (?, ?, ?, ?, ?, ?, 12, 1, 340, 25, ?, ?, 'transcript', ?, ?)`);
    const addCall = db.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, call_key)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    let n = 0;
    for (let s = 0; s < 10; s++) {
      const start = Date.parse('2026-03-01T08:00:00Z') + Math.floor(s / 2) * 86_400_000 + (s % 2) * 5 * 3_600_000;
      let cost = 0;
      for (let c = 0; c < 12; c++) {
        const model = MODELS[(s + c) % MODELS.length]!;
        const callCost = 0.0123 * (c + 1);
        cost += callCost;
        addCall.run(`s${s}`, new Date(start + c * 600_000).toISOString(), model, 123_456 + c, 7_890, 45_678, 1_234_567, callCost, `k${n++}`);
      }
      addSession.run(`s${s}`, new Date(start).toISOString(), new Date(start + 7_200_000).toISOString(), PROJECTS[s % PROJECTS.length], cost, 12,
        123_456, 7_890, s === 3 ? cost + 0.5 : null, s === 3 ? 'statusline' : null);
    }
    // A day of its own whose only call costs what float sums print as 0.22923110000000002.
    addSession.run('noisy', '2026-03-07T12:00:00.000Z', '2026-03-07T12:10:00.000Z', PROJECTS[0], NOISY_COST, 1, 1, 1, null, null);
    addCall.run('noisy', '2026-03-07T12:00:00.000Z', 'claude-sonnet-4-5', 1, 1, 0, 0, NOISY_COST, 'noisy');
    db.prepare(`INSERT INTO statusline_samples (session_id, sampled_at, payload_id, five_hour_used_pct, five_hour_resets_at, seven_day_used_pct)
      VALUES ('s9', '2026-03-05T14:30:00.000Z', 'p1-statusline', 42.5, '2026-03-05T18:00:00.000Z', 12)`).run();
  } finally {
    db.close();
  }
}

function report(sb: Sandbox, args: string[], columns?: number): string {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC' };
  if (columns === undefined) delete env.COLUMNS;
  else env.COLUMNS = String(columns);
  const r = spawnSync(process.execPath, [CLI, 'report', ...args, '--db', sb.db, '--now', '2026-03-07T12:30:00Z'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const width = (line: string): number => [...line].length;
/** The first cell of each data row of a table (up to the first run of two spaces), rules and totals aside. */
function firstCells(out: string): string[] {
  const lines = out.split('\n');
  const rule = lines.findIndex((l) => l.startsWith('─'));
  const end = lines.findIndex((l, i) => i > rule && l.startsWith('─'));
  return lines.slice(rule + 1, end).filter((l) => !l.startsWith(' ')).map((l) => l.split(/ {2,}/)[0]!);
}

test('every report fits 80 and 120 columns: columns of least value dropped first, text shortened from the side that does not tell rows apart', (t) => {
  const sb = sandbox(t);
  buildDb(sb);
  for (const columns of [80, 120]) {
    for (const kind of ['daily', 'weekly', 'monthly', 'session', 'model', 'project', 'blocks']) {
      for (const extra of kind === 'model' || kind === 'blocks' ? [[]] : [[], ['--breakdown']]) {
        const out = report(sb, [kind, ...extra], columns);
        const what = `${kind} ${extra.join(' ')} at ${columns}`;
        for (const line of out.split('\n')) assert.ok(width(line) <= columns, `${what}: ${width(line)} columns: ${line}`);
        assert.doesNotMatch(out, /claude-(?!metrics)/, `${what}: model ids keep their prefix:\n${out}`);
        assert.match(out, /Total/, what);
        assert.match(out, /\$\d+\.\d\d/, `${what}: no cost column`);
      }
    }
    // Models: the rows tell the models apart without 'claude-'.
    assert.deepEqual(firstCells(report(sb, ['model'], columns)).map((m) => m.replace(/…$/, '')).sort(), ['haiku-4-5', 'opus-4-5', 'sonnet-4-5', 'sonnet-4-5-20250929'].sort());
    // Projects: each keeps its last folders, all told apart (two end in /api).
    for (const kind of ['project', 'session']) {
      const out = report(sb, [kind], columns);
      const shown = kind === 'project' ? firstCells(out) : out.split('\n').filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d {2}/.test(l)).map((l) => l.slice(18).split(/ {2,}/)[0]!);
      for (const p of shown) {
        const full = PROJECTS.filter((q) => (p.startsWith('…') ? q.endsWith(p.slice(1).replace(/^.*…/, '')) : q === p));
        assert.ok(full.length >= 1, `${kind} at ${columns}: ${p} is no project's end`);
        assert.ok(p.startsWith('…/') || p === full[0], `${kind} at ${columns}: ${p} cut inside a folder name`);
      }
      assert.equal(new Set(shown).size, kind === 'project' ? PROJECTS.length : new Set(shown).size);
      if (kind === 'project') assert.equal(shown.length, PROJECTS.length);
      for (const end of ['shop-api', 'shop-web', 'alpha/api', 'beta/api']) assert.ok(shown.some((p) => p.endsWith(end)), `${kind} at ${columns}: no row ends with ${end}: ${shown.join(' | ')}`);
    }
  }
  // At 80 columns the token breakdown goes before any name is cut; at 120 more of it stays.
  const daily80 = report(sb, ['daily'], 80);
  const daily120 = report(sb, ['daily'], 120);
  assert.doesNotMatch(daily80.split('\n')[2]!, /Cache write/);
  assert.match(daily80.split('\n')[2]!, /Models .*Total tokens +Cost/);
  assert.match(daily120.split('\n')[2]!, /Sessions +Calls +Output +Total tokens +Cost/);
  // Piped without COLUMNS: nothing is cut or dropped.
  const wide = report(sb, ['project']);
  for (const p of PROJECTS) assert.ok(wide.includes(p), p);
  assert.match(wide, /Cache write/);
});

test('JSON dollar figures are rounded to 6 decimals', (t) => {
  const sb = sandbox(t);
  buildDb(sb);
  for (const kind of ['daily', 'weekly', 'monthly', 'session', 'model', 'project', 'blocks']) {
    const out = report(sb, [kind, '--json']);
    assert.doesNotMatch(out, /_usd[a-z_]*": ?-?\d+\.\d{7,}/, `${kind}: a dollar figure with more than 6 decimals`);
    assert.ok(JSON.parse(out).rows.length > 0, kind);
  }
  const daily = JSON.parse(report(sb, ['daily', '--json'])) as { rows: Array<{ date: string; cost_usd: number }> };
  assert.equal(daily.rows.find((r) => r.date === '2026-03-07')!.cost_usd, 0.229231);
  assert.match(report(sb, ['daily', '--json']), /"cost_usd": ?0\.229231,/);
});

test('--json into a pipe is compact: one line, no indentation', (t) => {
  const sb = sandbox(t);
  buildDb(sb);
  for (const kind of ['daily', 'session', 'blocks']) {
    const out = report(sb, [kind, '--json']);
    assert.ok(out.endsWith('}\n') && !out.slice(0, -1).includes('\n'), `${kind}: more than one line`);
    assert.ok(JSON.parse(out).rows.length > 0, kind);
  }
});

test('--json on a terminal is indented (run under script(1), which gives it a pseudo-terminal)', (t) => {
  if (spawnSync('script', ['--version'], { encoding: 'utf8' }).status !== 0) return t.skip('no script(1) here');
  const sb = sandbox(t);
  buildDb(sb);
  const command = [process.execPath, CLI, 'report', 'daily', '--json', '--db', sb.db].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\{\r?\n  "report": "daily",\r?\n/);
});

test('the title names the first and last days with data when no range is given', (t) => {
  const sb = sandbox(t);
  buildDb(sb);
  const title = (args: string[]): string => report(sb, args).split('\n')[0]!;
  for (const kind of ['daily', 'weekly', 'monthly', 'model', 'project', 'session']) {
    assert.match(title([kind]), /, 2026-03-01 … 2026-03-07 \(UTC/, kind);
    assert.doesNotMatch(report(sb, [kind]), /first … last/, kind);
  }
  assert.match(title(['blocks']), /, 2026-03-01 … 2026-03-07 \(UTC/);
  assert.match(title(['daily', '--since', '2026-03-02']), /, 2026-03-02 … 2026-03-07 \(UTC/);
  assert.match(title(['daily', '--until', '2026-03-03']), /, 2026-03-01 … 2026-03-03 \(UTC/);
  assert.match(title(['daily', '--since', '2026-02-01', '--until', '2026-02-02']), /, 2026-02-01 … 2026-02-02 \(UTC/);
  const json = JSON.parse(report(sb, ['model', '--json'])) as { first_day: string; last_day: string };
  assert.deepEqual([json.first_day, json.last_day], ['2026-03-01', '2026-03-07']);
});
