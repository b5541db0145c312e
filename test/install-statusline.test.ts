// `claude-metrics install --statusline` / `uninstall` as processes on real settings files: our
// statusLine set once (absolute paths, padding 0), another tool's never replaced silently (refused
// untouched; --force saves it and uninstall puts it back exactly), our older entry replaced; the
// installed command really prints a line and spools; `status` says whose statusLine it is.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI } from './helpers.ts';
import { STATUSLINE, snapshot } from './support/statusline-run.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-install-sl-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The CLI with a clean environment: HOME and the rest chosen by the test. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(CLAUDE_|XDG_CONFIG_HOME$)/.test(k)) base[k] = v;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: os.tmpdir(), env: { ...base, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const OURS = { type: 'command', command: `${process.execPath} ${STATUSLINE}`, padding: 0 };
const FOREIGN = { type: 'command', command: 'bunx ccstatusline@latest', padding: 1, refreshInterval: 3 };

function read(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function backups(file: string): string[] {
  return fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(`${path.basename(file)}.bak-`));
}

test('install --statusline into a fresh settings file: our entry, once; the command prints a line and spools; uninstall removes it', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  const first = cli(['install', '--settings', file, '--statusline']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /\+ statusLine +\S+node\S* \S+dist\/statusline\.cjs\n/);
  const installed = read(file);
  assert.deepEqual(installed.statusLine, OURS);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);

  const bytes = fs.readFileSync(file);
  const again = cli(['install', '--settings', file, '--statusline']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /the hook and the status line already installed .*nothing changed/);
  assert.deepEqual(fs.readFileSync(file), bytes, 'a second install changes nothing');
  assert.equal(backups(file).length, 0);

  // Claude Code runs it through a shell, from anywhere, with the snapshot on stdin.
  const spool = path.join(dir, 'spool');
  const withSpool = cli(['install', '--settings', file, '--statusline', '--spool', spool, '--db', path.join(dir, 'm.db')]);
  assert.equal(withSpool.code, 0, withSpool.stderr);
  const entry = read(file).statusLine as { command: string };
  assert.equal(entry.command, `${process.execPath} ${STATUSLINE} --spool ${spool} --db ${path.join(dir, 'm.db')}`);
  const run = spawnSync('/bin/sh', ['-c', entry.command], { cwd: dir, env: { PATH: '' }, input: JSON.stringify(snapshot('installed')), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'Sonnet 4.5 | session ~$0.50 | ctx 10% | +12/-3\n');
  assert.equal(fs.readdirSync(path.join(spool, 'incoming')).length, 1);

  const removed = cli(['uninstall', '--settings', file]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(read(file), {}, 'nothing of ours left');
});

