// The short version of every reliability scenario (npm run reliability runs the full ones): real
// hook and worker processes under load, crashes, locks, full disks and hostile input.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.ts';

test('reliability scenarios, short versions: nothing lost, nothing applied twice', { timeout: 600_000 }, async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'reliability', 'run.mjs')], {
    env: { ...process.env, RELIABILITY_SHORT: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  assert.match(stdout, /^lost: 0, duplicated: 0$/m);
  assert.doesNotMatch(stdout, /ERROR:/);
  // Every scenario reported at least one row of ours.
  for (const title of stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario') && !l.startsWith('| ---'))) {
    assert.doesNotMatch(title, /\| NaN \|/);
  }
});
