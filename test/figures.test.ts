// Transcript figures through the whole pipeline: fixture payloads fed through the real hook in
// the order Claude Code fired them, applied by the real worker, compared with expected.json; for
// every recorded fixture set (Claude Code 2.1.197 and 2.1.332).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  CLI,
  FIXTURES,
  FIXTURE_SETS,
  type FixtureSet,
  type Sandbox,
  drain,
  event,
  query,
  runHook,
  sandbox,
  spoolFiles,
  spoolPayload,
  subagentSessions,
} from './helpers.ts';
import { EXPECTED, type ExpectedSession, expectedOf } from './support/fixture-db.ts';


/** Copies a set's recorded ~/.claude/projects into the sandbox and returns its payloads, paths rewritten. */
function fixtureSession(sb: Sandbox, set: FixtureSet): Array<{ name: string; body: string }> {
  const claude = path.join(sb.dir, 'home', '.claude');
  fs.cpSync(path.join(set.dir, 'projects'), path.join(claude, 'projects'), { recursive: true });
  const dir = path.join(set.dir, 'payloads');
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => ({ name, body: fs.readFileSync(path.join(dir, name), 'utf8').replaceAll('/home/user/.claude', claude) }));
}

function sessionRows(sb: Sandbox): Record<string, Record<string, unknown>> {
  return Object.fromEntries(query(sb.db, 'SELECT * FROM sessions').map((r) => [r.session_id as string, r]));
}

function assertFigures(sb: Sandbox, expected: Record<string, ExpectedSession>): void {
  const rows = sessionRows(sb);
  assert.deepEqual(Object.keys(rows).sort(), Object.keys(expected).sort());
  for (const [id, want] of Object.entries(expected)) {
    const row = rows[id]!;
    for (const col of ['api_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'tool_calls', 'commits', 'lines_added', 'lines_removed', 'start_time', 'end_time'] as const) {
      assert.equal(row[col], want[col], `${id} ${col}`);
    }
    assert.ok(Math.abs((row.total_cost_usd as number) - want.cost_usd) < 1e-9, `${id} cost ${row.total_cost_usd} vs ${want.cost_usd}`);
    assert.equal(row.cost_complete, 1);
    assert.equal(row.cost_source, 'transcript');
    const models = JSON.parse(row.models as string) as Record<string, { api_calls: number; cost_usd: number }>;
    assert.deepEqual(Object.keys(models).sort(), Object.keys(want.models).sort(), `${id} models`);
    for (const [model, m] of Object.entries(want.models)) {
      assert.equal(models[model]!.api_calls, m.api_calls, `${id} ${model} calls`);
      assert.ok(Math.abs(models[model]!.cost_usd - m.cost_usd) < 1e-9, `${id} ${model} cost`);
    }
    const calls = query<{ n: number; cost: number }>(sb.db, 'SELECT count(*) AS n, sum(cost_usd) AS cost FROM token_usage WHERE session_id = ?', id)[0]!;
    assert.equal(calls.n, want.api_calls, `${id}: one token_usage row per API call`);
    assert.ok(Math.abs(calls.cost - want.cost_usd) < 1e-9, `${id}: token_usage costs add up`);
  }
}

for (const set of FIXTURE_SETS) {
  const expected = expectedOf(set.dir);

  test(`Claude Code ${set.version}: every fixture session, through the hook in firing order and one drain, gives expected.json`, async (t) => {
    const sb = sandbox(t);
    for (const p of fixtureSession(sb, set)) assert.equal((await runHook(p.body, ['--spool', sb.spool])).code, 0);
    assert.equal(drain(sb).code, 0);
    assertFigures(sb, expected);
    const withSubagents = subagentSessions(set);
    assert.ok(withSubagents.length > 0, `${set.version}: a session with a subagent`);
    for (const id of withSubagents) {
      const subagentCalls = query(sb.db, 'SELECT count(*) AS n FROM token_usage WHERE agent_id IS NOT NULL AND session_id = ?', id);
      assert.ok((subagentCalls[0]!.n as number) > 0, `${id}: the subagent made calls, marked with its id`);
    }
  });

  test(`Claude Code ${set.version}: applied one payload at a time (state saved between reads) and replayed: same figures`, async (t) => {
    const sb = sandbox(t);
    const payloads = fixtureSession(sb, set);
    for (const p of payloads) {
      const hook = await runHook(p.body, ['--spool', sb.spool]);
      assert.equal(hook.code, 0, hook.stderr);
      const r = drain(sb);
      assert.equal(r.code, 0, `${p.name}: ${r.stderr}`);
    }
    assertFigures(sb, expected);
    const before = query(sb.db, 'SELECT * FROM sessions ORDER BY session_id');
    // Every Stop and SessionEnd again (as a resumed session's second SessionEnd would be): recomputing is idempotent.
    for (const p of payloads.filter((x) => /Stop|SessionEnd/.test(x.name))) spoolPayload(sb, p.body);
    assert.equal(drain(sb).code, 0);
    assert.deepEqual(query(sb.db, 'SELECT * FROM sessions ORDER BY session_id'), before);
    assertFigures(sb, expected);
  });
}

function transcriptLines(): string[] {
  const file = path.join(FIXTURES, 'projects', '-home-user-code-shop-api', 'f332c3dd-cf19-4fa4-8049-adee686fb5cd.jsonl');
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => `${l}\n`);
}