test("another tool's statusLine: refused untouched; --force saves it and uninstall puts it back exactly", (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  const original = { model: 'opus', statusLine: FOREIGN, hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }] } };
  const text = `${JSON.stringify(original, null, 4)}\n`;
  fs.writeFileSync(file, text);
  const mtime = fs.statSync(file).mtimeMs;

  const refused = cli(['install', '--settings', file, '--statusline']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /already has another tool's statusLine \(bunx ccstatusline@latest\); left untouched/);
  assert.match(refused.stderr, /--force/);
  assert.equal(fs.readFileSync(file, 'utf8'), text, 'not a byte changed (not even our hooks)');
  assert.equal(fs.statSync(file).mtimeMs, mtime);
  assert.equal(backups(file).length, 0);
  assert.equal(cli(['install', '--settings', file, '--statusline', '--dry-run']).code, 1, 'a dry run says the same');

  const forced = cli(['install', '--settings', file, '--statusline', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /- statusLine +bunx ccstatusline@latest\n/);
  const saved = `${file}.claude-metrics-saved-statusline.json`;
  assert.deepEqual(read(saved).statusLine, FOREIGN);
  assert.equal(fs.statSync(saved).mode & 0o777, 0o600);
  assert.deepEqual(read(file).statusLine, OURS);
  assert.equal(fs.readFileSync(path.join(dir, backups(file)[0]!), 'utf8'), text, 'the backup is the file as it was');
  // Forcing again over our own entry changes nothing and keeps the saved entry.
  assert.match(cli(['install', '--settings', file, '--statusline', '--force']).stdout, /nothing changed/);
  assert.deepEqual(read(saved).statusLine, FOREIGN);

  const removed = cli(['uninstall', '--settings', file]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /\+ statusLine +bunx ccstatusline@latest \(put back from /);
  assert.deepEqual(read(file), original, 'uninstall puts back exactly what was there');
  assert.ok(!fs.existsSync(saved), 'the saved copy goes once it is back');
  assert.match(cli(['uninstall', '--settings', file]).stdout, /nothing changed/);
  assert.equal(cli(['install', '--settings', file, '--force']).code, 2, '--force goes with --statusline');
});

test('an older statusLine of ours (the package moved, or the bin by name) is replaced, keeping keys the user added', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  for (const command of ["/old/nvm/v22/bin/node '/home/me/src/claude-metrics/dist/statusline.cjs' --spool /s", 'claude-metrics-statusline --color never', 'claude-metrics statusline']) {
    fs.writeFileSync(file, JSON.stringify({ statusLine: { type: 'command', command, padding: 0, refreshInterval: 5 } }));
    const r = cli(['install', '--settings', file, '--statusline']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(read(file).statusLine, { ...OURS, refreshInterval: 5 }, command);
  }
  // A command merely containing our name is someone else's.
  fs.writeFileSync(file, JSON.stringify({ statusLine: { type: 'command', command: 'my-claude-metrics-statusline-wrapper' } }));
  assert.equal(cli(['install', '--settings', file, '--statusline']).code, 1);
  // Installing without --statusline never touches a statusLine, ours or not.
  fs.writeFileSync(file, JSON.stringify({ statusLine: OURS }));
  assert.equal(cli(['install', '--settings', file]).code, 0);
  assert.deepEqual(read(file).statusLine, OURS);
  assert.ok(read(file).hooks, 'the hook is installed');
});

test('status says whether the status line is ours, another tool’s or not set', (t) => {
  const dir = tempDir(t);
  const cfg = path.join(dir, 'cfg');
  const env = { HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: cfg };
  const file = path.join(cfg, 'settings.json');
  const status = () => {
    const json = cli(['status', '--json', '--spool-only', '--spool', path.join(dir, 'spool'), '--db', path.join(dir, 'm.db')], env);
    const text = cli(['status', '--spool-only', '--spool', path.join(dir, 'spool'), '--db', path.join(dir, 'm.db')], env);
    assert.equal(json.code, 0, json.stdout);
    return { json: JSON.parse(json.stdout).statusline as { state: string; command: string | null; error: string | null }, text: text.stdout };
  };
  const none = status();
  assert.deepEqual(none.json, { state: 'none', command: null, error: null });
  assert.match(none.text, /^status line +not set \(run 'claude-metrics install --statusline'\)$/m);
  fs.mkdirSync(cfg);
  fs.writeFileSync(file, JSON.stringify({ statusLine: FOREIGN }));
  const other = status();
  assert.deepEqual(other.json, { state: 'other', command: FOREIGN.command, error: null });
  assert.match(other.text, /^status line +another tool's: bunx ccstatusline@latest /m);
  assert.equal(cli(['install', '--statusline', '--force'], env).code, 0);
  const ours = status();
  assert.deepEqual(ours.json, { state: 'ours', command: OURS.command, error: null });
  assert.match(ours.text, /^status line +ours \(claude-metrics statusline\)$/m);
  assert.equal(cli(['uninstall'], env).code, 0);
  assert.equal(status().json.state, 'other', 'put back');
});
