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
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on('close', (code, signal) => {
  const ran = /(?:ℹ|#) tests (\d+)/.exec(tail);
  const passed = /(?:ℹ|#) pass (\d+)/.exec(tail);
  const failed = /(?:ℹ|#) fail (\d+)/.exec(tail);
  if (!ran || Number(ran[1]) === 0) {
    console.error('run-tests: the test runner ran no test');
    process.exit(1);
  }
  console.log(`${passed?.[1] ?? 0} passed, ${failed?.[1] ?? 0} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
