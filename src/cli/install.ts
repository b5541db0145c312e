// `claude-metrics install` and `uninstall`: registers the hook in Claude Code's settings.json
// (backup first, then one atomic write; nothing written when nothing changes) and, with
// --service, the worker as a systemd user unit or launchd agent. The merge itself is
// settings-hooks.ts; the service files are service.ts.
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { packageRoot, resolveDbPath, resolveSpoolDir } from '../shared/config.js';
import { defaultClaudeDir } from './import.js';
import { UsageError, parseOptions } from './usage.js';
import {
  disableSystemdUnit,
  enableSystemdUnit,
  loadLaunchdAgent,
  servicePlan,
  systemdUserAvailable,
  unloadLaunchdAgent,
  writeServiceFile,
  type ServicePlan,
  type WorkerCommand,
} from './service.js';
import {
  type HookChange,
  InvalidSettingsError,
  type JsonObject,
  hookCommand,
  mergeOurHooks,
  ourHookMatcher,
  parseSettings,
  removeOurHooks,
  shellQuote,
} from './settings-hooks.js';

export const INSTALL_HELP = `Usage: claude-metrics install [--settings FILE] [--spool DIR] [--dry-run]
       claude-metrics install --service [--print] [--spool DIR] [--db FILE] [--settings FILE]

Registers the claude-metrics hook in Claude Code's settings for SessionStart, Stop,
SubagentStop and SessionEnd (each with an explicit timeout), merged into what is there: every
other key and every other tool's hooks stay as they are. The command uses absolute paths (this
node, this package's hook) so it runs from any directory and any PATH, and names the spool when
it is not the default. The file is backed up (FILE.bak-<time>) before one atomic write; a second
run changes nothing. An invalid settings file is refused and left untouched.

  --settings FILE   Claude Code settings (default: $CLAUDE_CONFIG_DIR/settings.json, else
                    ~/.claude/settings.json); created if missing
  --spool DIR       spool the hook writes to (default: $CLAUDE_METRICS_SPOOL, else <package>/spool)
  --dry-run         print what would change; change nothing
  --service         also run the worker as a service: a systemd user unit on Linux
                    (~/.config/systemd/user/claude-metrics.service, enabled and started), a
                    launchd agent on macOS; restarted on failure, started at login
  --print           with --service: print the unit (or agent) and change nothing
  --db FILE         with --service: database the worker writes (default: $CLAUDE_METRICS_DB,
                    else ~/.claude/claude_metrics.db)
  --help, -h        show this help

Exit codes: 0 installed (or already installed), 1 the settings file is invalid or could not be
written, or the service could not be enabled (systemd not available: what to do is printed),
2 usage error.
`;

export const UNINSTALL_HELP = `Usage: claude-metrics uninstall [--settings FILE] [--dry-run]

Removes exactly what 'claude-metrics install' added: our hook entries (an event list that only
they filled goes with them; other tools' hooks and every other key stay), after a backup of the
settings file, and the service unit or launchd agent if one was installed (stopped first). The
spool and the database are kept.

  --settings FILE   Claude Code settings (default: $CLAUDE_CONFIG_DIR/settings.json, else
                    ~/.claude/settings.json)
  --dry-run         print what would be removed; change nothing
  --help, -h        show this help

Exit codes: 0 removed (or nothing to remove), 1 the settings file is invalid or could not be
written, or the service could not be stopped, 2 usage error.
`;

const out = (line: string): boolean => process.stdout.write(`${line}\n`);
const err = (line: string): boolean => process.stderr.write(`${line}\n`);

function defaultSettingsFile(): string {
  return path.join(defaultClaudeDir(), 'settings.json');
}

function hookPath(): string {
  return path.join(packageRoot(), 'dist', 'hook.cjs');
}

function workerCommand(spool: string | undefined, db: string | undefined): WorkerCommand {
  return {
    nodePath: process.execPath,
    cliPath: path.join(packageRoot(), 'dist', 'cli.js'),
    spoolDir: resolveSpoolDir(spool),
    dbPath: resolveDbPath(db),
  };
}

