// Running the worker as a service: the systemd user unit (Linux) or launchd agent (macOS) that
// starts `claude-metrics worker` at login (at boot with lingering) and restarts it on failure,
// and the systemctl/launchctl calls that enable or remove it. Rendering is pure; the rest is I/O.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SYSTEMD_UNIT = 'claude-metrics.service';
export const LAUNCHD_LABEL = 'dev.claude-metrics.worker';

export interface WorkerCommand {
  nodePath: string;
  cliPath: string;
  spoolDir: string;
  dbPath: string;
}

function workerArgs(c: WorkerCommand): string[] {
  return [c.nodePath, c.cliPath, 'worker', '--spool', c.spoolDir, '--db', c.dbPath, '--log-format', 'json'];
}

/** One word of an ExecStart= line: systemd splits on spaces, expands % and $. */
export function systemdQuote(word: string): string {
  const escaped = word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[\w@+=:,./-]+$/.test(word) ? escaped : `"${escaped}"`;
}

export function systemdUnit(c: WorkerCommand): string {
  return `# Written by 'claude-metrics install --service'; 'claude-metrics uninstall' removes it.
[Unit]
Description=claude-metrics worker: applies Claude Code hook events to SQLite
Documentation=file://${c.cliPath.replace(/\/dist\/cli\.js$/, '/README.md')}

[Service]
Type=simple
ExecStart=${workerArgs(c).map(systemdQuote).join(' ')}
# SIGTERM: the worker finishes its transaction, closes the database and exits 0.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5
# Exit 3: another worker already watches this spool; starting again would not help.
RestartPreventExitStatus=3

[Install]
WantedBy=default.target
`;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function launchdPlist(c: WorkerCommand, logFile: string): string {
  const args = workerArgs(c)
    .map((a) => `    <string>${xmlEscape(a)}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by 'claude-metrics install --service'; 'claude-metrics uninstall' removes it. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>StandardErrorPath</key>
  <string>${xmlEscape(logFile)}</string>
</dict>
</plist>
`;
}

export type ServiceKind = 'systemd' | 'launchd' | 'none';

export interface ServicePlan {
  kind: ServiceKind;
  /** Where the unit or agent file goes (empty for 'none'). */
  file: string;
  contents: string;
}

export function servicePlan(c: WorkerCommand, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): ServicePlan {
  const home = os.homedir();
  if (platform === 'linux') {
    const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
    return { kind: 'systemd', file: path.join(configHome, 'systemd', 'user', SYSTEMD_UNIT), contents: systemdUnit(c) };
  }
  if (platform === 'darwin') {
    const logFile = path.join(home, 'Library', 'Logs', 'claude-metrics.log');
    return { kind: 'launchd', file: path.join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`), contents: launchdPlist(c, logFile) };
  }
  return { kind: 'none', file: '', contents: '' };
}

export interface CommandResult {
  ok: boolean;
  /** What failed, in one line, when !ok. */
  detail: string;
}

function run(cmd: string, args: string[]): CommandResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { ok: false, detail: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) {
    const said = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n')[0] ?? '';
    return { ok: false, detail: `${[cmd, ...args].join(' ')} exited ${r.status}${said ? `: ${said}` : ''}` };
  }
  return { ok: true, detail: '' };
}

/** Whether a systemd user manager answers here (not the case in most containers, or without a login session). */
export function systemdUserAvailable(): CommandResult {
  return run('systemctl', ['--user', 'show-environment']);
}

/** Reloads systemd and enables + starts the unit; each step must succeed. */
export function enableSystemdUnit(): CommandResult {
  for (const args of [['--user', 'daemon-reload'], ['--user', 'enable', '--now', SYSTEMD_UNIT]]) {
    const r = run('systemctl', args);
    if (!r.ok) return r;
  }
  return { ok: true, detail: '' };
}

export function disableSystemdUnit(): CommandResult {
  const r = run('systemctl', ['--user', 'disable', '--now', SYSTEMD_UNIT]);
  if (!r.ok) return r;
  return run('systemctl', ['--user', 'daemon-reload']);
}

export function loadLaunchdAgent(file: string): CommandResult {
  return run('launchctl', ['bootstrap', `gui/${os.userInfo().uid}`, file]);
}

export function unloadLaunchdAgent(file: string): CommandResult {
  return run('launchctl', ['bootout', `gui/${os.userInfo().uid}`, file]);
}

/** Writes the unit/agent file (0644, its folder created), replacing an older one of ours. */
export function writeServiceFile(plan: ServicePlan): void {
  fs.mkdirSync(path.dirname(plan.file), { recursive: true });
  fs.writeFileSync(plan.file, plan.contents, { mode: 0o644 });
}
