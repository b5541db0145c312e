// The status line as a process (dist/statusline.cjs), as Claude Code runs it: its line from a real
// database built by the worker from the fixture sessions, the snapshot spooled byte for byte, and
// every way it must still print one line and exit 0 quietly (no database, a locked one, bad or
// huge or never-closing stdin, an unwritable spool).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, ROOT, type Sandbox, runProcess, sandbox, spoolFiles } from './helpers.ts';
import { buildFixtureDb, recentCallsMs } from './support/fixture-db.ts';
import { afternoonZone, cleanEnv, rateLimits, runStatusline, snapshot, startStatusline } from './support/statusline-run.ts';

const KNOWN = 'f332c3dd-cf19-4fa4-8049-adee686fb5cd'; // $0.100293 in expected.json
const ALL_FIXTURES_USD = 0.0423881 + 0.08655 + 0.100293;

/** A database whose fixture calls were made minutes ago in this UTC hour (recentCallsMs), and the env to read it "today". */
function recentDb(t: { after: (fn: () => void) => void }): { sb: Sandbox; env: NodeJS.ProcessEnv } {
  const sb = sandbox(t);
  buildFixtureDb(sb, recentCallsMs());
  return { sb, env: cleanEnv({ TZ: afternoonZone(), CLAUDE_METRICS_CONFIG: path.join(sb.dir, 'config.json') }) };
}

function args(sb: Sandbox, extra: string[] = []): string[] {
  return ['--spool', sb.spool, '--db', sb.db, '--color', 'never', ...extra];
}

test('the line from the database: a known session exact, an unknown one marked as Claude Code’s estimate; the snapshot spooled byte for byte', async (t) => {
  const { sb, env } = recentDb(t);
  const known = Buffer.from(JSON.stringify(snapshot(KNOWN, { cost: { total_cost_usd: 9.99, total_lines_added: 12, total_lines_removed: 3 } })));
  const r = await runStatusline(known, args(sb), env);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  // The session's own row ($0.100293), not the payload's 9.99; today and the block hold all three sessions.
  assert.match(r.stdout, /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 \| block \$0\.23 4h[0-5]\dm left \| ctx 10% \| \+12\/-3\n$/);
  assert.ok(Math.abs(ALL_FIXTURES_USD - 0.2292311) < 1e-12);

  const [name] = spoolFiles(sb, 'incoming');
  assert.match(name!, /^\d{13}-\d+-[0-9a-f]+-statusline\.json$/);
  const file = path.join(sb.spool, 'incoming', name!);
  assert.deepEqual(fs.readFileSync(file), known, 'spooled unchanged');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);

  // A session the worker has not recorded: Claude Code's estimate, marked, and added to the sums that lack it.
  const unknown = await runStatusline(JSON.stringify(snapshot('not-recorded-yet')), args(sb), env);
  assert.equal(unknown.stderr, '');
  assert.match(unknown.stdout, /^Sonnet 4\.5 \| session ~\$0\.50 \| today ~\$0\.73 \| block ~\$0\.73 4h[0-5]\dm left \| ctx 10% \| \+12\/-3\n$/);
  assert.equal(spoolFiles(sb, 'incoming').length, 2);
});

test('official limits from rate_limits: five-hour used % and reset time, seven-day used %', async (t) => {
  const { sb, env } = recentDb(t);
  const now = Date.now();
  const limits = rateLimits(42.4, now + 2 * 3_600_000, 12, now + 3 * 86_400_000);
  const r = await runStatusline(JSON.stringify(snapshot(KNOWN, limits)), args(sb), env);
  assert.equal(r.stderr, '');
  // The reset time in the run's time zone, as HH:MM.
  const reset = new Intl.DateTimeFormat('en-GB', { timeZone: env.TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(now + 2 * 3_600_000));
  assert.ok(r.stdout.includes(` | 5h 42% resets ${reset} | 7d 12% | ctx 10%`), r.stdout);
});

test('no database: the payload’s figures, exit 0, nothing on stderr', async (t) => {
  const sb = sandbox(t);
  const r = await runStatusline(JSON.stringify(snapshot('s1')), args(sb), cleanEnv());
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'Sonnet 4.5 | session ~$0.50 | ctx 10% | +12/-3\n');
  assert.ok(!fs.existsSync(sb.db), 'the status line never creates the database');
  // --debug says why the costs are the payload's.
  const debug = await runStatusline(JSON.stringify(snapshot('s1')), args(sb, ['--debug']), cleanEnv());
  assert.match(debug.stderr, /no database at .*: costs from the payload only/);
  const byEnv = await runStatusline(JSON.stringify(snapshot('s1')), args(sb), cleanEnv({ CLAUDE_METRICS_STATUSLINE_DEBUG: '1' }));
  assert.match(byEnv.stderr, /took [\d.]+ ms/);
});

