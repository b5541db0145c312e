// Entry of dist/statusline.cjs, the bin `claude-metrics-statusline`: a small loader that runs the
// status line's bundle (dist/statusline-run.cjs, from run.ts) with V8's code cache
// (src/shared/code-cache.ts), so that Claude Code's status line starts about as fast as `node -e 0`. Where
// the loader itself fails, the line says so and the exit code is still 0.
import fs from 'node:fs';
import vm from 'node:vm';
import { type LoadedBundle, loadBundle } from '../shared/code-cache.js';
import type { RunStatusline } from './run.js';

/** The bundle's build id (a hash of dist/statusline-run.cjs), set by scripts/build.mjs. */
declare const STATUSLINE_BUILD_ID: string;

const bundle = `${__dirname}/statusline-run.cjs`;
let loaded: LoadedBundle | undefined;
try {
  loaded = loadBundle(fs, vm, bundle, 'statusline', STATUSLINE_BUILD_ID, require);
} catch (err) {
  fs.writeSync(1, 'claude-metrics: cannot load its status line (--debug says why)\n');
  if (process.argv.includes('--debug') || process.env.CLAUDE_METRICS_STATUSLINE_DEBUG) fs.writeSync(2, `claude-metrics-statusline: ${(err as Error).stack}\n`);
  process.exit(0);
}
(loaded.exports as { runStatusline: RunStatusline }).runStatusline(process.argv.slice(2), 'claude-metrics-statusline', __filename, loaded);
