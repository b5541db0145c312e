// The worker under real concurrency and real signals: concurrent hook processes, SIGKILL
// mid-drain, SIGTERM, another connection holding the write lock, two workers on one spool.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { CLI, drain, event, ledgerCount, query, runHook, runProcess, sandbox, spoolFiles, spoolPayload, startWorker, waitUntil } from './helpers.ts';

const require = createRequire(import.meta.url);

test('200 concurrent hook processes into a watching worker: all applied, once', async (t) => {
  const sb = sandbox(t);
  const worker = await startWorker(sb, ['--rescan-ms', '60000']); // the watcher alone must find them
  t.after(() => worker.child.kill('SIGKILL'));
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => runHook(JSON.stringify(event(`burst-${i % 20}`, 'Stop', { n: i })), ['--spool', sb.spool])),
  );
  assert.ok(results.every((r) => r.code === 0 && r.stdout === '{}\n'), 'every hook exited 0 with {}');
  await waitUntil(() => ledgerCount(sb.db) === 200, 30_000, () => `200 rows, have ${ledgerCount(sb.db)}`);
  assert.equal(query(sb.db, 'SELECT count(DISTINCT id) AS n FROM payloads')[0]!.n, 200);
  await waitUntil(() => spoolFiles(sb, 'incoming').length === 0 && spoolFiles(sb, 'processing').length === 0);
  worker.child.kill('SIGTERM');
  assert.deepEqual(await worker.exited, { code: 0, signal: null });
  assert.doesNotMatch(worker.stderr(), /error/);
});

test('incoming/ removed under a watching worker: recreated, and the rescan finds new payloads', async (t) => {
  const sb = sandbox(t);
  const worker = await startWorker(sb, ['--rescan-ms', '200']);
  t.after(() => worker.child.kill('SIGKILL'));
  // The watch was on the old folder's inode: only the directory rescan can see the new one.
  fs.rmSync(path.join(sb.spool, 'incoming'), { recursive: true });
  const r = await runHook(JSON.stringify(event('after-rm', 'Stop')), ['--spool', sb.spool]);
  assert.equal(r.code, 0);
  await waitUntil(() => ledgerCount(sb.db) === 1, 10_000, () => `the payload applied; worker said: ${worker.stderr()}`);
  assert.equal(worker.child.exitCode, null, 'the worker is still running');
  worker.child.kill('SIGTERM');
  assert.equal((await worker.exited).code, 0);
});

test('SIGKILL at random moments of a drain, restarted each time: exact in the end', async (t) => {
  const sb = sandbox(t);
  const total = 4000;
  for (let i = 0; i < total; i++) spoolPayload(sb, i % 10 === 0 ? event(`k-${i % 50}`, 'SessionEnd', { reason: 'logout' }) : event(`k-${i % 50}`, 'Stop'));
  let kills = 0;
  for (let round = 0; round < 40; round++) {
    const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--spool', sb.spool, '--db', sb.db, '--batch-size', '50'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const killAt = 60 + Math.floor(Math.random() * 120);
    const timer = setTimeout(() => child.kill('SIGKILL'), killAt);
    const code = await exited;
    clearTimeout(timer);
    if (code === 0) break;
    kills++;
  }
  const final = drain(sb);
  assert.equal(final.code, 0, final.stderr);
  assert.ok(kills >= 3, `the worker was killed mid-drain (${kills} kills)`);
  assert.equal(ledgerCount(sb.db), total);
  assert.equal(query(sb.db, 'SELECT count(DISTINCT id) AS n FROM payloads')[0]!.n, total);
  assert.equal(query(sb.db, 'SELECT count(*) AS n FROM sessions')[0]!.n, 50);
  // Sessions k-0, k-10, … k-40 got SessionEnd payloads (i % 10 === 0).
  assert.equal(query(sb.db, 'SELECT count(*) AS n FROM sessions WHERE end_reason IS NOT NULL')[0]!.n, 5);
  // Without transcripts a session spans its first to last payload, whatever order the restarts applied them in.
  const mismatched = query(sb.db, `SELECT s.session_id FROM sessions s JOIN
      (SELECT session_id, min(received_at) AS first, max(received_at) AS last FROM payloads GROUP BY session_id) p
      USING (session_id) WHERE s.start_time IS NOT p.first OR s.end_time IS NOT p.last`);
  assert.deepEqual(mismatched, []);
  assert.deepEqual(spoolFiles(sb, 'incoming').filter((f) => f.endsWith('.json')), []);
  assert.deepEqual(spoolFiles(sb, 'processing'), []);
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
});