function bytesReadTotal(stderr: string): number {
  const all = [...stderr.matchAll(/transcript_bytes_read_total=(\d+)/g)];
  return all.length ? Number(all.at(-1)![1]) : 0;
}

test('incremental: each Stop reads only the bytes appended since the last; a cut line waits; a shrunk file restarts', async (t) => {
  const sb = sandbox(t);
  const lines = transcriptLines();
  const transcript = path.join(sb.dir, 'session.jsonl');
  const stop = (): number => {
    spoolPayload(sb, event('inc', 'Stop', { transcript_path: transcript }));
    const r = drain(sb, ['--log-level', 'debug']);
    assert.equal(r.code, 0, r.stderr);
    return bytesReadTotal(r.stderr);
  };
  const half = Math.floor(lines.length / 2);
  fs.writeFileSync(transcript, lines.slice(0, half).join(''));
  assert.equal(stop(), Buffer.byteLength(lines.slice(0, half).join('')));
  const callsHalf = query(sb.db, "SELECT api_calls FROM sessions WHERE session_id = 'inc'")[0]!.api_calls as number;
  // A turn appended: only its bytes are read.
  const next = lines[half]!;
  fs.appendFileSync(transcript, next);
  assert.equal(stop(), Buffer.byteLength(next));
  // Nothing new: nothing read.
  assert.equal(stop(), 0);
  // A half-written line is left for the next read.
  const rest = lines.slice(half + 1).join('');
  const cut = Math.floor(Buffer.byteLength(lines[half + 1]!) / 2);
  fs.appendFileSync(transcript, Buffer.from(rest).subarray(0, cut));
  assert.equal(stop(), 0);
  fs.appendFileSync(transcript, Buffer.from(rest).subarray(cut));
  assert.equal(stop(), Buffer.byteLength(rest));
  const full = query(sb.db, "SELECT * FROM sessions WHERE session_id = 'inc'")[0]!;
  const want = EXPECTED['f332c3dd-cf19-4fa4-8049-adee686fb5cd']!;
  assert.equal(full.api_calls, want.api_calls);
  assert.ok(callsHalf < want.api_calls);
  assert.ok(Math.abs((full.total_cost_usd as number) - want.cost_usd) < 1e-9);
  assert.equal(full.commits, want.commits);
  assert.equal(full.lines_added, want.lines_added);
  // Replaced by a shorter file: read again from the start, figures follow the new content.
  fs.writeFileSync(`${transcript}.new`, lines.slice(0, half).join(''));
  fs.renameSync(`${transcript}.new`, transcript);
  assert.equal(stop(), Buffer.byteLength(lines.slice(0, half).join('')));
  assert.equal(query(sb.db, "SELECT api_calls FROM sessions WHERE session_id = 'inc'")[0]!.api_calls, callsHalf);
  assert.equal(query(sb.db, "SELECT count(*) AS n FROM token_usage WHERE session_id = 'inc'")[0]!.n, callsHalf);
});

test('hostile or missing transcripts never hang or fail the worker; the payloads still apply', async (t) => {
  const sb = sandbox(t);
  const fifo = path.join(sb.dir, 'fifo.jsonl');
  execFileSync('mkfifo', [fifo]);
  const dir = path.join(sb.dir, 'dir.jsonl');
  fs.mkdirSync(dir);
  const loop = path.join(sb.dir, 'loop.jsonl');
  fs.symlinkSync(loop, loop);
  const toDir = path.join(sb.dir, 'to-dir.jsonl');
  fs.symlinkSync(dir, toDir);
  const binary = path.join(sb.dir, 'binary.jsonl');
  fs.writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
  // A real transcript whose <dir>/<session id> (where subagents would be) is a regular file.
  const real = path.join(sb.dir, 'proj', 'blocked.jsonl');
  fs.mkdirSync(path.dirname(real));
  fs.writeFileSync(real, transcriptLines().join(''));
  fs.writeFileSync(path.join(sb.dir, 'proj', 'blocked'), 'not a folder');
  const targets = [fifo, dir, loop, toDir, binary, '/dev/zero', '/dev/null', path.join(sb.dir, 'missing.jsonl'), path.join(binary, 'under-a-file.jsonl'), `${'x'.repeat(5000)}.jsonl`];
  targets.forEach((tp, i) => spoolPayload(sb, event(`hostile-${i}`, 'Stop', { transcript_path: tp })));
  spoolPayload(sb, event('blocked', 'Stop', { transcript_path: real }));
  spoolPayload(sb, event('nul\u0000in-id', 'Stop', { transcript_path: real }));
  const expectedApplied = targets.length + 2;
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`applied ${expectedApplied}, dead-lettered 0`));
  assert.doesNotMatch(r.stderr, /could not compute session figures/);
  const want = EXPECTED['f332c3dd-cf19-4fa4-8049-adee686fb5cd']!;
  // Its subagents folder cannot exist, but the main transcript still counts, whatever the session id.
  for (const id of ['blocked', 'nul\u0000in-id']) {
    assert.equal(query(sb.db, 'SELECT api_calls FROM sessions WHERE session_id = ?', id)[0]!.api_calls, want.api_calls, id);
  }
  const binaryRow = query(sb.db, "SELECT api_calls, total_cost_usd FROM sessions WHERE session_id = 'hostile-4'")[0]!;
  assert.deepEqual(binaryRow, { api_calls: 0, total_cost_usd: 0 });
});

