// The user's private cache folder for compiled code ($XDG_CACHE_HOME/claude-metrics/<name>, else
// ~/.cache/claude-metrics/<name>): Node's compile cache for the CLI (src/cli/entry.ts) and V8's
// code cache for the status line (src/statusline/main.ts). Compiled code found in a cache is run
// as this user, so a folder is used only when it is a real folder (not a symlink) owned by this
// user and closed to everyone else; never the shared temp folder. Small: both entries bundle it.
import type fs from 'node:fs';
import { makeDirs } from './make-dirs.js';

/** The folder's path, or null when neither XDG_CACHE_HOME nor HOME gives an absolute one. */
export function cacheDirPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? `${env.HOME}/.cache` : '');
  return base.startsWith('/') ? `${base}/claude-metrics/${name}` : null;
}

/** What `dir` is: a real folder of this user's that nobody else may enter, missing, or anything else. */
export function privateDirState(fsm: typeof fs, dir: string): 'private' | 'missing' | 'open' {
  let st: fs.Stats;
  try {
    st = fsm.lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw err;
  }
  return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o077) === 0 ? 'private' : 'open';
}

/**
 * The private cache folder `name`, made (0700) when missing; null (no cache) when there is no
 * home, the folder cannot be made, or it is not private (privateDirState).
 */
export function privateCacheDir(fsm: typeof fs, name: string): string | null {
  const dir = cacheDirPath(name);
  if (dir === null) return null;
  try {
    makeDirs(fsm, dir, 0o700);
    return privateDirState(fsm, dir) === 'private' ? dir : null;
  } catch (err) {
    // A cache is an optimisation: a home without room or rights runs without it.
    if (!(err instanceof Error && 'code' in err)) throw err;
    return null;
  }
}