test('SIGTERM: the watching worker finishes its transaction, exits 0, the rest stays queued', async (t) => {
  const sb = sandbox(t);
  const total = 3000;
  const worker = await startWorker(sb, ['--batch-size', '20']);
  t.after(() => worker.child.kill('SIGKILL'));
  for (let i = 0; i < total; i++) spoolPayload(sb, event(`t-${i % 10}`, 'Stop'));
  await waitUntil(() => ledgerCount(sb.db) > 0, 10_000);
  worker.child.kill('SIGTERM');
  assert.deepEqual(await worker.exited, { code: 0, signal: null });
  assert.match(worker.stderr(), /worker stopping signal=SIGTERM/);
  const applied = ledgerCount(sb.db);
  const waiting = spoolFiles(sb, 'incoming').length;
  assert.deepEqual(spoolFiles(sb, 'processing'), [], 'nothing left half-claimed');
  assert.equal(applied + waiting, total, `applied ${applied} + waiting ${waiting}`);
  assert.match(drain(sb).stdout, new RegExp(`applied ${waiting},`));
  assert.equal(ledgerCount(sb.db), total);
});

test('SIGTERM mid-batch in a drain: the chunks being claimed are applied and committed, nothing is left claimed', async (t) => {
  const sb = sandbox(t);
  const total = 6000;
  for (let i = 0; i < total; i++) spoolPayload(sb, event(`d-${i % 40}`, 'Stop'));
  // Default batches of 1,000: each is claimed 100 at a time on the claimer thread, so a stop
  // lands while chunks are in flight.
  const child = spawn(process.execPath, [CLI, 'worker', '--drain', '--spool', sb.spool, '--db', sb.db, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitUntil(() => spoolFiles(sb, 'processing').length > 0, 30_000, () => 'a claim under way');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stderr, /"msg":"worker stopping"/);
  assert.deepEqual(spoolFiles(sb, 'processing'), [], 'nothing left claimed');
  const applied = ledgerCount(sb.db);
  const waiting = spoolFiles(sb, 'incoming').length;
  assert.ok(waiting > 0, 'the drain stopped early');
  assert.equal(applied + waiting, total, `applied ${applied} + waiting ${waiting}`);
  assert.match(drain(sb).stdout, new RegExp(`applied ${waiting},`));
  assert.equal(ledgerCount(sb.db), total);
});

test('another connection holds an exclusive lock for seconds: retried, nothing dead-lettered', async (t) => {
  const sb = sandbox(t);
  spoolPayload(sb, event('first', 'SessionStart'));
  assert.equal(drain(sb).code, 0);
  for (let i = 0; i < 300; i++) spoolPayload(sb, event(`lock-${i % 5}`, 'Stop'));
  // A second process takes the write lock (BEGIN EXCLUSIVE) and holds it for 3 s.
  const holder = spawn(process.execPath, ['-e', `
    const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
    const db = new Database(${JSON.stringify(sb.db)});
    db.exec('BEGIN EXCLUSIVE');
    db.prepare("INSERT INTO payloads VALUES ('lock-holder', 'x', 'x', 'x', 'x')").run();
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, 3000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  const started = Date.now();
  const r = await runProcess(process.execPath, [CLI, 'worker', '--drain', '--spool', sb.spool, '--db', sb.db], null);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - started >= 2500, 'the drain waited for the lock');
  assert.match(r.stdout, /applied 300, dead-lettered 0, retried [1-9]/);
  assert.match(r.stderr, /batch will be retried .*SQLITE_BUSY/);
  assert.equal(ledgerCount(sb.db), 302);
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
});

test('a watching worker and a --drain on the same spool at once: each payload applied once', async (t) => {
  const sb = sandbox(t);
  const worker = await startWorker(sb, ['--batch-size', '25', '--rescan-ms', '100']);
  t.after(() => worker.child.kill('SIGKILL'));
  const total = 2000;
  const writer = (async () => {
    for (let i = 0; i < total; i++) {
      spoolPayload(sb, event(`both-${i % 30}`, 'Stop'));
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const drains: Array<Promise<{ code: number | null; stdout: string }>> = [];
  for (let i = 0; i < 3; i++) {
    drains.push(runProcess(process.execPath, [CLI, 'worker', '--drain', '--batch-size', '25', '--spool', sb.spool, '--db', sb.db], null));
    await new Promise((r) => setTimeout(r, 30));
  }
  await writer;
  const results = await Promise.all(drains);
  assert.ok(results.every((r) => r.code === 0));
  await waitUntil(() => ledgerCount(sb.db) === total, 30_000, () => `${total} rows, have ${ledgerCount(sb.db)}`);
  await waitUntil(() => spoolFiles(sb, 'incoming').length === 0 && spoolFiles(sb, 'processing').length === 0);
  assert.equal(query(sb.db, 'SELECT count(DISTINCT id) AS n FROM payloads')[0]!.n, total);
  const drained = results.reduce((n, r) => n + Number(/applied (\d+)/.exec(r.stdout)?.[1] ?? 0), 0);
  assert.ok(drained > 0, 'the drains applied some');
  worker.child.kill('SIGTERM');
  assert.equal((await worker.exited).code, 0);
  assert.deepEqual(spoolFiles(sb, 'dead'), []);
});

test('a second watching worker on the same spool says so and exits 3; the lock dies with its holder', async (t) => {
  const sb = sandbox(t);
  const first = await startWorker(sb, [], 'worker ready');
  t.after(() => first.child.kill('SIGKILL'));
  const second = await runProcess(process.execPath, [CLI, 'worker', '--spool', sb.spool, '--db', sb.db], null);
  assert.equal(second.code, 3);
  assert.match(second.stderr, new RegExp(`another worker is already watching this spool \\(pid ${first.child.pid}`));
  // The first one still works, and a --drain beside it is still allowed (and leaves its claims alone).
  spoolPayload(sb, event('lock-1', 'Stop'));
  const drained = drain(sb);
  assert.equal(drained.code, 0, drained.stderr);
  await waitUntil(() => ledgerCount(sb.db) === 1);
  // SIGKILL: no clean-up runs, yet the kernel drops the lock with the process.
  first.child.kill('SIGKILL');
  await first.exited;
  const third = await startWorker(sb, [], 'worker ready');
  t.after(() => third.child.kill('SIGKILL'));
  assert.equal(third.child.exitCode, null);
  third.child.kill('SIGTERM');
  assert.equal((await third.exited).code, 0);
});

test('logs: JSON lines with --log-format json, a line per batch not per payload, dead letters with their reason', async (t) => {
  const sb = sandbox(t);
  for (let i = 0; i < 300; i++) spoolPayload(sb, event(`log-${i % 7}`, 'Stop'));
  spoolPayload(sb, '{"hook_event_name": "Stop"}');
  const r = drain(sb, ['--log-format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { time: string; level: string; msg: string; [k: string]: unknown });
  assert.ok(lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string' && typeof l.msg === 'string'));
  assert.deepEqual(lines.map((l) => l.msg), ['worker starting', 'worker ready', 'dead-lettered', 'batch applied'], '301 payloads, one batch: four lines');
  const dead = lines.find((l) => l.msg === 'dead-lettered')!;
  assert.equal(dead.level, 'warn');
  assert.match(String(dead.reason), /session_id/);
  const batch = lines.find((l) => l.msg === 'batch applied')!;
  assert.equal(batch.applied, 300);
  assert.equal(batch.dead_lettered, 1);
  assert.match(r.stdout, /^drained: applied 300, dead-lettered 1, retried 0/);
});

test('a drain shows progress on a terminal and stays quiet when piped', async (t) => {
  const sb = sandbox(t);
  for (let i = 0; i < 50; i++) spoolPayload(sb, event(`tty-${i}`, 'Stop'));
  // script(1) gives the drain a pseudo-terminal, as a user's shell would.
  const command = [process.execPath, CLI, 'worker', '--drain', '--batch-size', '10', '--spool', sb.spool, '--db', sb.db].map((w) => `'${w}'`).join(' ');
  const tty = await runProcess('script', ['-qec', command, '/dev/null'], null);
  assert.equal(tty.code, 0, tty.stdout);
  assert.match(tty.stdout, /\rdraining: 50 applied, 0 dead-lettered, 0 queued/);
  assert.doesNotMatch(tty.stdout, /worker starting/, 'progress replaces the info lines on a terminal');
  for (let i = 0; i < 50; i++) spoolPayload(sb, event(`pipe-${i}`, 'Stop'));
  const piped = drain(sb, ['--batch-size', '10']);
  assert.equal(piped.code, 0);
  assert.doesNotMatch(piped.stderr, /draining:/);
  assert.match(piped.stdout, /^drained: applied 50,/);
});

test('a worker.lock that is not a database: the drain still recovers processing/, a watcher still runs (both warn)', async (t) => {
  const sb = sandbox(t);
  spoolPayload(sb, event('garbage-lock', 'Stop'));
  fs.mkdirSync(path.join(sb.spool, 'processing'), { recursive: true });
  const [name] = spoolFiles(sb, 'incoming');
  fs.renameSync(path.join(sb.spool, 'incoming', name!), path.join(sb.spool, 'processing', name!)); // a dead worker's claim
  fs.writeFileSync(path.join(sb.spool, 'worker.lock'), 'not a database\n');
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied 1, .*recovered 1/);
  assert.match(r.stderr, /warn cannot probe the worker lock/);
  const w = await startWorker(sb, [], 'worker ready');
  t.after(() => w.child.kill('SIGKILL'));
  assert.match(w.stderr(), /warn cannot take the worker lock; running without it/);
  spoolPayload(sb, event('garbage-lock-2', 'Stop'));
  await waitUntil(() => ledgerCount(sb.db) === 2);
  w.child.kill('SIGTERM');
  assert.equal((await w.exited).code, 0);
});
