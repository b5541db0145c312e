// The claim step on its thread: the real dist/claimer.js against a real spool (claimed, rejected,
// lost, an error that stops the chunk), and a thread that dies (test/support/dying-claimer-thread.mjs,
// a real worker thread that exits): requests in flight fail, the death is reported, the next
// request starts a new thread.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { Claimer, bytesOf, claimError } from '../src/worker/claimer.ts';
import { classifyFailure } from '../src/worker/errors.ts';
import { spoolDirs } from '../src/shared/spool-layout.ts';
import { ROOT, payloadId, sandbox } from './helpers.ts';

const REAL_THREAD = pathToFileURL(path.join(ROOT, 'dist', 'claimer.js'));
const DYING_THREAD = pathToFileURL(path.join(ROOT, 'test', 'support', 'dying-claimer-thread.mjs'));

function spoolWith(t: Parameters<typeof sandbox>[0]) {
  const sb = sandbox(t);
  const dirs = spoolDirs(sb.spool);
  for (const d of [dirs.incoming, dirs.processing, dirs.dead]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  return dirs;
}

test('claimer thread: claims and reads in order; a symlink is rejected, a vanished name lost', async (t) => {
  const dirs = spoolWith(t);
  const deaths: Error[] = [];
  const claimer = new Claimer(dirs, (err) => deaths.push(err), REAL_THREAD);
  t.after(() => claimer.close());
  const a = `${payloadId(1795462831001)}.json`;
  const b = `${payloadId(1795462831002)}.json`;
  const link = `${payloadId(1795462831003)}.json`;
  const gone = `${payloadId(1795462831004)}.json`;
  fs.writeFileSync(path.join(dirs.incoming, a), '{"session_id":"a"}', { mode: 0o600 });
  fs.writeFileSync(path.join(dirs.incoming, b), '{"session_id":"bb"}', { mode: 0o600 });
  fs.symlinkSync('/etc/passwd', path.join(dirs.incoming, link));
  // Two requests in flight at once, answered in the order asked.
  const [first, second] = await Promise.all([claimer.claim([a, link]), claimer.claim([gone, b])]);
  assert.deepEqual(first.files.map((f) => [f.name, f.kind]), [[a, 'bytes'], [link, 'rejected']]);
  assert.deepEqual(second.files.map((f) => [f.name, f.kind]), [[gone, 'lost'], [b, 'bytes']]);
  const fa = first.files[0]!;
  const fb = second.files[1]!;
  assert.ok(fa.kind === 'bytes' && fb.kind === 'bytes');
  assert.equal(bytesOf(first, fa).toString(), '{"session_id":"a"}');
  assert.equal(bytesOf(second, fb).toString(), '{"session_id":"bb"}');
  const rejected = first.files[1]!;
  assert.ok(rejected.kind === 'rejected' && /symlink/.test(rejected.reason));
  // Claimed means moved: everything claimed is in processing/, the symlink still a symlink.
  assert.deepEqual(fs.readdirSync(dirs.incoming), []);
  assert.deepEqual(fs.readdirSync(dirs.processing).sort(), [a, b, link].sort());
  assert.ok(fs.lstatSync(path.join(dirs.processing, link)).isSymbolicLink());
  assert.deepEqual(deaths, []);
});

test('claimer thread: an error stops the chunk there and keeps its code for the failure classes', async (t) => {
  const dirs = spoolWith(t);
  const claimer = new Claimer(dirs, () => assert.fail('the thread must not die'), REAL_THREAD);
  t.after(() => claimer.close());
  const a = `${payloadId(1795462831001)}.json`;
  const b = `${payloadId(1795462831002)}.json`;
  const c = `${payloadId(1795462831003)}.json`;
  for (const n of [a, b, c]) fs.writeFileSync(path.join(dirs.incoming, n), '{"session_id":"x"}');
  // processing/<b> is a non-empty directory: renaming a file onto it fails (EISDIR).
  fs.mkdirSync(path.join(dirs.processing, b, 'x'), { recursive: true });
  const reply = await claimer.claim([a, b, c]);
  assert.deepEqual(reply.files.map((f) => f.name), [a]);
  assert.equal(reply.error?.name, b);
  assert.equal(reply.error?.claimed, false);
  assert.equal(reply.error?.code, 'EISDIR');
  assert.equal(claimError(reply.error!).code, 'EISDIR');
  assert.ok(fs.existsSync(path.join(dirs.incoming, c)), 'the name after the error was not touched');
  // The code crosses the thread boundary intact, so the failure classes still apply.
  assert.equal(classifyFailure(claimError({ name: c, claimed: false, code: 'EIO', message: 'x' })), 'transient');
});

test('claimer thread: a processing/ removed under the worker is made again, and the claim goes on', async (t) => {
  const dirs = spoolWith(t);
  const claimer = new Claimer(dirs, () => assert.fail('the thread must not die'), REAL_THREAD);
  t.after(() => claimer.close());
  const a = `${payloadId(1795462831001)}.json`;
  fs.writeFileSync(path.join(dirs.incoming, a), '{"session_id":"a"}');
  fs.rmSync(dirs.processing, { recursive: true });
  const reply = await claimer.claim([a]);
  assert.deepEqual(reply.files.map((f) => [f.name, f.kind]), [[a, 'bytes']]);
  assert.equal(fs.statSync(dirs.processing).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(dirs.processing), [a]);
});

test('claimer thread dies: requests in flight are rejected, the death is reported, the next request starts a new thread', async (t) => {
  const dirs = spoolWith(t);
  const deaths: Error[] = [];
  const claimer = new Claimer(dirs, (err) => deaths.push(err), DYING_THREAD);
  t.after(() => claimer.close());
  const ok = claimer.claim(['one']);
  const dies = claimer.claim(['die']);
  const after = claimer.claim(['two']); // asked of the same thread, which never answers it
  assert.deepEqual((await ok).files, [{ name: 'one', kind: 'lost' }]);
  await assert.rejects(dies, /claimer thread exited \(code 7\)/);
  await assert.rejects(after, /claimer thread exited \(code 7\)/);
  assert.equal(deaths.length, 1);
  assert.deepEqual((await claimer.claim(['three'])).files, [{ name: 'three', kind: 'lost' }]);
  assert.equal(deaths.length, 1);
});