/** Another process holding the database: `mode` 'transaction' (BEGIN EXCLUSIVE) or 'connection' (locking_mode EXCLUSIVE). */
async function holdLock(dbFile: string, mode: 'transaction' | 'connection') {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(dbFile)});
      ${mode === 'connection' ? "db.pragma('locking_mode = EXCLUSIVE');" : ''}
      db.exec('BEGIN EXCLUSIVE');
      db.prepare("INSERT INTO payloads VALUES ('lock-holder', 'x', 'x', 'x', 'x')").run();
      ${mode === 'connection' ? "db.exec('COMMIT');" : ''}
      process.stdout.write('locked\\n');
      process.stdin.on('end', () => db.close()).resume();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  return { release: () => new Promise<void>((resolve) => holder.on('exit', () => resolve()).stdin!.end()) };
}

test('a database locked by another process: still one line at once, exit 0, nothing on stderr', async (t) => {
  const { sb, env } = recentDb(t);
  // WAL: a writer holding BEGIN EXCLUSIVE does not stop readers; the figures are there.
  const tx = await holdLock(sb.db, 'transaction');
  const r = await runStatusline(JSON.stringify(snapshot(KNOWN)), args(sb), env);
  await tx.release();
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 \|/);
  // A connection in exclusive locking mode shuts readers out: the line goes without the database.
  const exclusive = await holdLock(sb.db, 'connection');
  const blocked = await runStatusline(JSON.stringify(snapshot(KNOWN)), args(sb), env);
  const debug = await runStatusline(JSON.stringify(snapshot(KNOWN)), args(sb, ['--debug']), env);
  await exclusive.release();
  assert.equal(blocked.code, 0);
  assert.equal(blocked.stderr, '');
  assert.equal(blocked.stdout, 'Sonnet 4.5 | session ~$0.50 | ctx 10% | +12/-3\n');
  assert.ok(blocked.ms < 2000, `took ${blocked.ms} ms`);
  assert.match(debug.stderr, /cannot read .*database is locked/);
});

test('stdin that is not JSON: spooled unchanged for the worker to judge, a line from the database, exit 0', async (t) => {
  const { sb, env } = recentDb(t);
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x0a]);
  const r = await runStatusline(bytes, args(sb), env);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^today \$0\.23 \| block \$0\.23 4h[0-5]\dm left\n$/);
  const [name] = spoolFiles(sb, 'incoming');
  assert.deepEqual(fs.readFileSync(path.join(sb.spool, 'incoming', name!)), bytes);
  // Without a database either: still a line.
  const empty = sandbox(t);
  const bare = await runStatusline('not json', args(empty), cleanEnv());
  assert.equal(bare.code, 0);
  assert.equal(bare.stderr, '');
  assert.equal(bare.stdout, 'claude-metrics: no figures yet\n');
});

test('a 9 MiB stdin: not spooled, a line all the same, exit 0', async (t) => {
  const sb = sandbox(t);
  const big = Buffer.concat([Buffer.from(JSON.stringify(snapshot('big')).slice(0, -1)), Buffer.from(',"pad":"'), Buffer.alloc(9 * 1024 * 1024, 0x61), Buffer.from('"}')]);
  const r = await runStatusline(big, args(sb), cleanEnv());
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'claude-metrics: no figures yet\n');
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);
});

test('a stdin that never closes: a line within the time bound, exit 0, nothing spooled', async (t) => {
  const sb = sandbox(t);
  const child = startStatusline(args(sb), cleanEnv({ CLAUDE_METRICS_STATUSLINE_TIMEOUT_MS: '300' }));
  child.stdin!.write(JSON.stringify(snapshot('slow')));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  child.stdin!.destroy();
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 3000, 'exited promptly');
  assert.equal(stderr, '');
  assert.equal(stdout, 'claude-metrics: no figures yet\n');
  assert.deepEqual(spoolFiles(sb, 'incoming'), []);
});

