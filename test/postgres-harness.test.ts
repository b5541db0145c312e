// The PostgreSQL test harness (test/support/postgres.ts) against the real server it starts: a
// fresh cluster, SQL through psql, password auth really enforced, stop and start keeping the
// data, terminating sessions, TLS checked by verify-full against the throwaway CA, and no server
// left running when the test process fails or is killed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, runProcess, waitUntil } from './helpers.ts';
import { type PgServer, conninfoValue, pgClientEnv, sqlIdent, sqlLiteral, startPostgres } from './support/postgres.ts';

let pg: PgServer;
let startMs = 0;
before(async () => {
  const t0 = Date.now();
  pg = await startPostgres();
  startMs = Date.now() - t0;
});
after(() => pg?.close());

/** psql as a client would run it: the given conninfo or URL, the given environment, its exit and output. */
function psqlRaw(conn: string, sql: string, env: NodeJS.ProcessEnv) {
  return runProcess(pg.psqlPath, ['-X', '-A', '-t', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '-d', conn, '-c', sql], null, env);
}

/** Whether a process is gone; a zombie counts as gone (the postmaster is reparented to PID 1, which may never reap it). */
function processGone(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!fs.existsSync(stat)) return true;
  // Field 3, after the parenthesised command name.
  return fs.readFileSync(stat, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
}

test('startPostgres: a fresh cluster on 127.0.0.1 with the test settings, a database, SQL through psql', async (t) => {
  t.diagnostic(`startPostgres took ${startMs} ms`);
  assert.equal(pg.host, '127.0.0.1');
  assert.ok(pg.port > 0);
  assert.equal(pg.superuser, 'cm_admin');
  assert.equal(pg.caFile, undefined);
  const settings = await pg.psql(
    "SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_settings WHERE name IN " +
      "('listen_addresses', 'port', 'ssl', 'fsync', 'full_page_writes', 'max_connections', 'server_encoding', 'lc_collate', 'unix_socket_directories')",
  );
  assert.equal(
    settings,
    `fsync=off,full_page_writes=off,lc_collate=C,listen_addresses=127.0.0.1,max_connections=100,port=${pg.port},server_encoding=UTF8,ssl=off,unix_socket_directories=${pg.dir}`,
  );
  assert.match(await pg.psql('SELECT version()'), /^PostgreSQL (1[5-9]|[2-9]\d)\./);
  // initdb --auth=scram-sha-256: every rule of pg_hba.conf asks for the password, stored as SCRAM.
  assert.equal(await pg.psql('SELECT string_agg(DISTINCT auth_method, \',\') FROM pg_hba_file_rules'), 'scram-sha-256');
  assert.equal(await pg.psql("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = current_user"), 't');

  await pg.createDatabase('harness db');
  await pg.psql('CREATE TABLE figures (id int PRIMARY KEY, label text); INSERT INTO figures VALUES (1, \'un\'), (2, \'deux\')', 'harness db');
  assert.equal(await pg.psql('SELECT string_agg(label, \',\' ORDER BY id) FROM figures', 'harness db'), 'un,deux');
  assert.equal(await pg.psql('SELECT current_database()', 'harness db'), 'harness db');
  await assert.rejects(pg.psql('SELECT * FROM no_such_table'), /relation "no_such_table" does not exist/);

  // The unix socket is in the temp folder too, and it asks for the password as well.
  assert.ok(fs.existsSync(path.join(pg.socketDir, `.s.PGSQL.${pg.port}`)));
  const viaSocket = await psqlRaw(`host=${conninfoValue(pg.socketDir)} port=${pg.port} user=cm_admin dbname=postgres`, 'SELECT 1', pgClientEnv(pg.password));
  assert.equal(viaSocket.stdout.trim(), '1', viaSocket.stderr);
});

