// Every command of ours as a process on the Node running this suite (npm test runs it on Node 22
// and on Node 24): a healthy run exits 0 with the output it promises, nothing on stderr that was
// not meant, no abort (better-sqlite3 12 aborted at teardown on Node 24 with exit 134), and piped
// output arrives whole. Each command's --help exits 0.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, FIXTURES, HOOK, ROOT, type Sandbox, runHook, sandbox, spoolFiles, waitUntil } from './helpers.ts';
import { EXPECTED } from './support/fixture-db.ts';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 0, no signal, nothing on stderr. */
function assertClean(r: Run, what: string): void {
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}\n${r.stderr}`);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stderr, '', `${what}: stderr`);
}

/** A Claude Code home with the recorded fixture sessions, payloads' paths rewritten to it. */
function fixtureHome(sb: Sandbox): { claude: string; payloads: string[] } {
  const claude = path.join(sb.dir, 'home', '.claude');
  fs.cpSync(path.join(FIXTURES, 'projects'), path.join(claude, 'projects'), { recursive: true });
  const dir = path.join(FIXTURES, 'payloads');
  const payloads = fs
    .readdirSync(dir)
    .sort()
    .map((n) => fs.readFileSync(path.join(dir, n), 'utf8').replaceAll('/home/user/.claude', claude));
  return { claude, payloads };
}

test(`every command, run as a user would on Node ${process.version}, exits 0 with its output`, async (t) => {
  const sb = sandbox(t);
  const { claude, payloads } = fixtureHome(sb);
  const env = { CLAUDE_CONFIG_DIR: claude, CLAUDE_METRICS_SPOOL: sb.spool, CLAUDE_METRICS_DB: sb.db, COLUMNS: '120' };
  const sessions = Object.keys(EXPECTED).length;

  // install: the hook in settings.json, run on this Node.
  const install = cli(['install'], env);
  assertClean(install, 'install');
  const settings = JSON.parse(fs.readFileSync(path.join(claude, 'settings.json'), 'utf8'));
  assert.equal(settings.hooks.Stop[0].hooks[0].command, `${process.execPath} ${HOOK} --spool ${sb.spool}`);

  // The hook, as Claude Code runs it: the command from settings.json through /bin/sh.
  for (const body of payloads) {
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', settings.hooks.Stop[0].hooks[0].command], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      child.stdin.end(body);
    });
    assertClean(r, 'hook');
    assert.equal(r.stdout, '{}\n');
  }
  assert.equal(spoolFiles(sb, 'incoming').length, payloads.length);

  // worker --drain
  const drained = cli(['worker', '--drain'], env);
  assert.equal(drained.code, 0, drained.stderr);
  assert.match(drained.stdout, new RegExp(`^drained: applied ${payloads.length}, dead-lettered 0, retried 0 `));
  assert.doesNotMatch(drained.stderr, /\b(warn|error)\b/);

  // import (and its drain): the same sessions again, recomputed, not added.
  const imported = cli(['import', '--drain'], env);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, new RegExp(`^import: ${sessions} sessions found in .*, ${sessions} spooled\ndrained: applied ${sessions}, dead-lettered 0`));
  const importJson = cli(['import', '--json'], env);
  assertClean(importJson, 'import --json');
  assert.deepEqual(Object.keys(JSON.parse(importJson.stdout)), ['claude_dir', 'spool', 'sessions_found', 'spooled', 'seconds']);
  assert.equal(cli(['worker', '--drain'], env).code, 0);

  // report: every kind, table and JSON, piped whole.
  for (const kind of ['daily', 'weekly', 'monthly', 'session', 'model', 'project']) {
    const table = cli(['report', kind], env);
    assertClean(table, `report ${kind}`);
    assert.ok(table.stdout.endsWith('\n') && table.stdout.split('\n').length > 3, `report ${kind} printed a table:\n${table.stdout}`);
    const json = cli(['report', kind, '--json'], env);
    assertClean(json, `report ${kind} --json`);
    assert.doesNotThrow(() => JSON.parse(json.stdout), `report ${kind} --json is one JSON document`);
  }
  const bySession = JSON.parse(cli(['report', 'session', '--json'], env).stdout) as { rows: Array<{ session_id: string; cost_usd: number }> };
  assert.deepEqual(bySession.rows.map((r) => r.session_id).sort(), Object.keys(EXPECTED).sort());

  // status (with a watching worker: healthy), then the worker stopped by SIGTERM exits 0.
  const worker = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let workerErr = '';
  worker.stderr!.on('data', (d: Buffer) => (workerErr += d.toString()));
  const workerExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => worker.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => worker.kill('SIGKILL'));
  await waitUntil(() => workerErr.includes('worker ready'), 20_000, () => `the worker: ${workerErr}`);
  const status = cli(['status'], env);
  assertClean(status, 'status');
  assert.match(status.stdout, /^status: ok$/m);
  const statusJson = JSON.parse(cli(['status', '--json'], env).stdout) as { ok: boolean; database: { sessions: number } };
  assert.equal(statusJson.ok, true);
  assert.equal(statusJson.database.sessions, sessions);
  // A payload while it watches: applied, then SIGTERM.
  assertClean(await runHook(payloads[payloads.length - 1]!, ['--spool', sb.spool]), 'hook beside a watching worker');
  await waitUntil(() => spoolFiles(sb, 'incoming').length === 0 && spoolFiles(sb, 'processing').length === 0, 20_000, () => 'the watcher to apply it');
  worker.kill('SIGTERM');
  assert.deepEqual(await workerExit, { code: 0, signal: null }, workerErr);
  assert.match(workerErr, /worker stopped/);

  // dead: a bad payload through the hook, list, show, retry (still bad), purge.
  assertClean(await runHook('not json', ['--spool', sb.spool]), 'hook with garbage');
  assert.match(cli(['worker', '--drain'], env).stdout, /dead-lettered 1/);
  const list = cli(['dead', 'list', '--json'], env);
  assertClean(list, 'dead list');
  const [letter] = JSON.parse(list.stdout) as Array<{ id: string; reason: string }>;
  assert.match(letter!.reason, /^not JSON/);
  const show = cli(['dead', 'show', letter!.id], env);
  assertClean(show, 'dead show');
  assert.match(show.stdout, /not JSON/);
  assertClean(cli(['dead', 'retry', letter!.id], env), 'dead retry');
  assert.match(cli(['worker', '--drain'], env).stdout, /dead-lettered 1/);
  assertClean(cli(['dead', 'purge', '--all'], env), 'dead purge');
  assert.deepEqual(spoolFiles(sb, 'dead'), []);

  // uninstall: settings as before install.
  assertClean(cli(['uninstall'], env), 'uninstall');
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(claude, 'settings.json'), 'utf8')), {});

  // --version and every --help.
  const version = cli(['--version']);
  assertClean(version, '--version');
  assert.equal(version.stdout, `${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`);
  for (const command of ['worker', 'import', 'install', 'uninstall', 'status', 'dead', 'report']) {
    const help = cli([command, '--help']);
    assertClean(help, `${command} --help`);
    assert.match(help.stdout, new RegExp(`^Usage: claude-metrics ${command}`));
  }
  const hookHelp = spawnSync(process.execPath, [HOOK, '--help'], { encoding: 'utf8' });
  assert.equal(hookHelp.status, 0);
  assert.match(hookHelp.stdout, /^Usage: claude-metrics-hook/);
});

test('a mistyped option, on every command: one line naming it and the nearest option, exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['report', 'daily', '--sinse', '2026-01-01'], /^claude-metrics report: unknown option --sinse \(did you mean --since\?\)\n/],
    [['worker', '--drian'], /^claude-metrics worker: unknown option --drian \(did you mean --drain\?\)\n/],
    [['import', '--clade-dir', 'x'], /^claude-metrics import: unknown option --clade-dir \(did you mean --claude-dir\?\)\n/],
    [['install', '--dryrun'], /^claude-metrics install: unknown option --dryrun \(did you mean --dry-run\?\)\n/],
    [['uninstall', '--setings', 'x'], /^claude-metrics uninstall: unknown option --setings \(did you mean --settings\?\)\n/],
    [['status', '--jsno'], /^claude-metrics status: unknown option --jsno \(did you mean --json\?\)\n/],
    [['dead', 'list', '--spoll', 'x'], /^claude-metrics dead list: unknown option --spoll \(did you mean --spool\?\)\n/],
    [['report', 'daily', '--zzzzzz'], /^claude-metrics report: unknown option --zzzzzz\n/],
    [['reprot'], /^claude-metrics: unknown command "reprot" \(did you mean report\?\)\n/],
    [['report', 'daily', '--db'], /^claude-metrics report: --db needs a value\n/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /\nRun 'claude-metrics( [a-z]+)* --help' for usage\.\n$/);
    assert.doesNotMatch(r.stderr, /To specify a positional argument/, 'not node:util\'s raw text');
    assert.equal(r.stdout, '');
  }
});

test('import --drain beside a watching worker says what it found and that the worker applied it', async (t) => {
  const sb = sandbox(t);
  const { claude } = fixtureHome(sb);
  const env = { CLAUDE_CONFIG_DIR: claude, CLAUDE_METRICS_SPOOL: sb.spool, CLAUDE_METRICS_DB: sb.db };
  const worker = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let workerErr = '';
  worker.stderr!.on('data', (d: Buffer) => (workerErr += d.toString()));
  const exited = new Promise((resolve) => worker.on('exit', resolve));
  t.after(() => worker.kill('SIGKILL'));
  await waitUntil(() => workerErr.includes('worker ready'), 20_000, () => workerErr);
  const r = cli(['import', '--drain'], env);
  assert.equal(r.code, 0, r.stderr);
  const n = Object.keys(EXPECTED).length;
  assert.match(r.stdout, new RegExp(`^import: ${n} sessions found in .*projects, ${n} spooled; the watching worker \\(pid ${worker.pid}\\) applies them\nimported: the watching worker applied ${n}, dead-lettered 0 \\(`));
  assert.doesNotMatch(r.stdout, /drained: applied 0/);
  worker.kill('SIGTERM');
  await exited;
});
