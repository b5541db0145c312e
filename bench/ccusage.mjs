// ccusage, the tool users pick instead, for the benches to run side by side with ours. Not a dev
// dependency: ccusage 20 lists per-platform optional packages that not every registry mirror
// carries, and a lock file without them makes `npm ci` fail. The bench installs the pinned version
// into .bench-tools/ (ignored by git) the first time, from the npm registry, and reuses it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CCUSAGE_VERSION = '20.0.24';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The path of ccusage's JavaScript entry (run it with process.execPath), installed if need be. */
export function ensureCcusage(version = CCUSAGE_VERSION) {
  const prefix = path.join(ROOT, '.bench-tools', `ccusage-${version}`);
  const bin = path.join(prefix, 'node_modules', '.bin', 'ccusage');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(prefix, { recursive: true });
    fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}\n');
    console.log(`  installing ccusage ${version} into .bench-tools/ (npm registry, once)`);
    const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `ccusage@${version}`], { cwd: prefix, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !fs.existsSync(bin)) throw new Error(`could not install ccusage@${version} into ${prefix} (npm exit ${r.status})`);
  }
  return fs.realpathSync(bin);
}