test('password auth is enforced: a wrong password and no password are refused', async () => {
  const conn = `host=127.0.0.1 port=${pg.port} user=cm_admin dbname=postgres sslmode=disable`;
  const wrong = await psqlRaw(conn, 'SELECT 1', pgClientEnv(`${pg.password}x`));
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /password authentication failed for user "cm_admin"/);
  const none = await psqlRaw(conn, 'SELECT 1', pgClientEnv());
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /password/);
  const right = await psqlRaw(conn, 'SELECT 1', pgClientEnv(pg.password));
  assert.equal(right.code, 0, right.stderr);
});

test('url(): user and password percent-encoded, libpq reads them back', async () => {
  const user = 'we:ird@user/%';
  const password = "p@ss:w/rd %?#&='x";
  await pg.psql(`CREATE ROLE ${sqlIdent(user)} LOGIN PASSWORD ${sqlLiteral(password)}`);
  const url = pg.url('harness db', { user, password, params: { sslmode: 'disable', application_name: 'a b+c' } });
  assert.ok(url.startsWith(`postgresql://we%3Aird%40user%2F%25:`), url);
  // No PGPASSWORD: the password reaches the server only through the URL.
  const r = await psqlRaw(url, 'SELECT current_user, current_database(), current_setting($$application_name$$)', pgClientEnv());
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${user}|harness db|a b+c`);
  assert.equal(pg.url(), `postgresql://cm_admin:${pg.password}@127.0.0.1:${pg.port}/postgres`);
});

test('stop and start again: same port, the data is still there (after a fast and after an immediate stop)', async () => {
  await pg.psql('CREATE TABLE survives (n int); INSERT INTO survives VALUES (42)');
  await pg.stop();
  await assert.rejects(pg.psql('SELECT 1'), /Connection refused|could not connect/);
  await pg.start();
  assert.equal(await pg.psql('SELECT n FROM survives'), '42');

  // An immediate stop is a crash for the server: what was reported committed must survive it.
  await pg.psql('INSERT INTO survives VALUES (43)');
  await pg.stop('immediate');
  await pg.start();
  assert.equal(await pg.psql('SELECT string_agg(n::text, \',\' ORDER BY n) FROM survives'), '42,43');

  await pg.restart();
  assert.equal(await pg.psql('SELECT count(*) FROM survives'), '2');
});

test('start() on a port taken meanwhile fails with the reason from the server log; once freed, the server starts again', async () => {
  await pg.stop();
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(pg.port, '127.0.0.1', resolve));
  try {
    await assert.rejects(pg.start(), (err: Error) => {
      assert.match(err.message, /could not start on 127\.0\.0\.1/);
      assert.match(err.message, /server log \(tail\):[\s\S]*could not bind IPv4 address "127\.0\.0\.1": Address already in use/);
      return true;
    });
  } finally {
    await new Promise<void>((resolve, reject) => squatter.close((err) => (err ? reject(err) : resolve())));
  }
  await pg.start();
  assert.equal(await pg.psql('SELECT count(*) FROM survives'), '2');
});

