// `claude-metrics install` / `uninstall` as processes on real settings files: the merge keeps
// everything else exactly, a second run changes nothing, invalid files are refused untouched,
// the installed command really spools from anywhere, and the service unit's contents.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, HOOK, ROOT } from './helpers.ts';

const EVENTS = ['SessionStart', 'Stop', 'SubagentStop', 'SessionEnd'];

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-install-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The CLI with a clean environment: HOME and the rest chosen by the test. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = os.tmpdir()) {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(CLAUDE_|XDG_CONFIG_HOME$)/.test(k)) base[k] = v;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...base, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const OTHER_TOOLS = {
  model: 'claude-sonnet-4-5',
  env: { FOO: 'bar' },
  permissions: { allow: ['Bash(git status)'] },
  hooks: {
    SessionEnd: [{ hooks: [{ type: 'command', command: 'python3 ~/.claude/other_tool.py', timeout: 5 }] }],
    Stop: [{ matcher: '', hooks: [{ type: 'command', command: 'notify-send done' }, { type: 'command', command: '/opt/x/log-stop' }] }],
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo pre' }] }],
  },
  statusLine: { type: 'command', command: 'ccstatus' },
};

function commandsOf(settings: { hooks: Record<string, Array<{ hooks: Array<{ command: string; timeout?: number }> }>> }, event: string) {
  return (settings.hooks[event] ?? []).flatMap((g) => g.hooks);
}

function backups(file: string): string[] {
  return fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(`${path.basename(file)}.bak-`));
}

test('install merges into a settings file with other keys and hooks, twice, then uninstall restores it exactly', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  const original = `${JSON.stringify(OTHER_TOOLS, null, 4)}\n`;
  fs.writeFileSync(file, original, { mode: 0o640 });

  const first = cli(['install', '--settings', file]);
  assert.equal(first.code, 0, first.stderr);
  const installed = JSON.parse(fs.readFileSync(file, 'utf8'));
  const ours = `${process.execPath} ${HOOK}`;
  for (const event of EVENTS) {
    const entries = commandsOf(installed, event);
    const mine = entries.filter((h) => h.command === ours);
    assert.equal(mine.length, 1, `${event} has our hook once`);
    assert.equal(mine[0]!.timeout, 10, `${event} has an explicit timeout`);
    assert.ok(path.isAbsolute(process.execPath) && path.isAbsolute(HOOK));
  }
  // Every other tool's entry is still there, in its place.
  assert.deepEqual(commandsOf(installed, 'SessionEnd')[0], OTHER_TOOLS.hooks.SessionEnd[0]!.hooks[0]);
  assert.deepEqual(installed.hooks.Stop[0], OTHER_TOOLS.hooks.Stop[0]);
  assert.deepEqual(installed.hooks.PreToolUse, OTHER_TOOLS.hooks.PreToolUse);
  for (const key of ['model', 'env', 'permissions', 'statusLine'] as const) assert.deepEqual(installed[key], OTHER_TOOLS[key]);
  assert.equal(fs.statSync(file).mode & 0o777, 0o640, 'the file keeps its mode');
  assert.equal(backups(file).length, 1);
  assert.equal(fs.readFileSync(path.join(dir, backups(file)[0]!), 'utf8'), original, 'the backup is the file as it was');

  const afterFirst = fs.readFileSync(file, 'utf8');
  const second = cli(['install', '--settings', file]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /nothing changed/);
  assert.equal(fs.readFileSync(file, 'utf8'), afterFirst, 'a second install changes nothing');
  assert.equal(backups(file).length, 1, 'and writes no backup');

  const removed = cli(['uninstall', '--settings', file]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), OTHER_TOOLS, 'uninstall removes exactly what install added');
  const again = cli(['uninstall', '--settings', file]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /nothing changed/);
});

test('install into a missing file creates it under $CLAUDE_CONFIG_DIR; uninstall then leaves {}', (t) => {
  const dir = tempDir(t);
  const configDir = path.join(dir, 'claude-config');
  const r = cli(['install'], { HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: configDir });
  assert.equal(r.code, 0, r.stderr);
  const file = path.join(configDir, 'settings.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).hooks), EVENTS);
  assert.ok(!fs.existsSync(path.join(dir, 'home', '.claude', 'settings.json')), 'not the one under HOME');
  assert.equal(cli(['uninstall'], { HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: configDir }).code, 0);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), {});
});

