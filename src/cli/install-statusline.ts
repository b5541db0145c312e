// `install --statusline` and `uninstall`'s side of the status line: our entry for this package,
// and the file where another tool's entry is saved when `--force` replaces it
// (`<settings file>.claude-metrics-saved-statusline.json`, 0600, written atomically), so that
// uninstall puts it back exactly. Also what `status` shows: whose statusLine the settings hold.
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { packageRoot, resolveDbPath, resolveSpoolDir } from '../shared/config.js';
import { type JsonObject, parseSettings } from './settings-hooks.js';
import { type StatusLineChange, type StatusLineState, ourStatusLineMatcher, statusLineEntry, statusLineState } from './settings-statusline.js';

export function statusLineBundle(): string {
  return path.join(packageRoot(), 'dist', 'statusline.cjs');
}

export function isOurStatusLine(): (command: string) => boolean {
  return ourStatusLineMatcher(statusLineBundle());
}

/** Our entry; `--spool` and `--db` only when they are not the defaults. */
export function ourStatusLineEntry(spoolFlag: string | undefined, dbFlag: string | undefined) {
  const spool = resolveSpoolDir(spoolFlag);
  const db = resolveDbPath(dbFlag);
  return statusLineEntry(
    process.execPath,
    statusLineBundle(),
    spool === path.join(packageRoot(), 'spool') ? null : spool,
    db === resolveDbPath(undefined, {}) ? null : db,
  );
}

export function savedStatusLineFile(settingsFile: string): string {
  return `${settingsFile}.claude-metrics-saved-statusline.json`;
}

export class InvalidSavedStatusLineError extends Error {}

/** The entry saved by `install --statusline --force`, or null when none was saved. */
export function readSavedStatusLine(settingsFile: string): { statusLine: unknown } | null {
  const file = savedStatusLineFile(settingsFile);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidSavedStatusLineError(`${file} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || !('statusLine' in value)) {
    throw new InvalidSavedStatusLineError(`${file} holds no "statusLine" to put back`);
  }
  return { statusLine: (value as JsonObject).statusLine };
}

/**
 * Saves another tool's entry before we replace it. A file saved earlier (an entry set by hand
 * after ours replaced the first) is first copied aside with `backUp`; returns the saved file.
 */
export function saveStatusLine(settingsFile: string, old: unknown, backUp: (file: string) => string): string {
  const file = savedStatusLineFile(settingsFile);
  if (fs.existsSync(file)) backUp(file);
  const record = { statusLine: old, saved_from: settingsFile, saved_at: new Date().toISOString() };
  writeFileAtomic.sync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function describeStatusLineChange(change: StatusLineChange): string[] {
  switch (change.action) {
    case 'none':
    case 'refuse-other':
      return [];
    case 'add':
      return [`  + statusLine   ${change.entry.command}`];
    case 'replace-ours':
    case 'replace-other':
      return [`  - statusLine   ${describeEntry(change.old)}`, `  + statusLine   ${change.entry.command}`];
  }
}

export function describeEntry(entry: unknown): string {
  if (typeof entry === 'object' && entry !== null && typeof (entry as JsonObject).command === 'string') return String((entry as JsonObject).command);
  return JSON.stringify(entry);
}

export interface StatusLineStatus {
  /** ours: our command; other: another tool's; none: no statusLine. */
  state: StatusLineState;
  command: string | null;
  /** Why the settings could not be read (a missing file is just 'none'). */
  error: string | null;
}

/** Whose statusLine Claude Code's settings file holds, for `status`. */
export function gatherStatusLine(settingsFile: string): StatusLineStatus {
  let text: string;
  try {
    text = fs.readFileSync(settingsFile, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { state: 'none', command: null, error: missing ? null : (err as Error).message };
  }
  try {
    return { ...statusLineState(parseSettings(text), isOurStatusLine()), error: null };
  } catch (err) {
    return { state: 'none', command: null, error: (err as Error).message };
  }
}

/** One line for `status`. */
export function formatStatusLine(s: StatusLineStatus): string {
  if (s.error !== null) return `cannot tell: ${s.error}`;
  if (s.state === 'ours') return 'ours (claude-metrics statusline)';
  if (s.state === 'other') return `another tool's: ${s.command ?? '(no command)'} ('claude-metrics install --statusline --force' replaces it)`;
  return "not set (run 'claude-metrics install --statusline')";
}
