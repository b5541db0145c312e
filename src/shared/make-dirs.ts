// mkdir -p for the spool's folders and the private cache folder. No module of its own to load:
// it takes node:fs from its caller, so dist/cli.js's entry can use it without an ESM import of
// node:fs (~3 ms of `claude-metrics --version`).
import type fs from 'node:fs';

/**
 * mkdir -p of an absolute, normalised path (path.resolve's) without Node's recursive mkdir, which
 * spins at 100% CPU forever where mkdir(2) answers ENOENT for a parent that exists (e.g. under
 * /proc): the hook must end, whatever its --spool. Creates the missing folders from the top down;
 * any error other than EEXIST is thrown.
 */
export function makeDirs(fsm: typeof fs, dir: string, mode: number): void {
  const missing: string[] = [];
  for (let d = dir; !fsm.existsSync(d); d = parentOf(d)) {
    missing.push(d);
    if (parentOf(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      fsm.mkdirSync(d, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function parentOf(dir: string): string {
  const slash = dir.lastIndexOf('/');
  return slash <= 0 ? '/' : dir.slice(0, slash);
}
