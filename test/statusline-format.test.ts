// The status line's look, as a process: every --format field, groups and text around fields,
// colours (terminal-capable runs, NO_COLOR, --color) and fitting COLUMNS without ever wrapping.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { FIELDS } from '../src/statusline/fields.ts';
import { type Sandbox, sandbox } from './helpers.ts';
import { buildFixtureDb, recentCallsMs } from './support/fixture-db.ts';
import { STATUSLINE, afternoonZone, cleanEnv, plain, rateLimits, runStatusline, snapshot } from './support/statusline-run.ts';
import { spawnSync } from 'node:child_process';

const KNOWN = 'f332c3dd-cf19-4fa4-8049-adee686fb5cd';
const ESC = '\x1b[';

function recentDb(t: { after: (fn: () => void) => void }): { sb: Sandbox; env: NodeJS.ProcessEnv } {
  const sb = sandbox(t);
  buildFixtureDb(sb, recentCallsMs());
  return { sb, env: cleanEnv({ TZ: afternoonZone(), CLAUDE_METRICS_CONFIG: path.join(sb.dir, 'config.json') }) };
}

function withLimits(sessionId: string): string {
  const now = Date.now();
  return JSON.stringify(snapshot(sessionId, rateLimits(42, now + 2 * 3_600_000, 12, now + 3 * 86_400_000)));
}

test('--format: every field, by name', async (t) => {
  const { sb, env } = recentDb(t);
  const names = Object.keys(FIELDS).filter((n) => n !== 'budget_alerts' && n !== 'problems');
  const r = await runStatusline(withLimits(KNOWN), ['--spool', sb.spool, '--db', sb.db, '--color', 'never', '--format', names.map((n) => `${n}={${n}}`).join(';')], env);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  const got = Object.fromEntries(r.stdout.trimEnd().split(';').map((kv) => kv.split('=') as [string, string]));
  assert.deepEqual(Object.keys(got), names, r.stdout);
  const hhmm = /^\d\d:\d\d$/;
  const expected: Record<string, string | RegExp> = {
    model: 'Sonnet 4.5',
    session_cost: '$0.10',
    today_cost: '$0.23',
    week_cost: '$0.23',
    month_cost: '$0.23',
    block_cost: '$0.23',
    block_left: /^4h[0-5]\dm$/,
    burn_rate: /^\$\d+\.\d\d\/h$/,
    projected_cost: /^\$\d+\.\d\d$/,
    five_hour_pct: '42%',
    five_hour_resets: hhmm,
    seven_day_pct: '12%',
    seven_day_resets: /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \d\d:\d\d$/,
    context_pct: '10%',
    lines: '+12/-3',
    lines_added: '12',
    lines_removed: '3',
    dir: 'p',
    version: '2.1.332',
  };
  assert.deepEqual(Object.keys(expected).sort(), [...names].sort(), 'every field is checked here');
  for (const [name, want] of Object.entries(expected)) {
    if (typeof want === 'string') assert.equal(got[name], want, name);
    else assert.match(got[name]!, want, name);
  }
  // The help lists every field.
  const help = spawnSync(process.execPath, [STATUSLINE, '--help'], { encoding: 'utf8', env });
  assert.equal(help.status, 0);
  for (const name of Object.keys(FIELDS)) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'), name);
});

test('--format: text before a field goes with it, groups show only with all their fields, unknown fields are named', async (t) => {
  const sb = sandbox(t);
  const env = cleanEnv({ CLAUDE_METRICS_CONFIG: path.join(sb.dir, 'none.json') });
  const run = (format: string, payload = JSON.stringify(snapshot('s'))) => runStatusline(payload, ['--spool', sb.spool, '--db', sb.db, '--color', 'never', '--format', format], env);
  // No database: no today_cost, so ' today ' goes with it; the 5h group needs rate_limits.
  assert.equal((await run('{model} today {today_cost} ctx {context_pct}[ (5h {five_hour_pct})] end')).stdout, 'Sonnet 4.5 ctx 10% end\n');
  assert.equal((await run('{model}[ (5h {five_hour_pct})]', withLimits('s'))).stdout, 'Sonnet 4.5 (5h 42%)\n');
  // A group of two fields shows only when both have a value.
  assert.equal((await run('[{model} {today_cost}]|{lines}')).stdout, '+12/-3\n', 'and the line does not start with the separator');
  // Escapes, and an unknown field left visible with the problems field saying format!.
  const odd = await run('\\[{model}\\] {nope} {problems}');
  assert.equal(odd.stdout, '[Sonnet 4.5] {nope?} format!\n');
  assert.equal(odd.stderr, '');
  // Without problems the field is empty; an unknown option is one, and does not stop the line.
  assert.equal((await run('{model} {problems}')).stdout, 'Sonnet 4.5\n');
  const unknownOption = await runStatusline(JSON.stringify(snapshot('s')), ['--db', sb.db, '--spool', sb.spool, '--colour', 'x', '--format', '{model} {problems}'], env);
  assert.equal(unknownOption.code, 0);
  assert.equal(unknownOption.stdout, 'Sonnet 4.5 args!\n');
  assert.equal(unknownOption.stderr, '');
});

