// Claude Code's settings file on disk, for install and uninstall: read it (a missing file is
// `{}`; an invalid one is refused with the reason, untouched), back it up beside itself, and
// replace it in one atomic write (invariant 15).
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { InvalidSettingsError, type JsonObject, parseSettings } from './settings-hooks.js';

const err = (line: string): boolean => process.stderr.write(`${line}\n`);

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
export function backUp(file: string, now = new Date()): string {
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
export function writeSettings(file: string, existed: boolean, settings: JsonObject): string | null {
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

export interface LoadedSettings {
  file: string;
  existed: boolean;
  settings: JsonObject;
}

export function loadSettings(file: string, command: string): LoadedSettings | null {
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