test('an unwritable spool: the line all the same, exit 0, nothing on stderr', async (t) => {
  const { sb, env } = recentDb(t);
  const blocker = path.join(sb.dir, 'a-file');
  fs.writeFileSync(blocker, 'not a directory');
  const r = await runStatusline(JSON.stringify(snapshot(KNOWN)), ['--spool', path.join(blocker, 'spool'), '--db', sb.db, '--color', 'never'], env);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^Sonnet 4\.5 \| session \$0\.10 \|/);
  const debug = await runStatusline(JSON.stringify(snapshot(KNOWN)), ['--spool', path.join(blocker, 'spool'), '--db', sb.db, '--debug'], env);
  assert.match(debug.stderr, /cannot write to spool .*ENOTDIR.*\(snapshot not spooled\)/);
});

test('the spool comes from $CLAUDE_METRICS_SPOOL, and the database from $CLAUDE_METRICS_DB, without flags', async (t) => {
  const { sb, env } = recentDb(t);
  const r = await runStatusline(JSON.stringify(snapshot(KNOWN)), ['--color', 'never'], { ...env, CLAUDE_METRICS_SPOOL: sb.spool, CLAUDE_METRICS_DB: sb.db });
  assert.match(r.stdout, /session \$0\.10/);
  assert.equal(spoolFiles(sb, 'incoming').length, 1);
});

test('claude-metrics statusline is the same command; without --spool or $CLAUDE_METRICS_SPOOL the spool is <package>/spool', async (t) => {
  const { sb, env } = recentDb(t);
  const incoming = path.join(ROOT, 'spool', 'incoming');
  const before = new Set(fs.existsSync(incoming) ? fs.readdirSync(incoming) : []);
  const added = () => fs.readdirSync(incoming).filter((f) => !before.has(f));
  t.after(() => added().forEach((f) => fs.rmSync(path.join(incoming, f), { force: true })));
  const viaCli = await runProcess(process.execPath, [CLI, 'statusline', '--db', sb.db, '--color', 'never'], JSON.stringify(snapshot(KNOWN)), { ...env, CLAUDE_METRICS_SPOOL: '' });
  assert.equal(viaCli.code, 0);
  assert.equal(viaCli.stderr, '');
  assert.match(viaCli.stdout, /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 \|/);
  const viaBin = await runStatusline(JSON.stringify(snapshot(KNOWN)), ['--db', sb.db, '--color', 'never'], env);
  assert.equal(viaBin.stdout, viaCli.stdout.replace(/\d+h\d\dm/, viaBin.stdout.match(/\d+h\d\dm/)![0]));
  const spooled = added();
  assert.equal(spooled.length, 2, 'both spooled into <package>/spool');
  for (const f of spooled) assert.match(f, /-statusline\.json$/);
  const help = await runProcess(process.execPath, [CLI, 'help', 'statusline'], null);
  assert.match(help.stdout, /^Usage: claude-metrics statusline /);
});

test('the bundle stays lean: better-sqlite3 external, no Intl formatter, no node:crypto or worker_threads at load', () => {
  // The bin is a small loader; the status line itself is dist/statusline-run.cjs.
  const loader = fs.readFileSync(path.join(ROOT, 'dist', 'statusline.cjs'), 'utf8');
  assert.ok(loader.length < 8 * 1024, `loader: ${loader.length} bytes`);
  assert.doesNotMatch(loader, /require\("(node:)?(crypto|worker_threads|better-sqlite3)"\)/);
  const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'statusline-run.cjs'), 'utf8');
  // The native module stays outside (required by name when there is a database), not bundled.
  assert.ok(bundle.includes('"better-sqlite3"'));
  assert.ok(!bundle.includes('better_sqlite3.node') && !bundle.includes('SqliteError'), 'better-sqlite3 is not bundled');
  // Each costs milliseconds on every run: an Intl formatter ~5-12 ms, OpenSSL ~4 ms, worker_threads ~1.5 ms.
  assert.doesNotMatch(bundle, /\bIntl\./);
  assert.doesNotMatch(bundle, /require\("(node:)?(crypto|worker_threads)"\)/);
  assert.ok(bundle.length < 64 * 1024, `${bundle.length} bytes`);
});