test('colours: on a terminal-capable run (TERM set, not dumb), never with NO_COLOR; --color always/never', async (t) => {
  const sb = sandbox(t);
  const base = cleanEnv({ CLAUDE_METRICS_CONFIG: path.join(sb.dir, 'none.json') });
  const run = async (env: NodeJS.ProcessEnv, extra: string[] = []) => {
    const r = await runStatusline(JSON.stringify(snapshot('s')), ['--spool', sb.spool, '--db', sb.db, ...extra], { ...base, ...env });
    assert.equal(r.code, 0);
    return r.stdout;
  };
  const coloured = await run({ TERM: 'xterm-256color' });
  assert.ok(coloured.includes(`${ESC}36mSonnet 4.5${ESC}0m`), JSON.stringify(coloured));
  assert.equal(plain(coloured), 'Sonnet 4.5 | session ~$0.50 | ctx 10% | +12/-3\n');
  assert.ok(!(await run({})).includes(ESC), 'stdout a pipe and no TERM: no colour');
  assert.ok(!(await run({ TERM: 'dumb' })).includes(ESC), 'TERM=dumb');
  assert.ok(!(await run({ TERM: 'xterm-256color', NO_COLOR: '1' })).includes(ESC), 'NO_COLOR');
  assert.ok((await run({ TERM: 'xterm-256color', NO_COLOR: '' })).includes(ESC), 'an empty NO_COLOR is not set');
  assert.ok(!(await run({ TERM: 'xterm-256color' }, ['--color', 'never'])).includes(ESC), '--color never');
  assert.ok((await run({}, ['--color', 'always'])).includes(ESC), '--color always');
  assert.ok((await run({ NO_COLOR: '1' }, ['--color=always'])).includes(ESC), 'asking for colours on the command line wins over NO_COLOR (no-color.org)');
});

test('COLUMNS: fields of least value go first, the line never wraps', async (t) => {
  const { sb, env } = recentDb(t);
  const line = async (columns?: number, color = 'never') => {
    const r = await runStatusline(withLimits(KNOWN), ['--spool', sb.spool, '--db', sb.db, '--color', color], columns === undefined ? env : { ...env, COLUMNS: String(columns) });
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.endsWith('\n') && r.stdout.indexOf('\n') === r.stdout.length - 1, 'one line');
    return r.stdout.slice(0, -1);
  };
  const full = await line();
  assert.match(full, /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 \| block \$0\.23 4h[0-5]\dm left \| 5h 42% resets \d\d:\d\d \| 7d 12% \| ctx 10% \| \+12\/-3$/);
  assert.ok(full.length > 100);
  // 90: lines (+/-), then the reset time, then 7d go; 80: ctx too.
  assert.match(await line(90), /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 \| block \$0\.23 4h[0-5]\dm left \| 5h 42% \| ctx 10%$/);
  assert.match(await line(80), /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 \| block \$0\.23 4h[0-5]\dm left \| 5h 42%$/);
  // 40: then the model and the block: the session, the day and the official limit stay.
  assert.equal(await line(40), 'session $0.10 | today $0.23 | 5h 42%');
  // Colours do not count in the width.
  assert.equal(plain(await line(40, 'always')), 'session $0.10 | today $0.23 | 5h 42%');
  // Narrower than the best field: cut, never wrapped.
  assert.equal(await line(8), 'session…');
});