/** The settings file's text, or null when it does not exist yet. */
function readSettingsText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Copies the file to `<file>.bak-<UTC time>` (never over an earlier backup); returns that name. */
function backUp(file: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  for (let n = 0; ; n++) {
    const backup = `${file}.bak-${stamp}${n === 0 ? '' : `-${n}`}`;
    try {
      fs.copyFileSync(file, backup, fs.constants.COPYFILE_EXCL);
      return backup;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Backs up the current file (if any), then replaces it atomically; returns the backup's path. */
function writeSettings(file: string, existed: boolean, settings: JsonObject): string | null {
  let backup: string | null = null;
  if (existed) {
    backup = backUp(file);
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  }
  // write-file-atomic follows a symlinked settings.json to its target and keeps an existing file's mode.
  writeFileAtomic.sync(file, `${JSON.stringify(settings, null, 2)}\n`, existed ? {} : { mode: 0o600 });
  return backup;
}

function describe(change: HookChange): string {
  return `  ${change.action === 'add' ? '+' : '-'} ${change.event.padEnd(12)} ${change.command}`;
}

interface LoadedSettings {
  file: string;
  existed: boolean;
  settings: JsonObject;
}

function loadSettings(file: string, command: string): LoadedSettings | null {
  let text: string | null;
  try {
    text = readSettingsText(file);
  } catch (e) {
    err(`claude-metrics ${command}: cannot read ${file}: ${(e as Error).message}`);
    return null;
  }
  try {
    return { file, existed: text !== null, settings: text === null ? {} : parseSettings(text) };
  } catch (e) {
    if (!(e instanceof InvalidSettingsError)) throw e;
    err(`claude-metrics ${command}: ${file} is not a settings file we can change: ${e.message}. Left untouched; fix it and run again.`);
    return null;
  }
}

export async function installCommand(argv: string[]): Promise<number> {
  const { values } = parseOptions({
    args: argv,
    strict: true,
    options: {
      settings: { type: 'string' },
      spool: { type: 'string' },
      db: { type: 'string' },
      'dry-run': { type: 'boolean' },
      service: { type: 'boolean' },
      print: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(INSTALL_HELP);
    return 0;
  }
  if (values.print && !values.service) throw new UsageError('--print goes with --service');
  const worker = workerCommand(values.spool, values.db);
  const plan = servicePlan(worker);
  if (values.service && values.print) {
    if (plan.kind === 'none') {
      err(`claude-metrics install: no service manager we support on ${process.platform} (systemd, launchd).`);
      err(`Start the worker yourself: ${workerShellCommand(worker)}`);
      return 1;
    }
    process.stdout.write(plan.contents);
    return 0;
  }

  const dryRun = values['dry-run'] ?? false;
  const file = path.resolve(values.settings ?? defaultSettingsFile());
  const loaded = loadSettings(file, 'install');
  if (!loaded) return 1;
  const defaultSpool = path.join(packageRoot(), 'spool');
  const command = hookCommand(process.execPath, hookPath(), worker.spoolDir === defaultSpool ? null : worker.spoolDir);
  const { settings, changes } = mergeOurHooks(loaded.settings, command, ourHookMatcher(hookPath()));

  if (changes.length === 0) out(`hook already installed in ${file}; nothing changed`);
  else if (dryRun) {
    out(`would change ${file}${loaded.existed ? '' : ' (created)'}:`);
    for (const c of changes) out(describe(c));
  } else {
    let backup: string | null;
    try {
      backup = writeSettings(file, loaded.existed, settings);
    } catch (e) {
      err(`claude-metrics install: cannot write ${file}: ${(e as Error).message}`);
      return 1;
    }
    out(`installed the hook in ${file}${backup ? ` (backup: ${backup})` : ' (created)'}:`);
    for (const c of changes) out(describe(c));
  }
  if (!values.service) {
    if (!dryRun) out(`start the worker: 'claude-metrics install --service', or run 'claude-metrics worker'${values.spool ? ` --spool ${shellQuote(worker.spoolDir)}` : ''}`);
    return 0;
  }
  return installService(plan, worker, dryRun);
}

function workerShellCommand(c: WorkerCommand): string {
  return [c.nodePath, c.cliPath, 'worker', '--spool', c.spoolDir, '--db', c.dbPath].map(shellQuote).join(' ');
}

function installService(plan: ServicePlan, worker: WorkerCommand, dryRun: boolean): number {
  const manual = `nohup ${workerShellCommand(worker)} >>${shellQuote(path.join(defaultClaudeDir(), 'claude-metrics.log'))} 2>&1 &`;
  if (plan.kind === 'none') {
    err(`claude-metrics install: no service manager we support on ${process.platform} (systemd, launchd).`);
    err(`Start the worker yourself at login, e.g.: ${manual}`);
    return 1;
  }
  if (dryRun) {
    out(`would write ${plan.file} and enable it:`);
    process.stdout.write(plan.contents);
    return 0;
  }
  if (plan.kind === 'systemd') {
    const available = systemdUserAvailable();
    if (!available.ok) {
      err(`claude-metrics install: systemd's user manager is not available here (${available.detail}).`);
      err('The hook is installed, but nothing will start the worker. Either:');
      err(`  - on a machine with systemd: 'claude-metrics install --service --print' shows the unit to put in ${plan.file}`);
      err(`  - or start it yourself (e.g. from your shell's profile or a @reboot crontab line): ${manual}`);
      return 1;
    }
    writeServiceFile(plan);
    const enabled = enableSystemdUnit();
    if (!enabled.ok) {
      err(`claude-metrics install: wrote ${plan.file} but could not enable it: ${enabled.detail}`);
      return 1;
    }
    out(`worker service enabled and started: ${plan.file}`);
    out('  logs:    journalctl --user -u claude-metrics -f');
    out('  status:  claude-metrics status');
    out('  to keep it running without a login session (and start it at boot): loginctl enable-linger "$USER"');
    return 0;
  }
  writeServiceFile(plan);
  unloadLaunchdAgent(plan.file); // an older copy may be loaded; not being loaded is fine
  const loaded = loadLaunchdAgent(plan.file);
  if (!loaded.ok) {
    err(`claude-metrics install: wrote ${plan.file} but could not load it: ${loaded.detail}`);
    return 1;
  }
  out(`worker agent loaded: ${plan.file}`);
  return 0;
}

export async function uninstallCommand(argv: string[]): Promise<number> {
  const { values } = parseOptions({
    args: argv,
    strict: true,
    options: {
      settings: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(UNINSTALL_HELP);
    return 0;
  }
  const dryRun = values['dry-run'] ?? false;
  const file = path.resolve(values.settings ?? defaultSettingsFile());
  const loaded = loadSettings(file, 'uninstall');
  if (!loaded) return 1;
  const { settings, changes } = removeOurHooks(loaded.settings, ourHookMatcher(hookPath()));
  if (changes.length === 0) out(`no claude-metrics hook in ${file}; nothing changed`);
  else if (dryRun) {
    out(`would change ${file}:`);
    for (const c of changes) out(describe(c));
  } else {
    let backup: string | null;
    try {
      backup = writeSettings(file, true, settings);
    } catch (e) {
      err(`claude-metrics uninstall: cannot write ${file}: ${(e as Error).message}`);
      return 1;
    }
    out(`removed the hook from ${file} (backup: ${backup}):`);
    for (const c of changes) out(describe(c));
  }
  return uninstallService(servicePlan(workerCommand(undefined, undefined)), dryRun);
}

function uninstallService(plan: ServicePlan, dryRun: boolean): number {
  if (plan.kind === 'none' || !fs.existsSync(plan.file)) return 0;
  if (dryRun) {
    out(`would stop and remove ${plan.file}`);
    return 0;
  }
  const stopped = plan.kind === 'systemd' ? disableSystemdUnit() : unloadLaunchdAgent(plan.file);
  if (!stopped.ok) {
    err(`claude-metrics uninstall: could not stop the service (${stopped.detail}); ${plan.file} left in place`);
    return 1;
  }
  fs.rmSync(plan.file);
  out(`service stopped and removed: ${plan.file}`);
  return 0;
}
