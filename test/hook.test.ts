// The hook as a process: what Claude Code runs on every event.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, HOOK, ROOT, runHook, runProcess, sandbox, spoolFiles } from './helpers.ts';

const PAYLOAD_NAME = /^\d{13}-\d+-[0-9a-f]+\.json$/;

test('copies every fixture payload byte for byte, 0600 files in 0700 folders, prints {}', async (t) => {
  const sb = sandbox(t);
  const sources = fs.readdirSync(path.join(FIXTURES, 'payloads')).sort();
  for (const source of sources) {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'payloads', source));
    const before = Date.now();
    const r = await runHook(bytes, ['--spool', sb.spool]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '{}\n');
    assert.equal(r.stderr, '');
    const files = spoolFiles(sb, 'incoming');
    const name = files.at(-1)!;
    assert.match(name, PAYLOAD_NAME);
    const ms = Number(name.slice(0, 13));
    assert.ok(ms >= before - 5 && ms <= Date.now() + 5, 'the id carries the receive time');
    const file = path.join(sb.spool, 'incoming', name);
    assert.deepEqual(fs.readFileSync(file), bytes);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  }
  assert.equal(spoolFiles(sb, 'incoming').length, sources.length);
  for (const sub of ['', 'incoming', 'processing', 'dead']) {
    assert.equal(fs.statSync(path.join(sb.spool, sub)).mode & 0o777, 0o700, `spool/${sub}`);
  }
});

test('bytes that are not JSON are still copied unchanged (the worker judges them)', async (t) => {
  const sb = sandbox(t);
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x0a]);
  const r = await runHook(bytes, ['--spool', sb.spool]);
  assert.equal(r.code, 0);
  const [name] = spoolFiles(sb, 'incoming');
  assert.deepEqual(fs.readFileSync(path.join(sb.spool, 'incoming', name!)), bytes);
});

test('the spool comes from CLAUDE_METRICS_SPOOL when no --spool is given', async (t) => {
  const sb = sandbox(t);
  const r = await runHook('{"session_id":"env"}', [], { CLAUDE_METRICS_SPOOL: sb.spool });
  assert.equal(r.code, 0);
  assert.equal(spoolFiles(sb, 'incoming').length, 1);
});

test('without flag or environment the spool is <package>/spool', async (t) => {
  const incoming = path.join(ROOT, 'spool', 'incoming');
  const before = new Set(fs.existsSync(incoming) ? fs.readdirSync(incoming) : []);
  const env = { ...process.env };
  delete env.CLAUDE_METRICS_SPOOL;
  const r = await runHook('{"session_id":"default-spool"}', [], { CLAUDE_METRICS_SPOOL: '' });
  assert.equal(r.code, 0, r.stderr);
  const added = fs.readdirSync(incoming).filter((f) => !before.has(f));
  t.after(() => added.forEach((f) => fs.rmSync(path.join(incoming, f), { force: true })));
  assert.equal(added.length, 1);
  assert.equal(fs.readFileSync(path.join(incoming, added[0]!), 'utf8'), '{"session_id":"default-spool"}');
});

test('an unwritable spool: one line on stderr, exit 0, nothing else', async (t) => {
  const sb = sandbox(t);
  const blocker = path.join(sb.dir, 'a-file');
  fs.writeFileSync(blocker, 'not a directory');
  const r = await runHook('{"session_id":"x"}', ['--spool', path.join(blocker, 'spool')]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^claude-metrics-hook: cannot write to spool .*ENOTDIR.*\(payload not spooled\)\n$/);
});

test('a read-only spool folder is reported, not fatal', async (t) => {
  const sb = sandbox(t);
  fs.mkdirSync(path.join(sb.spool, 'incoming'), { recursive: true });
  // Root ignores permission bits, so make the folder a file's child instead when running as root.
  const target = process.getuid?.() === 0 ? path.join(sb.spool, 'incoming', 'x') : sb.spool;
  if (process.getuid?.() === 0) fs.writeFileSync(target, '');
  else fs.chmodSync(path.join(sb.spool, 'incoming'), 0o500);
  const r = await runHook('{"session_id":"x"}', ['--spool', target]);
  assert.equal(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /payload not spooled/);
});

test('empty stdin: one line on stderr, exit 0, no file', async (t) => {
  const sb = sandbox(t);
  const r = await runHook('', ['--spool', sb.spool]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /^claude-metrics-hook: empty stdin/);
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);
});

/**
 * The hook (after `nodeArgs`) with a 400 ms stdin bound and a stdin that never closes, having
 * sent `written`: its exit code and stderr once it gave up.
 */