test('an invalid settings file is refused with a clear message and left untouched', (t) => {
  const dir = tempDir(t);
  const cases: Array<[string, RegExp]> = [
    ['{"hooks": {"Stop": [', /not valid JSON/],
    ['[1, 2]', /not a JSON object/],
    ['{"hooks": []}', /"hooks" is not an object/],
    ['{"hooks": {"SessionEnd": {"command": "x"}}}', /"hooks.SessionEnd" is not an array/],
    ['{"hooks": {"Stop": [{"command": "x"}]}}', /"hooks.Stop\[0\].hooks" is not an array/],
  ];
  for (const [i, [text, why]] of cases.entries()) {
    const file = path.join(dir, `settings-${i}.json`);
    fs.writeFileSync(file, text);
    const mtime = fs.statSync(file).mtimeMs;
    for (const command of ['install', 'uninstall']) {
      const r = cli([command, '--settings', file]);
      assert.equal(r.code, 1, `${command} refuses ${text}`);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /Left untouched/);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    }
    assert.equal(fs.readFileSync(file, 'utf8'), text);
    assert.equal(fs.statSync(file).mtimeMs, mtime);
    assert.equal(backups(file).length, 0);
  }
});

test('--dry-run prints the change and writes nothing', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  fs.writeFileSync(file, '{"model": "opus"}\n');
  const r = cli(['install', '--settings', file, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  for (const event of EVENTS) assert.match(r.stdout, new RegExp(`\\+ ${event}\\s+${process.execPath.replace(/[/.]/g, '\\$&')} `));
  assert.equal(fs.readFileSync(file, 'utf8'), '{"model": "opus"}\n');
  assert.equal(backups(file).length, 0);
});

test('the installed command spools from any folder and any PATH, also to a spool path with spaces and quotes', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  const spool = path.join(dir, "my spool's $HOME");
  assert.equal(cli(['install', '--settings', file, '--spool', spool]).code, 0);
  const settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  const [entry] = commandsOf(settings, 'Stop');
  assert.ok(entry!.command.includes('--spool'), 'a non-default spool is carried in the command');
  // Claude Code runs the command through a shell; run it the same way, elsewhere, with an empty PATH.
  const elsewhere = fs.mkdtempSync(path.join(dir, 'cwd-'));
  const r = spawnSync('/bin/sh', ['-c', entry!.command], { cwd: elsewhere, env: { PATH: '' }, input: '{"session_id":"s1","hook_event_name":"Stop"}', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '{}');
  const spooled = fs.readdirSync(path.join(spool, 'incoming'));
  assert.equal(spooled.length, 1);
  assert.equal(fs.readFileSync(path.join(spool, 'incoming', spooled[0]!), 'utf8'), '{"session_id":"s1","hook_event_name":"Stop"}');

  // Installing again with another spool replaces our entry instead of adding a second one.
  assert.equal(cli(['install', '--settings', file]).code, 0);
  const replaced = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const event of EVENTS) assert.deepEqual(commandsOf(replaced, event).map((h) => h.command), [`${process.execPath} ${HOOK}`]);
});

test('an entry registered by hand as claude-metrics-hook, or from a moved package, is recognised as ours', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  const byHand = {
    hooks: {
      Stop: [{ hooks: [{ type: 'command', command: 'claude-metrics-hook', timeout: 10 }, { type: 'command', command: 'my-claude-metrics-hook-wrapper' }] }],
      // An install from where the package used to be, with another node.
      SessionEnd: [{ hooks: [{ type: 'command', command: "/old/nvm/v20/bin/node '/home/me/src/claude-metrics/dist/hook.cjs' --spool /s", timeout: 10 }] }],
    },
  };
  fs.writeFileSync(file, JSON.stringify(byHand));
  assert.equal(cli(['install', '--settings', file]).code, 0);
  const stop = commandsOf(JSON.parse(fs.readFileSync(file, 'utf8')), 'Stop').map((h) => h.command);
  assert.deepEqual(stop, ['my-claude-metrics-hook-wrapper', `${process.execPath} ${HOOK}`], 'replaced, and a name merely containing ours is kept');
  const end = commandsOf(JSON.parse(fs.readFileSync(file, 'utf8')), 'SessionEnd').map((h) => h.command);
  assert.deepEqual(end, [`${process.execPath} ${HOOK}`], 'the moved install is replaced, not doubled');
});

test('a symlinked settings file stays a symlink; its target is updated', (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'dotfiles-settings.json');
  const link = path.join(dir, 'settings.json');
  fs.writeFileSync(target, '{}');
  fs.symlinkSync(target, link);
  assert.equal(cli(['install', '--settings', link]).code, 0);
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.ok(JSON.parse(fs.readFileSync(target, 'utf8')).hooks.Stop);
});

test('install --service --print shows a systemd user unit that runs the worker and restarts it', () => {
  const r = cli(['install', '--service', '--print', '--spool', '/srv/cm spool', '--db', '/srv/metrics.db']);
  assert.equal(r.code, 0, r.stderr);
  const unit = r.stdout;
  assert.match(unit, /^\[Service\]$/m);
  assert.ok(unit.includes(`ExecStart=${process.execPath} ${path.join(ROOT, 'dist', 'cli.js')} worker --spool "/srv/cm spool" --db /srv/metrics.db --log-format json\n`), unit);
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^KillSignal=SIGTERM$/m);
  assert.match(unit, /^WantedBy=default\.target$/m);
  assert.equal(cli(['install', '--print']).code, 2, '--print alone is a usage error');
});

