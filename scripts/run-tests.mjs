// Runs every test/*.test.ts with node's test runner (through tsx), listing the files
// explicitly because Node 20 neither expands globs nor finds .ts files, and fails when the
// runner reports that no test ran.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const files = (process.argv.length > 2 ? process.argv.slice(2) : fs.readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${f}`));
if (files.length === 0) {
  console.error('run-tests: no test files found in test/');
  process.exit(1);
}
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
// The runner's summary lines (ℹ tests N, ℹ pass N, ℹ fail N; '# tests N' from TAP) are picked out
// of the stream line by line: the failing tests' details may follow them at any length.
const summary = {};
let partial = '';
child.stdout.setEncoding('utf8'); // a chunk may end inside a multi-byte character (ℹ)
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    const m = /^(?:ℹ|#) (tests|pass|fail) (\d+)\s*$/.exec(line);
    if (m) summary[m[1]] = Number(m[2]);
  }
});
child.on('close', (code, signal) => {
  if (!summary.tests) {
    console.error('run-tests: the test runner ran no test');
    process.exit(1);
  }
  console.log(`${summary.pass ?? 0} passed, ${summary.fail ?? 0} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
