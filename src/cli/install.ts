// `claude-metrics install` and `uninstall`: registers the hook in Claude Code's settings.json
// (backup first, then one atomic write; nothing written when nothing changes) and, with
// --service, the worker as a systemd user unit or launchd agent. The merge itself is
// settings-hooks.ts; the service files are service.ts.
import fs from 'node:fs';
import path from 'node:path';
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
import { type HookChange, hookCommand, mergeOurHooks, ourHookMatcher, removeOurHooks, shellQuote } from './settings-hooks.js';
import { backUp, loadSettings, writeSettings } from './settings-file.js';
import { type StatusLineChange, mergeOurStatusLine, removeOurStatusLine } from './settings-statusline.js';
import {
  InvalidSavedStatusLineError,
  describeEntry,
  describeStatusLineChange,
  isOurStatusLine,
  ourStatusLineEntry,
  readSavedStatusLine,
  saveStatusLine,
  savedStatusLineFile,
} from './install-statusline.js';

export const INSTALL_HELP = `Usage: claude-metrics install [--settings FILE] [--spool DIR] [--dry-run] [--statusline [--force] [--db FILE]]
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
  --statusline      also set Claude Code's statusLine to 'claude-metrics-statusline' (absolute
                    node and dist/statusline.cjs paths, --spool and --db when not the defaults,
                    padding 0). Another tool's statusLine is left untouched and install stops
                    (exit 1), unless:
  --force           with --statusline: replace another tool's statusLine, saving it first in
                    FILE.claude-metrics-saved-statusline.json; uninstall puts it back
  --service         also run the worker as a service: a systemd user unit on Linux
                    (~/.config/systemd/user/claude-metrics.service, enabled and started), a
                    launchd agent on macOS; restarted on failure, started at login
  --print           with --service: print the unit (or agent) and change nothing
  --db FILE         with --service or --statusline: the database the worker writes and the
                    status line reads (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --help, -h        show this help

Exit codes: 0 installed (or already installed), 1 the settings file is invalid or could not be
written, another tool's statusLine is there (without --force), or the service could not be
enabled (systemd not available: what to do is printed), 2 usage error.
`;

export const UNINSTALL_HELP = `Usage: claude-metrics uninstall [--settings FILE] [--dry-run]

Removes exactly what 'claude-metrics install' added: our hook entries (an event list that only
they filled goes with them; other tools' hooks and every other key stay) and our statusLine
(another tool's entry that 'install --statusline --force' replaced is put back exactly, from
FILE.claude-metrics-saved-statusline.json), after a backup of the settings file, and the
service unit or launchd agent if one was installed (stopped first). The spool and the database
are kept.

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

function describe(change: HookChange): string {
  return `  ${change.action === 'add' ? '+' : '-'} ${change.event.padEnd(12)} ${change.command}`;
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
      statusline: { type: 'boolean' },
      force: { type: 'boolean' },
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
  if (values.force && !values.statusline) throw new UsageError('--force goes with --statusline');
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
  const hooks = mergeOurHooks(loaded.settings, command, ourHookMatcher(hookPath()));
  let settings = hooks.settings;
  const lines = hooks.changes.map(describe);
  let statusLine: StatusLineChange = { action: 'none' };
  if (values.statusline) {
    ({ settings, change: statusLine } = mergeOurStatusLine(settings, ourStatusLineEntry(values.spool, values.db), isOurStatusLine(), values.force ?? false));
    if (statusLine.action === 'refuse-other') {
      err(`claude-metrics install: ${file} already has another tool's statusLine (${describeEntry(statusLine.old)}); left untouched.`);
      err(`Run 'claude-metrics install --statusline --force' to replace it: it is saved in ${savedStatusLineFile(file)} and 'claude-metrics uninstall' puts it back.`);
      return 1;
    }
    lines.push(...describeStatusLineChange(statusLine));
  }
  const what = values.statusline ? 'the hook and the status line' : 'the hook';

  if (lines.length === 0) out(`${what} already installed in ${file}; nothing changed`);
  else if (dryRun) {
    out(`would change ${file}${loaded.existed ? '' : ' (created)'}:`);
    for (const line of lines) out(line);
    if (statusLine.action === 'replace-other') out(`would save the replaced statusLine in ${savedStatusLineFile(file)}`);
  } else {
    let backup: string | null;
    try {
      // The other tool's entry is saved first: once the settings change, it exists nowhere else.
      if (statusLine.action === 'replace-other') out(`saved the replaced statusLine in ${saveStatusLine(file, statusLine.old, backUp)}`);
      backup = writeSettings(file, loaded.existed, settings);
    } catch (e) {
      err(`claude-metrics install: cannot write ${file}: ${(e as Error).message}`);
      return 1;
    }
    out(`installed ${what} in ${file}${backup ? ` (backup: ${backup})` : ' (created)'}:`);
    for (const line of lines) out(line);
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
  const hooks = removeOurHooks(loaded.settings, ourHookMatcher(hookPath()));
  let settings = hooks.settings;
  const lines = hooks.changes.map(describe);
  let saved: { statusLine: unknown } | null;
  try {
    saved = readSavedStatusLine(file);
  } catch (e) {
    if (!(e instanceof InvalidSavedStatusLineError)) throw e;
    err(`claude-metrics uninstall: ${e.message}; ${file} left untouched. Fix or remove it and run again.`);
    return 1;
  }
  const statusLine = removeOurStatusLine(settings, isOurStatusLine(), saved);
  if (statusLine !== null) {
    settings = statusLine.settings;
    lines.push(`  - statusLine   ${describeEntry(statusLine.removed)}`);
    if (statusLine.restored) lines.push(`  + statusLine   ${describeEntry(saved!.statusLine)} (put back from ${savedStatusLineFile(file)})`);
  } else if (saved !== null) {
    out(`the statusLine in ${file} is not ours: left as it is, and the entry saved in ${savedStatusLineFile(file)} kept`);
  }
  if (lines.length === 0) out(`no claude-metrics hook or status line in ${file}; nothing changed`);
  else if (dryRun) {
    out(`would change ${file}:`);
    for (const line of lines) out(line);
  } else {
    let backup: string | null;
    try {
      backup = writeSettings(file, true, settings);
      // Only once the settings hold the entry again is the saved copy no longer needed.
      if (statusLine?.restored) fs.rmSync(savedStatusLineFile(file));
    } catch (e) {
      err(`claude-metrics uninstall: cannot write ${file}: ${(e as Error).message}`);
      return 1;
    }
    out(`removed claude-metrics from ${file} (backup: ${backup}):`);
    for (const line of lines) out(line);
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