test('install --service where systemd is not running: says so, prints what to do, hook still installed', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'settings.json');
  // This machine has systemctl but no systemd user manager (a container): the real case.
  const probe = spawnSync('systemctl', ['--user', 'show-environment'], { encoding: 'utf8' });
  if (probe.status === 0) t.skip('a systemd user manager runs here; the next test covers enabling');
  const r = cli(['install', '--service', '--settings', file], { XDG_CONFIG_HOME: path.join(dir, 'config') });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /systemd's user manager is not available here/);
  assert.match(r.stderr, /nohup .* worker --spool /);
  assert.ok(!fs.existsSync(path.join(dir, 'config', 'systemd', 'user', 'claude-metrics.service')), 'no unit written');
  assert.ok(JSON.parse(fs.readFileSync(file, 'utf8')).hooks.SessionEnd, 'the hook is installed');
});

test('install --service with systemd: writes, reloads and enables the unit; uninstall disables and removes it', (t) => {
  // A stand-in systemctl (a shell script recording its arguments) on PATH: there is no systemd
  // user manager in this sandbox to enable a unit in. The unit file written is real.
  const dir = tempDir(t);
  const bin = path.join(dir, 'bin');
  const calls = path.join(dir, 'systemctl-calls');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${calls}'\n`, { mode: 0o755 });
  const env = { PATH: `${bin}:${process.env.PATH}`, XDG_CONFIG_HOME: path.join(dir, 'config') };
  const file = path.join(dir, 'settings.json');
  const r = cli(['install', '--service', '--settings', file, '--db', path.join(dir, 'm.db')], env);
  assert.equal(r.code, 0, r.stderr);
  const unitFile = path.join(dir, 'config', 'systemd', 'user', 'claude-metrics.service');
  assert.match(fs.readFileSync(unitFile, 'utf8'), new RegExp(`ExecStart=.* worker --spool .* --db ${path.join(dir, 'm.db')} --log-format json`));
  assert.deepEqual(fs.readFileSync(calls, 'utf8').trim().split('\n'), ['--user show-environment', '--user daemon-reload', '--user enable --now claude-metrics.service']);
  fs.rmSync(calls);
  const u = cli(['uninstall', '--settings', file], env);
  assert.equal(u.code, 0, u.stderr);
  assert.ok(!fs.existsSync(unitFile));
  assert.deepEqual(fs.readFileSync(calls, 'utf8').trim().split('\n'), ['--user disable --now claude-metrics.service', '--user daemon-reload']);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), {});
});

test('install --help and uninstall --help', () => {
  for (const command of ['install', 'uninstall']) {
    const r = cli([command, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^Usage: claude-metrics ${command}`));
  }
});

test('status says whether the hook is installed, from the same settings file', (t) => {
  const dir = tempDir(t);
  const env = { HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'cfg') };
  const status = () => {
    const r = cli(['status', '--json', '--spool-only', '--spool', path.join(dir, 'spool'), '--db', path.join(dir, 'm.db')], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).hook as { settings: string; events: string[]; error: string | null };
  };
  assert.deepEqual(status(), { settings: path.join(dir, 'cfg', 'settings.json'), events: [], error: null });
  assert.equal(cli(['install'], env).code, 0);
  assert.deepEqual(status().events, EVENTS);
  assert.equal(cli(['uninstall'], env).code, 0);
  assert.deepEqual(status().events, []);
  fs.writeFileSync(path.join(dir, 'cfg', 'settings.json'), '{not json');
  assert.match(String(status().error), /not valid JSON/);
});

test('the launchd agent (macOS) runs the same worker command, kept alive on failure', async () => {
  // Rendered here; launchctl itself only exists on macOS.
  const { servicePlan } = await import('../src/cli/service.ts');
  const plan = servicePlan({ nodePath: '/opt/node/bin/node', cliPath: '/Users/me/claude-metrics/dist/cli.js', spoolDir: '/Users/me/s & t', dbPath: '/Users/me/m.db' }, 'darwin', {});
  assert.equal(plan.kind, 'launchd');
  assert.equal(plan.file, path.join(os.homedir(), 'Library', 'LaunchAgents', 'dev.claude-metrics.worker.plist'));
  const args = [...plan.contents.matchAll(/^ {4}<string>(.*)<\/string>$/gm)].map((m) => m[1]);
  assert.deepEqual(args, ['/opt/node/bin/node', '/Users/me/claude-metrics/dist/cli.js', 'worker', '--spool', '/Users/me/s &amp; t', '--db', '/Users/me/m.db', '--log-format', 'json']);
  assert.match(plan.contents, /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
  assert.match(plan.contents, /<key>RunAtLoad<\/key>\s*<true\/>/);
  assert.equal(servicePlan({ nodePath: 'n', cliPath: 'c', spoolDir: 's', dbPath: 'd' }, 'win32', {}).kind, 'none');
});
