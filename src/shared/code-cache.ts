// Running a CommonJS bundle from V8's code cache: the status line's loader (dist/statusline.cjs runs
// dist/statusline-run.cjs) and `claude-metrics report` (dist/cli.js runs dist/report.cjs). A cold
// Node compiles each function the first time it is called, and that compiling is a large part of
// a short command's own time: with the code a previous run compiled, V8 skips it (bench section
// 5, bench/report-bench.mjs). A cache is made after a run (so it holds every function that run
// compiled) and kept in the user's private cache folder (private-cache.ts), one file per name,
// Node version and bundle build: V8 checks its own version and flags, not the source, so the
// file's name carries the bundle's build id. Anything wrong with a cache only costs speed: the
// bundle is then compiled as usual and the cache written again at the end of the run.
import type fs from 'node:fs';
import type vm from 'node:vm';
import { cacheDirPath, privateCacheDir, privateDirState } from './private-cache.js';

export const CODE_CACHE_DIR = 'code-cache';

/** What became of the cache this run, for --debug. */
export type CacheState = 'used' | 'missing' | 'rejected' | 'off';

export interface LoadedBundle {
  exports: unknown;
  state: CacheState;
  /** Why the cache was off or could not be read. */
  reason?: string;
  /** Writes the cache from this run's compiled code (when it was not used); returns a note. */
  save?: () => string;
}

/** The cache file `name` of a bundle build for this Node. */
export function cacheFileName(name: string, buildId: string): string {
  return `${name}-${process.version}-${process.arch}-${buildId}.bin`;
}

/**
 * Runs the CommonJS bundle `file` through vm.Script with the cache `name`, and returns its
 * exports. An import() in the bundle would fail (Node's loader for it is experimental): a bundle
 * is given what it must import.
 */
export function loadBundle(fsm: typeof fs, vmm: typeof vm, file: string, name: string, buildId: string, requireFn: NodeJS.Require): LoadedBundle {
  const dir = cacheDirPath(CODE_CACHE_DIR);
  let state: CacheState = 'off';
  let reason: string | undefined = dir === null ? 'no HOME or XDG_CACHE_HOME' : undefined;
  let cachedData: Buffer | undefined;
  if (dir !== null) {
    try {
      const where = privateDirState(fsm, dir);
      if (where === 'private') {
        cachedData = fsm.readFileSync(`${dir}/${cacheFileName(name, buildId)}`);
        state = 'used';
      } else if (where === 'missing') {
        state = 'missing';
      } else {
        reason = `${dir} is not a private folder of this user's`;
      }
    } catch (err) {
      state = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'off';
      if (state === 'off') reason = (err as Error).message;
    }
  }
  // The wrapper Node itself gives a CommonJS module, so the bundle runs as if required.
  const source = `(function (exports, require, module, __filename, __dirname) {${fsm.readFileSync(file, 'utf8').replace(/^#!.*/, '')}\n})`;
  const script = new vmm.Script(source, { filename: file, cachedData });
  if (state === 'used' && script.cachedDataRejected) state = 'rejected';
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, requireFn, module, file, file.slice(0, file.lastIndexOf('/')));
  const loaded: LoadedBundle = { exports: module.exports, state, reason };
  if (state === 'missing' || state === 'rejected') loaded.save = () => saveCache(fsm, script.createCachedData(), name, buildId);
  return loaded;
}

/** Writes the cache (0600, temp file then rename) and removes this Node's caches of other builds. */
function saveCache(fsm: typeof fs, data: Buffer, name: string, buildId: string): string {
  const dir = privateCacheDir(fsm, CODE_CACHE_DIR);
  if (dir === null) return 'code cache not written: no private cache folder';
  const file = cacheFileName(name, buildId);
  const temp = `${dir}/${file}.${process.pid}.tmp`;
  // 'wx': a file (or a symlink) already there is an error, never followed.
  const fd = fsm.openSync(temp, 'wx', 0o600);
  try {
    try {
      for (let at = 0; at < data.length; ) at += fsm.writeSync(fd, data, at, data.length - at);
      fsm.fsyncSync(fd);
    } finally {
      fsm.closeSync(fd);
    }
    fsm.renameSync(temp, `${dir}/${file}`);
  } catch (err) {
    // A full disk, say: no half-written temp file left behind.
    fsm.rmSync(temp, { force: true });
    throw err;
  }
  // This Node's caches of other builds go; so do temp files a killed writer left (an hour old).
  const stale = `${name}-${process.version}-${process.arch}-`;
  for (const other of fsm.readdirSync(dir)) {
    if (!other.startsWith(stale) || other === file) continue;
    if (other.endsWith('.bin') || (other.endsWith('.tmp') && Date.now() - (fsm.statSync(`${dir}/${other}`, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 3_600_000)) {
      fsm.rmSync(`${dir}/${other}`, { force: true });
    }
  }
  return `code cache written (${data.length} bytes)`;
}