test('terminateAllBackends ends another session running a long query', async () => {
  await pg.createDatabase('sleepy');
  const conn = `host=127.0.0.1 port=${pg.port} user=cm_admin dbname=sleepy sslmode=disable`;
  const child = spawn(pg.psqlPath, ['-X', '-A', '-t', '-w', '-d', conn, '-c', 'SELECT pg_sleep(30)'], { env: pgClientEnv(pg.password), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 10_000;
    while ((await pg.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'sleepy' AND query LIKE '%pg_sleep(30)%'")) !== '1') {
      assert.ok(Date.now() < deadline, `the pg_sleep session never showed up: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = Date.now();
    assert.equal(await pg.terminateAllBackends('sleepy'), 1);
    const code = await exited;
    assert.notEqual(code, 0);
    assert.ok(Date.now() - t0 < 5_000, `psql took ${Date.now() - t0} ms to exit`);
    assert.match(stderr, /terminating connection due to administrator command/);
    // Nobody else on that database now; the caller's own session is never counted.
    assert.equal(await pg.terminateAllBackends('sleepy'), 0);
    assert.equal(await pg.terminateAllBackends(), 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('TLS: verify-full against the throwaway CA connects over SSL, by name and by IP; sslmode=require on a server without TLS fails', async (t) => {
  const t0 = Date.now();
  const tls = await startPostgres({ tls: true });
  t.after(() => tls.close());
  t.diagnostic(`startPostgres({ tls: true }) took ${Date.now() - t0} ms`);
  assert.ok(tls.caFile && fs.existsSync(tls.caFile));
  const key = fs.statSync(path.join(tls.dataDir, 'server.key'));
  assert.equal(key.mode & 0o777, 0o600);
  assert.equal(await tls.psql('SHOW ssl'), 'on');

  const env = pgClientEnv(tls.password);
  const query = 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
  for (const host of ['localhost', '127.0.0.1']) {
    const r = await psqlRaw(`sslmode=verify-full sslrootcert=${conninfoValue(tls.caFile)} host=${host} port=${tls.port} user=cm_admin dbname=postgres`, query, env);
    assert.equal(r.code, 0, `${host}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), 't');
  }
  const viaUrl = await psqlRaw(tls.url('postgres', { params: { sslmode: 'verify-full', sslrootcert: tls.caFile } }), query, pgClientEnv());
  assert.equal(viaUrl.stdout.trim(), 't', viaUrl.stderr);

  // Another CA's certificate (the server's own leaf is no CA) must not do: verify-full really verifies.
  const wrongCa = await psqlRaw(`sslmode=verify-full sslrootcert=${conninfoValue(path.join(tls.dataDir, 'server.crt'))} host=localhost port=${tls.port} user=cm_admin dbname=postgres`, query, env);
  assert.notEqual(wrongCa.code, 0);
  assert.match(wrongCa.stderr, /certificate verify failed/);

  const plain = await psqlRaw(`sslmode=require host=127.0.0.1 port=${pg.port} user=cm_admin dbname=postgres`, 'SELECT 1', pgClientEnv(pg.password));
  assert.notEqual(plain.code, 0);
  assert.match(plain.stderr, /server does not support SSL, but SSL was required/);

  // A postmaster killed outright leaves its pid file: close() sees it is gone and still cleans up.
  const pid = Number(fs.readFileSync(path.join(tls.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => processGone(pid), 5_000, () => `postmaster ${pid} gone`);
  await tls.close();
  assert.ok(!fs.existsSync(tls.dir));
});

for (const how of ['throws', 'is killed with SIGKILL'] as const) {
  test(`no postgres is left running when the test process ${how}`, async () => {
    const harness = path.join(ROOT, 'test', 'support', 'postgres.ts');
    const script =
      `import { startPostgres } from ${JSON.stringify(harness)};\n` +
      `const pg = await startPostgres();\n` +
      `console.log(JSON.stringify({ dir: pg.dir, dataDir: pg.dataDir }));\n` +
      // It fails (or is killed) once the test has seen its postmaster: a line on stdin says when.
      `process.stdin.once('data', () => { throw new Error('a failing test'); });\n`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitUntil(() => stdout.includes('\n') || child.exitCode !== null, 20_000, () => `the child's server: ${stderr}`);
      const { dir, dataDir } = JSON.parse(stdout) as { dir: string; dataDir: string };
      const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      assert.ok(pid > 0 && !processGone(pid), 'the child started a postmaster');
      if (how === 'throws') child.stdin.write('go\n');
      else child.kill('SIGKILL');
      const code = await exited;
      if (how === 'throws') {
        assert.match(stderr, /a failing test/);
        // Removed by the exit hook before the process ended (the watchdog only acts once it has).
        assert.ok(!fs.existsSync(dir), `${dir} still there when the child had exited`);
      } else assert.equal(code, null);
      // The exit hook stops it before the process is gone; the watchdog within about a second.
      await waitUntil(() => processGone(pid) && !fs.existsSync(dir), 10_000, () => `postmaster ${pid} gone and ${dir} removed`);
    } finally {
      child.kill('SIGKILL');
    }
  });
}
