// The Node versions the project is tested on, and where to find them. These machines (and many
// users' distributions) carry an older Node as `node`; Node 20 reached its end of life on
// 2026-04-30. When the running Node is not the version asked for, the pinned build is taken
// from the npm registry's node-<platform>-<arch> package into .node/<version>/ (ignored by git)
// once, and reused after that. Nothing is downloaded from anywhere but the npm registry.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Pinned: a test run on "Node 24" is always the same build. Update both together with the README. */
export const PINNED = { 22: '22.23.3', 24: '24.21.0' };
export const MIN_MAJOR = 22;

export function majorOf(version) {
  return Number(String(version).replace(/^v/, '').split('.')[0]);
}

function packageName() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${platform}-${process.arch}`;
}

/** The node binary inside .node/<version>/ (which may not exist yet). */
export function localNodePath(version) {
  const bin = process.platform === 'win32' ? 'node.exe' : path.join('bin', 'node');
  return path.join(ROOT, '.node', version, 'node_modules', packageName(), bin);
}

/**
 * A node binary of the given major version: this process's own when it is that major, else
 * the pinned build under .node/, installed from the npm registry the first time.
 * @param {number} major
 * @param {{ quiet?: boolean }} [options]
 */
export function ensureNode(major, options = {}) {
  if (majorOf(process.version) === major) return process.execPath;
  const version = PINNED[major];
  if (!version) throw new Error(`no pinned Node ${major} (pinned: ${Object.keys(PINNED).join(', ')})`);
  const binary = localNodePath(version);
  if (fs.existsSync(binary)) return binary;
  const prefix = path.join(ROOT, '.node', version);
  fs.mkdirSync(prefix, { recursive: true, mode: 0o755 });
  // A package.json of its own, so npm installs here and not into the project above.
  fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}\n');
  if (!options.quiet) console.error(`node-runtime: installing Node ${version} (${packageName()}@${version} from the npm registry) into .node/${version}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `${packageName()}@${version}`], {
    cwd: prefix,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 || !fs.existsSync(binary)) {
    throw new Error(`could not install Node ${version} from the npm registry (${packageName()}@${version}; npm exit ${result.status ?? result.signal})`);
  }
  return binary;
}

/** The Node to run the project with: this one when it is new enough, else the pinned Node 24. */
export function ensureSupportedNode(options = {}) {
  return majorOf(process.version) >= MIN_MAJOR ? process.execPath : ensureNode(24, options);
}

/** PATH with the given node's folder first, so `node` and npm's scripts run on it. */
export function pathWith(nodeBinary, env = process.env) {
  return `${path.dirname(nodeBinary)}${path.delimiter}${env.PATH ?? ''}`;
}

// `node scripts/node-runtime.mjs 24` prints the binary's path (installing it if need be).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const major = Number(process.argv[2] ?? 24);
  try {
    console.log(ensureNode(major));
  } catch (err) {
    console.error(`node-runtime: ${err.message}`);
    process.exit(1);
  }
}