async function runWithOpenStdin(nodeArgs: string[], spool: string, written = ''): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [...nodeArgs, HOOK, '--spool', spool], {
    env: { ...process.env, CLAUDE_METRICS_HOOK_TIMEOUT_MS: '400' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (written !== '') child.stdin.write(written);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  child.stdin.destroy();
  return { code, stderr };
}

test('a stdin that never closes: gives up within the time bound, exit 0', async (t) => {
  const sb = sandbox(t);
  const started = Date.now();
  const { code, stderr } = await runWithOpenStdin([], sb.spool);
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 5000, 'exited promptly');
  assert.match(stderr, /stdin stayed open and empty for 400 ms/);
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);
});

test('a stdin that sends a payload but never closes: what arrived is spooled', async (t) => {
  const sb = sandbox(t);
  const { code, stderr } = await runWithOpenStdin([], sb.spool, '{"session_id":"slow"}');
  assert.equal(code, 0);
  assert.match(stderr, /stdin not closed after 400 ms; spooled the 21 bytes read/);
  const [name] = spoolFiles(sb, 'incoming');
  assert.equal(fs.readFileSync(path.join(sb.spool, 'incoming', name!), 'utf8'), '{"session_id":"slow"}');
});

test('a hook whose timer expired before its first read still spools a payload that was waiting', async (t) => {
  const sb = sandbox(t);
  // A 1 ms bound has always passed by the first turn of the event loop, as for a hook starved of
  // CPU for longer than the real bound: the payload and EOF are already there and must be taken.
  for (let i = 0; i < 5; i++) {
    const r = await runHook(`{"session_id":"starved-${i}"}`, ['--spool', sb.spool], { CLAUDE_METRICS_HOOK_TIMEOUT_MS: '1' });
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
  }
  assert.equal(spoolFiles(sb, 'incoming').length, 5);
});