test('the code cache: written once the line is out, into a private folder; used next time; a bad one rewritten; a folder open to others or a symlink neither read nor written', async (t) => {
  const { sb, env: base } = recentDb(t);
  const env = { ...base, XDG_CACHE_HOME: path.join(sb.dir, 'cache') };
  const dir = path.join(sb.dir, 'cache', 'claude-metrics', 'code-cache');
  const input = JSON.stringify(snapshot(KNOWN));
  const run = (extra: string[] = ['--debug'], e = env) => runStatusline(input, args(sb, extra), e);
  // A cache of an older build for this Node is replaced; another Node's is left alone.
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const older = path.join(dir, `statusline-${process.version}-${process.arch}-0000000000000000.bin`);
  const otherNode = path.join(dir, `statusline-v1.0.0-${process.arch}-0000000000000000.bin`);
  for (const f of [older, otherNode]) fs.writeFileSync(f, 'old');
  // A killed writer's temp file: removed once an hour old, not while another run may be writing it.
  const leftover = path.join(dir, `statusline-${process.version}-${process.arch}-0000000000000000.bin.123.tmp`);
  const writing = path.join(dir, `statusline-${process.version}-${process.arch}-0000000000000000.bin.456.tmp`);
  for (const f of [leftover, writing]) fs.writeFileSync(f, 'half');
  fs.utimesSync(leftover, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));

  const first = await run();
  assert.equal(first.code, 0);
  assert.match(first.stderr, /code cache missing\n/);
  assert.match(first.stderr, /code cache written \(\d+ bytes\)\n/);
  const names = fs.readdirSync(dir).sort();
  const name = names.find((n) => n.startsWith(`statusline-${process.version}-`) && n.endsWith('.bin'))!;
  assert.match(name, new RegExp(`^statusline-${process.version}-${process.arch}-[0-9a-f]{16}\\.bin$`));
  assert.deepEqual(names, [name, path.basename(otherNode), path.basename(writing)].sort(), 'the older build’s cache and the old temp file removed, the other Node’s and a fresh temp file kept');
  fs.rmSync(writing);
  const file = path.join(dir, name);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);

  const second = await run();
  assert.match(second.stderr, /code cache used\n/);
  assert.doesNotMatch(second.stderr, /written/);
  assert.equal(second.stdout, first.stdout);
  assert.match(second.stdout, /^Sonnet 4\.5 \| session \$0\.10 \| today \$0\.23 /);

  // Damaged: V8 refuses it, the line is the same, and the cache is written again.
  fs.writeFileSync(file, Buffer.alloc(4096, 7));
  const third = await run();
  assert.match(third.stderr, /code cache rejected\n/);
  assert.match(third.stderr, /code cache written/);
  assert.equal(third.stdout, first.stdout);
  assert.notDeepEqual(fs.readFileSync(file), Buffer.alloc(4096, 7));
  // Without --debug the same happens in silence.
  fs.writeFileSync(file, Buffer.alloc(4096, 7));
  const quiet = await run([]);
  assert.equal(quiet.stderr, '');
  assert.equal(quiet.stdout, first.stdout);
  assert.notDeepEqual(fs.readFileSync(file), Buffer.alloc(4096, 7), 'rewritten quietly');

  // A folder others may write into is not trusted: not read (the planted file stays) and not written.
  const planted = Buffer.alloc(4096, 9);
  fs.writeFileSync(file, planted);
  fs.chmodSync(dir, 0o770);
  const open = await run();
  assert.match(open.stderr, /code cache off: .*code-cache is not a private folder of this user's\n/);
  assert.doesNotMatch(open.stderr, /written/);
  assert.equal(open.stdout, first.stdout);
  assert.deepEqual(fs.readFileSync(file), planted);

  // A symlink in place of the folder, even to a private one, likewise.
  const elsewhere = path.join(sb.dir, 'elsewhere');
  fs.mkdirSync(elsewhere, { mode: 0o700 });
  const linked = path.join(sb.dir, 'linked-cache');
  fs.mkdirSync(path.join(linked, 'claude-metrics'), { recursive: true, mode: 0o700 });
  fs.symlinkSync(elsewhere, path.join(linked, 'claude-metrics', 'code-cache'));
  const viaLink = await run(['--debug'], { ...env, XDG_CACHE_HOME: linked });
  assert.match(viaLink.stderr, /code cache off: .* is not a private folder of this user's\n/);
  assert.equal(viaLink.stdout, first.stdout);
  assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the symlink');
});
