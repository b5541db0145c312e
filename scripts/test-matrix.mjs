// `npm test`: typecheck and build once, then the whole suite on Node 22 and on Node 24, one after
// the other (the pinned builds from scripts/node-runtime.mjs when the system's Node is another
// version). Each run is scripts/run-tests.mjs on that Node, with that Node first on PATH so that
// everything the tests spawn runs on it too. Prints each run's pass line and time, then the sum
// as the last line; exits non-zero when any run failed or ran no test.
//
//   node scripts/test-matrix.mjs [--node 22|24]... [--no-build] [test/file.test.ts ...]
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureNode, PINNED, pathWith, ROOT } from './node-runtime.mjs';

const args = process.argv.slice(2);
const majors = [];
const files = [];
let build = true;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--node') majors.push(Number(args[++i]));
  else if (arg === '--no-build') build = false;
  else if (arg === '--help' || arg === '-h') {
    console.log('Usage: node scripts/test-matrix.mjs [--node 22|24]... [--no-build] [test/file.test.ts ...]');
    process.exit(0);
  } else if (arg.startsWith('-')) {
    console.error(`test-matrix: unknown option ${arg}`);
    process.exit(2);
  } else files.push(arg);
}
if (majors.length === 0) majors.push(...Object.keys(PINNED).map(Number));

function run(command, argv, env = process.env) {
  const result = spawnSync(command, argv, { cwd: ROOT, stdio: 'inherit', env });
  return result.status ?? 1;
}

// Node binaries first: a missing one fails before minutes of tests, not after.
const nodes = majors.map((major) => ({ major, binary: ensureNode(major) }));

if (build) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  if (run(npm, ['run', '--silent', 'typecheck']) !== 0) process.exit(1);
  if (run(npm, ['run', '--silent', 'build']) !== 0) process.exit(1);
}

const results = [];
for (const { major, binary } of nodes) {
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== test suite on Node ${version} (${binary}) ===\n`);
  const started = Date.now();
  // Streamed as it runs (a run takes minutes); the tail is kept to read its pass line.
  const child = await new Promise((resolve, reject) => {
    const proc = spawn(binary, [path.join(ROOT, 'scripts', 'run-tests.mjs'), ...files], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PATH: pathWith(binary) },
    });
    let tail = '';
    proc.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    proc.on('error', reject);
    proc.on('close', (status) => resolve({ status, stdout: tail }));
  });
  const seconds = (Date.now() - started) / 1000;
  const line = /^(\d+) passed, (\d+) failed$/m.exec(String(child.stdout ?? '').split('\n').slice(-5).join('\n'));
  results.push({
    version,
    passed: line ? Number(line[1]) : 0,
    failed: line ? Number(line[2]) : 0,
    ok: child.status === 0 && line !== null,
    seconds,
  });
}

console.log('\n=== summary ===');
for (const r of results) {
  console.log(`Node ${r.version}: ${r.passed} passed, ${r.failed} failed in ${Math.floor(r.seconds / 60)}m ${Math.round(r.seconds % 60)}s${r.ok ? '' : '  FAILED'}`);
}
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
