// Budgets: the config file (checked entry by entry), the status line's colours and marks at 79 %,
// 80 % and 101 %, `status` needing attention past a budget, `report` showing the budget beside
// each period, and an invalid file: a clear error for the CLI, never a failed status line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InvalidConfigError, loadUserConfig, parseUserConfig, resolveConfigFile } from '../src/shared/user-config.ts';
import { CLI, type Sandbox, sandbox } from './helpers.ts';
import { buildFixtureDb, recentCallsMs } from './support/fixture-db.ts';
import { afternoonZone, cleanEnv, plain, runStatusline, snapshot } from './support/statusline-run.ts';

const KNOWN = 'f332c3dd-cf19-4fa4-8049-adee686fb5cd';
/** The three fixture sessions' cost, all spent today once their times are moved to now. */
const TODAY_USD = 0.0423881 + 0.08655 + 0.100293;

function recentDb(t: { after: (fn: () => void) => void }): { sb: Sandbox; env: NodeJS.ProcessEnv; config: string } {
  const sb = sandbox(t);
  buildFixtureDb(sb, recentCallsMs());
  const config = path.join(sb.dir, 'config.json');
  return { sb, config, env: cleanEnv({ TZ: afternoonZone(), CLAUDE_METRICS_CONFIG: config }) };
}

function cli(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the config file: budgets checked entry by entry, errors name the file and the entry', (t) => {
  const file = '/cfg/config.json';
  assert.deepEqual(parseUserConfig('{"budgets": {"day": 10, "week": 50, "month": 200, "block": 5}}', file), { budgets: { day: 10, week: 50, month: 200, block: 5 }, sync: {} });
  assert.deepEqual(parseUserConfig('{"budgets": {"day": 2.5, "week": null}}', file), { budgets: { day: 2.5 }, sync: {} }, 'null = no budget');
  assert.deepEqual(parseUserConfig('{}', file), { budgets: {}, sync: {} });
  assert.deepEqual(parseUserConfig(' \n', file), { budgets: {}, sync: {} });
  const cases: Array<[string, string | null, RegExp]> = [
    ['{"budgets": {"day": 10', null, /not valid JSON/],
    ['[1]', null, /the top level is not a JSON object/],
    ['{"budget": {"day": 10}}', '"budget"', /unknown key \(known: budgets, sync\)/],
    ['{"budgets": [10]}', '"budgets"', /not an object of USD amounts/],
    ['{"budgets": {"dya": 10}}', '"budgets.dya"', /unknown period \(known: day, week, month, block\)/],
    ['{"budgets": {"day": -1}}', '"budgets.day"', /must be a positive number of USD/],
    ['{"budgets": {"day": 0}}', '"budgets.day"', /must be a positive number/],
    ['{"budgets": {"week": "50"}}', '"budgets.week"', /not "50"/],
    ['{"sync": "postgresql://x/y"}', '"sync"', /not an object/],
    ['{"sync": {"postgress": "postgresql://x/y"}}', '"sync.postgress"', /unknown key \(known: postgres, machine, developer\)/],
    ['{"sync": {"developer": 7}}', '"sync.developer"', /non-empty string/],
  ];
  for (const [text, entry, why] of cases) {
    assert.throws(
      () => parseUserConfig(text, file),
      (err: unknown) => err instanceof InvalidConfigError && err.entry === entry && why.test(err.message) && err.message.startsWith(`${file}: ${entry === null ? '' : `${entry}: `}`),
      text,
    );
  }
  // Where it is: $CLAUDE_METRICS_CONFIG, else $XDG_CONFIG_HOME, else ~/.config.
  assert.equal(resolveConfigFile({ CLAUDE_METRICS_CONFIG: 'rel/c.json' }), path.resolve('rel/c.json'));
  assert.equal(resolveConfigFile({ XDG_CONFIG_HOME: '/x' }), '/x/claude-metrics/config.json');
  assert.equal(resolveConfigFile({}), path.join(os.homedir(), '.config', 'claude-metrics', 'config.json'));
  // A missing file is an empty config; a folder is not a config file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-config-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(loadUserConfig(path.join(dir, 'missing.json')), { budgets: {}, sync: {} });
  assert.throws(() => loadUserConfig(dir), /not a regular file/);
});

