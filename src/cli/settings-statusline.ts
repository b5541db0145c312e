// Claude Code's `statusLine` setting and our place in it: our entry (absolute node and
// dist/statusline.cjs paths), recognising it (also from a moved package, or the bin by name),
// setting it without ever silently replacing another tool's (refused unless forced, the old
// entry handed back to be saved), and removing it again (putting a saved entry back). Pure: the
// caller reads and writes the files (install.ts).
//
// Shape (claude-code-facts.md): {"statusLine": {"type": "command", "command": "…", "padding": 0}}.
import { type JsonObject, shellQuote } from './settings-hooks.js';

export interface StatusLineEntry extends JsonObject {
  type: 'command';
  command: string;
  padding: number;
}

/** Our statusLine entry: absolute paths, and the spool and database when not the defaults. */
export function statusLineEntry(nodePath: string, bundlePath: string, spoolDir: string | null, dbPath: string | null): StatusLineEntry {
  const words = [nodePath, bundlePath, ...(spoolDir ? ['--spool', spoolDir] : []), ...(dbPath ? ['--db', dbPath] : [])];
  return { type: 'command', command: words.map(shellQuote).join(' '), padding: 0 };
}

/**
 * Recognises a status line command of ours: this installation's bundle, the bundle of a
 * claude-metrics package elsewhere (`…claude-metrics…/dist/statusline.cjs`), the
 * `claude-metrics-statusline` bin, or `claude-metrics statusline`.
 */
export function ourStatusLineMatcher(bundlePath: string): (command: string) => boolean {
  return (command) =>
    command.includes(bundlePath) ||
    /(^|[\s'"/])claude-metrics-statusline(?=$|[\s'"])/.test(command) ||
    /(^|[\s'"/])claude-metrics['"]?\s+statusline(?=$|[\s'"])/.test(command) ||
    /[^\s'"]*claude-metrics[^\s'"]*\/dist\/statusline\.cjs(?=$|[\s'"])/.test(command);
}

export type StatusLineState = 'ours' | 'other' | 'none';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whose statusLine the settings hold. */
export function statusLineState(settings: JsonObject, isOurs: (command: string) => boolean): { state: StatusLineState; command: string | null } {
  const entry = settings.statusLine;
  if (entry === undefined) return { state: 'none', command: null };
  const command = isObject(entry) && typeof entry.command === 'string' ? entry.command : null;
  return { state: command !== null && isOurs(command) ? 'ours' : 'other', command };
}

export type StatusLineChange =
  | { action: 'none' }
  | { action: 'add'; entry: StatusLineEntry }
  | { action: 'replace-ours'; old: unknown; entry: StatusLineEntry }
  /** Another tool's entry: refused (nothing changes) unless forced. */
  | { action: 'refuse-other'; old: unknown }
  /** Forced over another tool's entry: `old` must be saved so uninstall can put it back. */
  | { action: 'replace-other'; old: unknown; entry: StatusLineEntry };

/**
 * Settings with our statusLine (a copy), and what that changes. Our current entry is left alone
 * (a second install changes nothing); an older entry of ours is replaced, keeping keys the user
 * added to it (refreshInterval); another tool's is replaced only when `force`.
 */
export function mergeOurStatusLine(
  settings: JsonObject,
  entry: StatusLineEntry,
  isOurs: (command: string) => boolean,
  force: boolean,
): { settings: JsonObject; change: StatusLineChange } {
  const old = settings.statusLine;
  const { state } = statusLineState(settings, isOurs);
  if (state === 'none') return { settings: { ...settings, statusLine: entry }, change: { action: 'add', entry } };
  if (state === 'ours') {
    const current = old as JsonObject;
    if (current.type === entry.type && current.command === entry.command && current.padding === entry.padding) return { settings, change: { action: 'none' } };
    const next = { ...current, ...entry };
    return { settings: { ...settings, statusLine: next }, change: { action: 'replace-ours', old, entry: next } };
  }
  if (!force) return { settings, change: { action: 'refuse-other', old } };
  return { settings: { ...settings, statusLine: entry }, change: { action: 'replace-other', old, entry } };
}

/**
 * Settings without our statusLine (a copy): the `saved` entry put back in its place when there
 * is one, else the key removed. Another tool's entry is never touched.
 */
export function removeOurStatusLine(
  settings: JsonObject,
  isOurs: (command: string) => boolean,
  saved: { statusLine: unknown } | null,
): { settings: JsonObject; removed: unknown; restored: boolean } | null {
  if (statusLineState(settings, isOurs).state !== 'ours') return null;
  const removed = settings.statusLine;
  if (saved !== null) return { settings: { ...settings, statusLine: saved.statusLine }, removed, restored: true };
  const next = { ...settings };
  delete next.statusLine;
  return { settings: next, removed, restored: false };
}
