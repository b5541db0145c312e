// `claude-metrics dashboard`'s security rules over raw HTTP (node:http and a bare socket, so the
// Host, Origin, Sec-Fetch-Site and path are exactly what a hostile client sends), against the
// built CLI as a process on the fixtures database: a foreign Host is refused (DNS rebinding),
// cross-origin API requests are refused, paths cannot leave the web folder (symlinks included),
// every answer carries the security headers, a non-loopback --host without a token exits 2, and
// the token guards every request without ever being printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, sandbox } from './helpers.ts';
import { EXPECTED, buildFixtureDb } from './support/fixture-db.ts';
import { request, startDashboard } from './support/dashboard.ts';
import { loadStaticFiles, lookupStatic } from '../src/dashboard/server/static.ts';

const DAY = Object.values(EXPECTED)[0]!.start_time.slice(0, 10);
const RANGE = `tz=UTC&from=${DAY}&to=${DAY}`;
const TOKEN = 'correct-horse-battery-staple-42';

test('dashboard: Host, origin, paths and headers', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  const d = await startDashboard(t, sb.db);

  await t.test('every answer carries the security headers; the API a Server-Timing', async () => {
    for (const p of ['/', '/app.js', '/sessions', `/api/overview?${RANGE}`, '/nope.js']) {
      const r = await request(d.port, p);
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'/, p);
      assert.doesNotMatch(String(r.headers['content-security-policy']), /unsafe-inline|unsafe-eval/, p);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', p);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', p);
    }
    const api = await request(d.port, `/api/top?${RANGE}`);
    assert.match(String(api.headers['server-timing']), /^app;dur=\d+(\.\d+)?$/);
    const page = await request(d.port, '/sessions/abc?tz=UTC');
    assert.equal(page.status, 200);
    assert.match(page.body, /<script type="module" src="\/app.js">/);
    assert.doesNotMatch(page.body, /<script>|<script type="module">|\son\w+=/, 'no inline script');
    assert.equal((await request(d.port, '/api/overview', {}, 'POST')).status, 405);
    assert.equal((await request(d.port, '/api/nothing')).status, 404);
  });

  await t.test('a foreign Host is refused (DNS rebinding); localhost and 127.0.0.1 are ours', async () => {
    for (const host of ['evil.example', `evil.example:${d.port}`, `127.0.0.1:${d.port + 1}`, `localhost.evil.example:${d.port}`, `127.0.0.1:${d.port}.evil.example`]) {
      for (const p of ['/', `/api/overview?${RANGE}`, '/api/live']) {
        const r = await request(d.port, p, { host });
        assert.equal(r.status, 421, `Host ${host} ${p}`);
        assert.doesNotMatch(r.body, /cost_usd|<script/);
      }
    }
    for (const host of [`localhost:${d.port}`, `LOCALHOST:${d.port}`, `127.0.0.1:${d.port}`]) assert.equal((await request(d.port, '/', { host })).status, 200, host);
    // No Host at all (HTTP/1.0): refused too.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(d.port, '127.0.0.1', () => socket.end('GET /api/version HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (b) => (text += b.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 421 /);
  });

  await t.test('cross-origin API requests are refused; same-origin ones answered', async () => {
    const api = `/api/overview?${RANGE}`;
    const refused: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: `http://localhost:${d.port + 1}` },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of refused) {
      const r = await request(d.port, api, headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.doesNotMatch(r.body, /cost_usd/);
    }
    assert.equal((await request(d.port, api, { origin: `http://127.0.0.1:${d.port}`, 'sec-fetch-site': 'same-origin' })).status, 200);
    assert.equal((await request(d.port, api, { 'sec-fetch-site': 'none' })).status, 200, 'typed in the address bar');
  });

  await t.test('paths that try to leave the web folder are refused', async () => {
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fpackage.json', '/sessions/..%2f..%2fpackage.json', '/..%5c..%5cpackage.json', '/app.js%00.html', '/%c0%ae%c0%ae/package.json', '//etc/passwd', '/./app.js']) {
      const r = await request(d.port, p);
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
      assert.doesNotMatch(r.body, /"name": "claude-metrics"|root:x:0/, p);
    }
  });
});

test('dashboard: a non-loopback --host needs --token (exit 2); the token guards every request and is never printed', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [CLI, 'dashboard', '--db', sb.db, '--port', '0', ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
  for (const args of [['--host', '0.0.0.0'], ['--host', '::'], ['--host', '192.168.1.10'], ['--host', '0.0.0.0', '--token', 'short']]) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /token/, args.join(' '));
    assert.equal(r.stdout, '', 'nothing served');
  }
  assert.equal(run(['--port', 'http']).status, 2);
  const missing = run(['--db', path.join(sb.dir, 'none.db')]);
  assert.equal(missing.status, 1, 'a missing database');
  assert.match(missing.stderr, /no database/);

  const d = await startDashboard(t, sb.db, ['--host', '0.0.0.0'], { CLAUDE_METRICS_DASHBOARD_TOKEN: TOKEN });
  assert.ok(!d.stdout().includes(TOKEN) && !d.stderr().includes(TOKEN), 'the token is not printed');
  const api = `/api/overview?${RANGE}`;
  assert.equal((await request(d.port, api)).status, 401);
  assert.equal((await request(d.port, '/')).status, 401);
  assert.equal((await request(d.port, api, { authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
  assert.equal((await request(d.port, `${api}&token=${TOKEN}`)).status, 401, 'the API takes no token in its URL');
  assert.equal((await request(d.port, api, { authorization: `Bearer ${TOKEN}` })).status, 200);
  // A first visit with ?token= sets the cookie and drops the token from the URL.
  const first = await request(d.port, `/sessions?tz=UTC&token=${TOKEN}`);
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/sessions?tz=UTC');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const jar = cookie.split(';')[0]!;
  assert.equal((await request(d.port, api, { cookie: jar })).status, 200);
  assert.equal((await request(d.port, '/', { cookie: jar })).status, 200);
  assert.equal((await request(d.port, api, { cookie: jar.replace(/=.*/, '=nope') })).status, 401);
  assert.equal((await request(d.port, '/', { host: `evil.example:${d.port}`, cookie: jar })).status, 421, 'the Host is checked first');
  const { code } = await d.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(!d.stdout().includes(TOKEN) && !d.stderr().includes(TOKEN), 'the token is not printed');
});

test('static files: symlinks and other non-files are never served, whatever they point at', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-static-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const web = path.join(dir, 'web');
  fs.mkdirSync(path.join(web, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(web, 'sub', 'a.js'), 'ok');
  fs.writeFileSync(path.join(dir, 'secret.js'), 'secret');
  fs.symlinkSync(path.join(dir, 'secret.js'), path.join(web, 'link.js'));
  fs.symlinkSync(dir, path.join(web, 'up'));
  spawnSync('mkfifo', [path.join(web, 'fifo.js')]);
  const files = loadStaticFiles(web);
  assert.deepEqual([...files.keys()].sort(), ['/index.html', '/sub/a.js']);
  assert.ok('file' in lookupStatic(files, '/sub/a.js'));
  for (const p of ['/link.js', '/up/secret.js', '/fifo.js', '/sub/../../secret.js']) {
    const r = lookupStatic(files, p);
    assert.ok('status' in r && (r.status === 404 || r.status === 400), p);
  }
  assert.deepEqual(lookupStatic(files, '/sub/%2e%2e/index.html'), { status: 400 });
  assert.equal((lookupStatic(files, '/sessions/x') as { key: string }).key, '/index.html', 'a client route');
  assert.deepEqual(lookupStatic(files, '/nope/x'), { status: 404 });
});
