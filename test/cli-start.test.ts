// What each command loads: `--version` and `--help` are answered by dist/cli.js alone (no
// command line, no better-sqlite3, no worker), and a report runs without the worker's chunks and,
// where Node has node:sqlite, without better-sqlite3 (no node_modules at all). Shown by running
// copies of the built files with those missing.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { ROOT, type Sandbox, sandbox } from './helpers.ts';
import { buildFixtureDb } from './support/fixture-db.ts';

const run = (cli: string, args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, COLUMNS: '' } });

test('--version and --help need nothing but dist/cli.js', (t) => {
  const sb = sandbox(t);
  const pkg = path.join(sb.dir, 'pkg');
  fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  fs.copyFileSync(path.join(ROOT, 'dist', 'cli.js'), path.join(pkg, 'dist', 'cli.js'));
  const cli = path.join(pkg, 'dist', 'cli.js');
  const version = run(cli, ['--version']);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout, `${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`);
  for (const args of [['--help'], ['-h'], ['help']]) {
    const help = run(cli, args);
    assert.equal(help.status, 0, `${args.join(' ')}: ${help.stderr}`);
    assert.match(help.stdout, /^Usage: claude-metrics <command>/);
    assert.match(help.stdout, /\n {2}report /);
  }
  const bare = run(cli, []);
  assert.equal(bare.status, 2);
  assert.match(bare.stdout, /^Usage: claude-metrics <command>/);
  // Anything else needs the command line, which is not there.
  assert.notEqual(run(cli, ['status']).status, 0);
});

test("a report loads neither the worker's chunks nor, where node:sqlite exists, better-sqlite3", (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  const want = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'report', 'daily', '--json', '--timezone', 'UTC', '--db', sb.db], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  const pkg = path.join(sb.dir, 'pkg');
  fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  const left: string[] = [];
  for (const name of fs.readdirSync(path.join(ROOT, 'dist'))) {
    if (!fs.statSync(path.join(ROOT, 'dist', name)).isFile()) continue; // dist/dashboard: the web app's files
    const text = fs.readFileSync(path.join(ROOT, 'dist', name), 'utf8');
    // The worker (its log lines), chokidar and the claimer thread stay behind.
    if (text.includes('worker starting') || text.includes('chokidar') || name === 'claimer.js') left.push(name);
    else fs.copyFileSync(path.join(ROOT, 'dist', name), path.join(pkg, 'dist', name));
  }
  assert.ok(left.some((n) => n.startsWith('worker-command-')), `the worker's chunk: ${left.join(', ')}`);
  const hasNodeSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;
  if (!hasNodeSqlite) fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  const got = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli.js'), 'report', 'daily', '--json', '--timezone', 'UTC', '--db', sb.db], { encoding: 'utf8' });
  assert.equal(got.status, 0, got.stderr);
  assert.equal(got.stderr, '');
  assert.deepEqual(JSON.parse(got.stdout), JSON.parse(want.stdout));
  // The worker itself cannot run there.
  assert.notEqual(run(path.join(pkg, 'dist', 'cli.js'), ['worker', '--drain', '--spool', path.join(sb.dir, 'spool'), '--db', sb.db]).status, 0);
});

/** A sandbox with a home of its own (0700) for the caches, and dist/cli.js run with it. */
function cacheHome(t: TestContext): { sb: Sandbox; home: string; cli: (args: string[]) => SpawnSyncReturns<string> } {
  const sb = sandbox(t);
  const home = path.join(sb.dir, 'cache-home');
  fs.mkdirSync(home, { mode: 0o700 });
  const env = { ...process.env, HOME: home, XDG_CACHE_HOME: '' };
  return { sb, home, cli: (args) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', env }) };
}

test("Node's compile cache lives in the user's own 0700 folder, and is not used where others could write to it", (t) => {
  const { sb, home, cli } = cacheHome(t);
  // A command of dist/main.js's (reports run from V8's code cache instead: the next test).
  const report = (): SpawnSyncReturns<string> => cli(['help', 'report']);
  const cache = path.join(home, '.cache', 'claude-metrics', 'compile-cache');
  const first = report();
  assert.equal(first.status, 0, String(first.stderr));
  for (const dir of [path.join(home, '.cache', 'claude-metrics'), cache]) assert.equal(fs.statSync(dir).mode & 0o777, 0o700, `${dir} is 0700`);
  const cached = (): string[] => fs.readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  assert.ok(cached().length > 0, 'the compiled code was kept there');
  // A folder others may write to (or one a symlink points elsewhere): no cache read or written.
  fs.rmSync(cache, { recursive: true });
  fs.mkdirSync(cache);
  fs.chmodSync(cache, 0o777);
  const open = report();
  assert.equal(open.status, 0, String(open.stderr));
  assert.deepEqual(cached(), [], 'nothing written to a world-writable folder');
  fs.rmSync(cache, { recursive: true });
  const elsewhere = path.join(sb.dir, 'elsewhere');
  fs.mkdirSync(elsewhere, { mode: 0o700 });
  fs.symlinkSync(elsewhere, cache);
  assert.equal(report().status, 0);
  assert.deepEqual(fs.readdirSync(elsewhere), [], 'a symlinked cache folder is not followed');
});

test("a report runs from V8's code cache, one per kind, kept 0600 in the user's own 0700 folder: written by a first run, used after, rewritten when damaged, never where others could write", (t) => {
  const { sb, home, cli } = cacheHome(t);
  buildFixtureDb(sb);
  const report = (kind: string): SpawnSyncReturns<string> => cli(['report', kind, '--db', sb.db, '--json', '--timezone', 'UTC']);
  const dir = path.join(home, '.cache', 'claude-metrics', 'code-cache');
  const fileOf = (kind: string): string => {
    const names = fs.readdirSync(dir).filter((n) => n.startsWith(`report-${kind}-${process.version}-${process.arch}-`));
    assert.equal(names.length, 1, names.join(', '));
    return path.join(dir, names[0]!);
  };
  const first = report('daily');
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stderr, '');
  const file = fileOf('daily');
  assert.match(path.basename(file), /^report-daily-v[\d.]+-\w+-[0-9a-f]{16}\.bin$/);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  const written = fs.readFileSync(file);
  // Used, not rewritten, by the next run; the same answer.
  const second = report('daily');
  assert.equal(second.stdout, first.stdout);
  assert.deepEqual(fs.readFileSync(file), written);
  // Each kind has its own; a mistyped one shares 'other'.
  assert.equal(report('session').status, 0);
  fileOf('session');
  assert.equal(report('dialy').status, 2);
  fileOf('other');
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('report-dialy')), []);
  // Damaged: refused by V8, the same answer, and written again.
  fs.writeFileSync(file, Buffer.alloc(2048, 5));
  const third = report('daily');
  assert.equal(third.status, 0, third.stderr);
  assert.equal(third.stdout, first.stdout);
  assert.notDeepEqual(fs.readFileSync(file), Buffer.alloc(2048, 5));
  // A folder others may write to: the planted file is neither run nor replaced.
  fs.writeFileSync(file, Buffer.alloc(2048, 6));
  fs.chmodSync(dir, 0o777);
  const open = report('daily');
  assert.equal(open.stdout, first.stdout);
  assert.deepEqual(fs.readFileSync(file), Buffer.alloc(2048, 6));
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('report-monthly')), []);
  assert.equal(report('monthly').status, 0);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('report-monthly')), [], 'nothing written to a world-writable folder');
});