test('an unknown model keeps its tokens, adds no cost and marks the cost incomplete; price overrides apply', async (t) => {
  const sb = sandbox(t);
  const lines = transcriptLines().map((l) => l.replaceAll('claude-sonnet-4-5', 'claude-future-9'));
  const transcript = path.join(sb.dir, 'future.jsonl');
  fs.writeFileSync(transcript, lines.join(''));
  spoolPayload(sb, event('future', 'Stop', { transcript_path: transcript }));
  assert.equal(drain(sb).code, 0);
  const want = EXPECTED['f332c3dd-cf19-4fa4-8049-adee686fb5cd']!;
  const row = query(sb.db, "SELECT * FROM sessions WHERE session_id = 'future'")[0]!;
  assert.equal(row.input_tokens, want.input_tokens);
  assert.equal(row.total_cost_usd, 0);
  assert.equal(row.cost_complete, 0);
  assert.equal(query(sb.db, "SELECT count(*) AS n FROM token_usage WHERE session_id = 'future' AND cost_usd IS NULL")[0]!.n, want.api_calls);

  // The same model priced by a user's override file (Sonnet 4.5's prices): the cost appears.
  const sb2 = sandbox(t);
  const prices = path.join(sb2.dir, 'prices.json');
  fs.writeFileSync(prices, JSON.stringify({ 'claude-future-9': { input: 3, output: 15, cache_write_5m: 3.75, cache_write_1h: 6, cache_read: 0.3 } }));
  spoolPayload(sb2, event('future', 'Stop', { transcript_path: transcript }));
  assert.equal(drain(sb2, ['--prices', prices]).code, 0);
  const priced = query(sb2.db, "SELECT total_cost_usd, cost_complete FROM sessions WHERE session_id = 'future'")[0]!;
  assert.ok(Math.abs((priced.total_cost_usd as number) - want.cost_usd) < 1e-9);
  assert.equal(priced.cost_complete, 1);

  // A broken override file is refused with a clear message, the spool kept.
  fs.writeFileSync(prices, '{"claude-x": {"input": "cheap"}}');
  spoolPayload(sb2, event('future', 'Stop', { transcript_path: transcript }));
  const bad = drain(sb2, ['--prices', prices]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /price overrides .*prices\.json.*claude-x/);
});

test('import backfills every session under projects/ through the spool; running it again changes nothing', async (t) => {
  const sb = sandbox(t);
  const claude = path.join(sb.dir, 'home', '.claude');
  fs.cpSync(path.join(FIXTURES, 'projects'), path.join(claude, 'projects'), { recursive: true });
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [CLI, 'import', '--spool', sb.spool, '--db', sb.db, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
  // CLAUDE_CONFIG_DIR is the default folder; piped, nothing but the summary is printed.
  const first = run([], { CLAUDE_CONFIG_DIR: claude });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^import: 3 sessions found in .*projects, 3 spooled\n/);
  assert.equal(first.stderr, '');
  assert.equal(spoolFiles(sb, 'incoming').length, 3);
  assert.equal(drain(sb).code, 0);
  assertFigures(sb, EXPECTED);
  const before = query(sb.db, 'SELECT * FROM sessions ORDER BY session_id');
  const again = run(['--claude-dir', claude, '--drain', '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout.split('\n')[0]!).spooled, 3);
  assert.deepEqual(query(sb.db, 'SELECT * FROM sessions ORDER BY session_id'), before);
  assertFigures(sb, EXPECTED);
  assert.equal(query(sb.db, "SELECT count(*) AS n FROM payloads WHERE event = 'Import'")[0]!.n, 6);

  const missing = run(['--claude-dir', path.join(sb.dir, 'nowhere')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no Claude Code projects folder at .*nowhere/);
  // The default folder of a machine where Claude Code never ran: nothing to do, not an error.
  const fresh = run([], { CLAUDE_CONFIG_DIR: path.join(sb.dir, 'never-ran') });
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.match(fresh.stdout, /^import: nothing to import/);
});