test('stdin as a regular file or a FIFO is copied whole; as a FIFO that never closes, within the bound', async (t) => {
  const sb = sandbox(t);
  const payload = fs.readFileSync(path.join(FIXTURES, 'payloads', fs.readdirSync(path.join(FIXTURES, 'payloads')).find((n) => n.endsWith('SessionEnd.json'))!));
  const file = path.join(sb.dir, 'payload.json');
  fs.writeFileSync(file, payload);
  const fromFile = await runWithStdin(fs.openSync(file, 'r'), ['--spool', sb.spool]);
  assert.deepEqual([fromFile.code, fromFile.stderr, fromFile.stdout], [0, '', '{}\n']);
  const fifo = path.join(sb.dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // The writer opens the FIFO, writes and closes; the hook's end opens it as its stdin.
  const writer = spawn('sh', ['-c', `cat ${JSON.stringify(file)} > ${JSON.stringify(fifo)}`], { stdio: 'ignore' });
  const written = new Promise((resolve) => writer.on('close', resolve));
  const fromFifo = await runWithStdin(fs.openSync(fifo, 'r'), ['--spool', sb.spool]);
  assert.equal(await written, 0);
  assert.deepEqual([fromFifo.code, fromFifo.stderr, fromFifo.stdout], [0, '', '{}\n']);
  const names = spoolFiles(sb, 'incoming');
  assert.equal(names.length, 2);
  for (const name of names) assert.ok(fs.readFileSync(path.join(sb.spool, 'incoming', name)).equals(payload));
  // A FIFO held open by a writer that sends nothing: the bound ends the wait, no file.
  const holder = fs.openSync(fifo, fs.constants.O_RDWR); // keeps a writer open without blocking
  t.after(() => fs.closeSync(holder));
  const stuck = await runWithStdin(fs.openSync(fifo, 'r'), ['--spool', sb.spool], { CLAUDE_METRICS_HOOK_TIMEOUT_MS: '300' });
  assert.equal(stuck.code, 0);
  assert.match(stuck.stderr, /stdin stayed open and empty for 300 ms/);
  assert.equal(spoolFiles(sb, 'incoming').length, 2);
});

test('where Node offers no bare pipe handle (process.binding gone, or DEP0111 made loud) the hook reads through process.stdin, silently', async (t) => {
  const sb = sandbox(t);
  const noBinding = path.join(sb.dir, 'no-binding.cjs');
  fs.writeFileSync(noBinding, 'delete process.binding;\n');
  const runs = [
    await runProcess(process.execPath, ['--require', noBinding, HOOK, '--spool', sb.spool], '{"session_id":"no-binding"}'),
    await runHook('{"session_id":"pending-deprecation"}', ['--spool', sb.spool], { NODE_OPTIONS: '--pending-deprecation' }),
  ];
  for (const r of runs) assert.deepEqual([r.code, r.stderr, r.stdout], [0, '', '{}\n']);
  const ids = spoolFiles(sb, 'incoming').map((n) => JSON.parse(fs.readFileSync(path.join(sb.spool, 'incoming', n), 'utf8')).session_id);
  assert.deepEqual(ids.sort(), ['no-binding', 'pending-deprecation']);
  // The time bound still holds on that path.
  const { code, stderr } = await runWithOpenStdin(['--require', noBinding], sb.spool);
  assert.equal(code, 0);
  assert.match(stderr, /stdin stayed open and empty for 400 ms/);
});

/** The hook with `fd` (a file or FIFO, closed here once handed over) as its stdin. */
function runWithStdin(fd: number, args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runProcess> {
  return runProcess(process.execPath, [HOOK, ...args], { fd }, env);
}

test('an oversized payload is capped at 8 MiB + 1 byte and flagged', async (t) => {
  const sb = sandbox(t);
  const big = Buffer.alloc(9 * 1024 * 1024, 0x20);
  const r = await runHook(big, ['--spool', sb.spool]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /over 8 MiB/);
  const [name] = spoolFiles(sb, 'incoming');
  assert.equal(fs.statSync(path.join(sb.spool, 'incoming', name!)).size, 8 * 1024 * 1024 + 1);
});

test('--help prints usage and exits 0; an unknown flag is one stderr line, exit 0', async () => {
  const help = await runHook('', ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: claude-metrics-hook/);
  const bad = await runHook('{"session_id":"x"}', ['--nope']);
  assert.equal(bad.code, 0);
  assert.match(bad.stderr, /^claude-metrics-hook: unknown argument "--nope"/);
});

test('the hook loads neither OpenSSL (node:crypto), node:tty, worker_threads nor net and streams, nor registers signal handlers, for a piped payload', async (t) => {
  // Each costs start-up time on every Claude Code event (~4, ~2, ~1.5 and ~4 ms of a ~25 ms Node 24
  // start): the bundle maps write-file-atomic's crypto and worker_threads to stand-ins, tty is
  // loaded only when stdin is a character device, and a socket is read through libuv's bare pipe
  // handle rather than process.stdin (net.Socket and streams).
  const sb = sandbox(t);
  const loaded = path.join(sb.dir, 'loaded.json');
  const preload = path.join(sb.dir, 'record-modules.cjs');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify({ modules: process.moduleLoadList, signals: ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)) })));\n`,
  );
  for (let i = 0; i < 3; i++) {
    const r = await runProcess(process.execPath, ['--require', preload, HOOK, '--spool', sb.spool], `{"session_id":"lean-${i}"}`);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const { modules, signals } = JSON.parse(fs.readFileSync(loaded, 'utf8')) as { modules: string[]; signals: number[] };
    assert.deepEqual(signals, [0, 0, 0], 'no signal handlers registered (signal-exit is replaced by a stand-in)');
    assert.ok(modules.includes('NativeModule fs'), 'the list is the real one');
    for (const heavy of ['NativeModule crypto', 'NativeModule tty', 'NativeModule worker_threads', 'NativeModule net', 'NativeModule stream']) {
      assert.ok(!modules.includes(heavy), `${heavy} was loaded`);
    }
  }
  // Three writes from three processes: three distinct, complete payloads and no temp file left.
  const names = spoolFiles(sb, 'incoming');
  assert.equal(names.length, 3);
  assert.deepEqual(names.map((n) => JSON.parse(fs.readFileSync(path.join(sb.spool, 'incoming', n), 'utf8')).session_id).sort(), ['lean-0', 'lean-1', 'lean-2']);
});

test('a spool under /proc (where mkdir answers ENOENT for a parent that exists): one stderr line, exit 0, no hang', { timeout: 30_000 }, async () => {
  // Node's recursive mkdir loops forever on that answer; the hook makes its folders itself.
  const started = Date.now();
  const r = await runProcess(process.execPath, [HOOK, '--spool', `/proc/cm-no-such-${process.pid}/spool`], '{"session_id":"proc"}', {});
  assert.equal(r.code, 0);
  assert.ok(Date.now() - started < 20_000, 'ended');
  assert.match(r.stderr, /^claude-metrics-hook: cannot write to spool \/proc\/cm-no-such-\d+\/spool: ENOENT.*\(payload not spooled\)\n$/);
});