test('the status line colours a cost from 80 % of its budget and marks it past 100 %, with colour or without', async (t) => {
  const { sb, env, config } = recentDb(t);
  const line = async (budgets: Record<string, number>, color: string) => {
    fs.writeFileSync(config, JSON.stringify({ budgets }));
    const r = await runStatusline(JSON.stringify(snapshot(KNOWN)), ['--spool', sb.spool, '--db', sb.db, '--color', color], env);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    return r.stdout;
  };
  const day = (ratio: number) => ({ day: TODAY_USD / ratio });
  assert.ok((await line(day(0.79), 'always')).includes(' | today $0.23 | '), '79 %: as it is');
  assert.ok((await line(day(0.8005), 'always')).includes(' | today \x1b[33m$0.23\x1b[0m | '), '80 %: yellow');
  assert.ok((await line(day(1.01), 'always')).includes(' | today \x1b[1;31m$0.23!\x1b[0m | '), '101 %: red, marked');
  assert.ok((await line(day(0.8005), 'never')).includes(' | today $0.23 | '), '80 % without colour: as it is');
  assert.ok((await line(day(1.01), 'never')).includes(' | today $0.23! | '), '101 % without colour: marked');
  // The block's budget on the block's cost; a budget whose cost is not on the line is named at the end.
  const block = plain(await line({ block: TODAY_USD / 1.01, week: TODAY_USD / 0.85, month: TODAY_USD / 0.5 }, 'always'));
  assert.match(block, / \| block \$0\.23! 4h[0-5]\dm left \| .* \| week 85%\n$/);
});

test('an invalid config file: the status line prints its line with config!; status and report say which file and entry', async (t) => {
  const { sb, env, config } = recentDb(t);
  fs.writeFileSync(config, '{"budgets": {"dya": 10}}');
  const r = await runStatusline(JSON.stringify(snapshot(KNOWN)), ['--spool', sb.spool, '--db', sb.db, '--color', 'never'], env);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 \| .* \| config!\n$/);
  const debug = await runStatusline(JSON.stringify(snapshot(KNOWN)), ['--spool', sb.spool, '--db', sb.db, '--debug'], env);
  assert.ok(debug.stderr.includes(`config: ${config}: "budgets.dya": unknown period`), debug.stderr);

  const status = cli(['status', '--json', '--spool-only', '--spool', sb.spool, '--db', sb.db], env);
  assert.equal(status.code, 1);
  const json = JSON.parse(status.stdout);
  assert.ok(json.problems.includes(`the config file cannot be used: ${config}: "budgets.dya": unknown period (known: day, week, month, block)`), status.stdout);
  assert.equal(json.budgets.error, `${config}: "budgets.dya": unknown period (known: day, week, month, block)`);
  const report = cli(['report', 'daily', '--db', sb.db], env);
  assert.equal(report.code, 1);
  assert.equal(report.stdout, '');
  assert.equal(report.stderr, `claude-metrics report: invalid config file ${config}: "budgets.dya": unknown period (known: day, week, month, block)\n`);
  // Reports without a period do not read it.
  assert.equal(cli(['report', 'session', '--db', sb.db], env).code, 0);
});

test('status: a budget exceeded today needs attention (exit 1); one not exceeded is listed, healthy', (t) => {
  const { sb, env, config } = recentDb(t);
  fs.writeFileSync(config, JSON.stringify({ budgets: { day: TODAY_USD / 0.79, month: 100 } }));
  const ok = cli(['status', '--json', '--spool-only', '--spool', sb.spool, '--db', sb.db], env);
  assert.equal(ok.code, 0, ok.stdout);
  const checks = JSON.parse(ok.stdout).budgets.checks;
  assert.deepEqual(checks.map((c: { period: string; level: string; used_pct: number }) => [c.period, c.level, c.used_pct]), [['day', 'ok', 79], ['month', 'ok', 0.2]]);
  for (const [period, budgets] of [['day', { day: TODAY_USD / 1.01 }], ['week', { week: 0.2 }], ['month', { month: 0.1 }], ['block', { block: 0.05 }]] as const) {
    fs.writeFileSync(config, JSON.stringify({ budgets }));
    const over = cli(['status', '--json', '--spool-only', '--spool', sb.spool, '--db', sb.db], env);
    assert.equal(over.code, 1, period);
    const problems: string[] = JSON.parse(over.stdout).problems;
    assert.equal(problems.length, 1, over.stdout);
    assert.match(problems[0]!, new RegExp(`^${period} budget exceeded: \\$0\\.23 of \\$\\d\\.\\d\\d \\(\\d+(\\.\\d)?%\\) spent`));
    const text = cli(['status', '--spool-only', '--spool', sb.spool, '--db', sb.db], env);
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`^budgets +${period} \\$0\\.23 of .*!\\)$`, 'm'));
    assert.match(text.stdout, new RegExp(`^status: attention\\n  - ${period} budget exceeded`, 'm'));
  }
});

test('report daily, weekly, monthly, blocks: the budget beside each period, as a column and in JSON', (t) => {
  const { sb, env, config } = recentDb(t);
  const tz = ['--timezone', env.TZ!];
  const before = JSON.parse(cli(['report', 'daily', '--json', '--db', sb.db, ...tz], env).stdout);
  assert.ok(!('budget' in before), 'no budget set: the report as it was');
  fs.writeFileSync(config, JSON.stringify({ budgets: { day: 0.2, week: 10 } }));
  const daily = JSON.parse(cli(['report', 'daily', '--json', '--db', sb.db, ...tz], env).stdout);
  assert.deepEqual(daily.budget, { period: 'day', usd: 0.2 });
  assert.equal(daily.rows.length, 1);
  assert.equal(daily.rows[0].budget_used_pct, Math.round((TODAY_USD / 0.2) * 1000) / 10);
  assert.equal(daily.rows[0].budget_level, 'over');
  const weekly = JSON.parse(cli(['report', 'weekly', '--json', '--db', sb.db, ...tz], env).stdout);
  assert.deepEqual([weekly.budget, weekly.rows[0].budget_level], [{ period: 'week', usd: 10 }, 'ok']);
  assert.ok(!('budget' in JSON.parse(cli(['report', 'monthly', '--json', '--db', sb.db, ...tz], env).stdout)), 'no month budget');
  // report blocks: the block budget beside each block.
  fs.writeFileSync(config, JSON.stringify({ budgets: { block: 0.5 } }));
  const blocks = JSON.parse(cli(['report', 'blocks', '--json', '--db', sb.db, ...tz], env).stdout);
  assert.deepEqual(blocks.budget, { period: 'block', usd: 0.5 });
  assert.deepEqual([blocks.rows.length, blocks.rows[0].budget_used_pct, blocks.rows[0].budget_level], [1, Math.round((TODAY_USD / 0.5) * 1000) / 10, 'ok']);
  const blocksTable = cli(['report', 'blocks', '--db', sb.db, ...tz], env);
  assert.equal(blocksTable.code, 0, blocksTable.stderr);
  assert.match(blocksTable.stdout, /; budget \$0\.50 per block\n/);
  assert.match(blocksTable.stdout, / Budget\n/);
  assert.match(blocksTable.stdout, / 46%\n/);
  fs.writeFileSync(config, JSON.stringify({ budgets: { day: 0.2, week: 10 } }));
  const table = cli(['report', 'daily', '--db', sb.db, ...tz], env);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /; budget \$0\.20 per day\n/);
  assert.match(table.stdout, /Cost +Budget\n/);
  assert.match(table.stdout, / \$0\.23 +115%!\n/);
});
