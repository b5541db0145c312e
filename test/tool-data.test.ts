// Tool uses and branches (migration 0008) through the real worker: every fixture session's tool
// uses (name, time, is_error, subagent) and each call's and session's git branch, compared with a
// plain whole-file reading of the recorded transcripts; a tool_result read in a later Stop than
// its tool_use; and a database written before 0008 backfilled by `import` with the same figures.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, FIXTURE_SETS, type FixtureSet, type Sandbox, drain, event, query, sandbox, spoolPayload } from './helpers.ts';
import { expectedOf } from './support/fixture-db.ts';
import { downgradeTo7, schemaOf, schemaUpTo } from './support/schema-7.ts';
import { applyTranscriptLine, createTranscriptState } from '../src/worker/transcript.ts';
import { summarizeTranscript } from '../src/worker/transcript-summary.ts';

type ToolUseRow = { session_id: string; tool_use_id: string; name: string; used_at: string; is_error: number | null; agent_id: string | null };

/** Copies a set's projects/ into the sandbox's ~/.claude; returns its payloads with paths rewritten there. */
function copySet(sb: Sandbox, set: FixtureSet): string[] {
  const claude = path.join(sb.dir, 'home', '.claude');
  fs.cpSync(path.join(set.dir, 'projects'), path.join(claude, 'projects'), { recursive: true });
  const dir = path.join(set.dir, 'payloads');
  return fs.readdirSync(dir).sort().map((n) => fs.readFileSync(path.join(dir, n), 'utf8').replaceAll('/home/user/.claude', claude));
}

/** Each session's files: [session id, file, subagent id (null = main)]. */
function transcriptFiles(projects: string): Array<[string, string, string | null]> {
  const out: Array<[string, string, string | null]> = [];
  for (const p of fs.readdirSync(projects).sort()) {
    for (const f of fs.readdirSync(path.join(projects, p)).filter((n) => n.endsWith('.jsonl')).sort()) {
      const sid = f.slice(0, -'.jsonl'.length);
      out.push([sid, path.join(projects, p, f), null]);
      const sub = path.join(projects, p, sid, 'subagents');
      if (!fs.existsSync(sub)) continue;
      for (const a of fs.readdirSync(sub).filter((n) => n.endsWith('.jsonl')).sort()) out.push([sid, path.join(sub, a), a.replace(/^agent-|\.jsonl$/g, '')]);
    }
  }
  return out;
}

type Line = { type?: string; timestamp?: string; gitBranch?: string; requestId?: string; message?: { id?: string; model?: string; usage?: unknown; content?: unknown } };

/** What a plain reading of whole files says: tool uses, each call's branch, each session's branch. */
function readFixtures(projects: string) {
  const uses = new Map<string, ToolUseRow>();
  const calls = new Map<string, string>();
  const last = new Map<string, { at: string; branch: string }>();
  const results: Array<[string, string, boolean]> = [];
  for (const [sid, file, agent] of transcriptFiles(projects)) {
    for (const text of fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')) {
      const l = JSON.parse(text) as Line;
      const blocks = (Array.isArray(l.message?.content) ? l.message.content : []) as Array<Record<string, unknown>>;
      for (const b of blocks) {
        const key = `${sid}/${b.id as string}`;
        if (l.type === 'assistant' && b.type === 'tool_use' && !uses.has(key)) {
          uses.set(key, { session_id: sid, tool_use_id: b.id as string, name: b.name as string, used_at: l.timestamp!, is_error: null, agent_id: agent });
        }
        if (l.type === 'user' && b.type === 'tool_result') results.push([sid, b.tool_use_id as string, b.is_error === true]);
      }
      if (l.type === 'assistant' && l.message?.usage && l.message.model !== '<synthetic>' && l.gitBranch) {
        const key = `${sid}/${l.message.id}|${l.requestId}`;
        if (!calls.has(key)) calls.set(key, l.gitBranch);
        const prev = last.get(sid);
        if (!prev || l.timestamp! > prev.at) last.set(sid, { at: l.timestamp!, branch: l.gitBranch });
      }
    }
  }
  for (const [sid, id, err] of results) {
    const u = uses.get(`${sid}/${id}`)!;
    u.is_error = u.is_error === 1 || err ? 1 : 0;
  }
  const byKey = (a: ToolUseRow, b: ToolUseRow) => (`${a.session_id}/${a.tool_use_id}` < `${b.session_id}/${b.tool_use_id}` ? -1 : 1);
  return { uses: [...uses.values()].sort(byKey), calls, sessionBranch: new Map([...last].map(([s, v]) => [s, v.branch])) };
}

const toolUses = (db: string) => query<ToolUseRow>(db, 'SELECT session_id, tool_use_id, name, used_at, is_error, agent_id FROM tool_uses ORDER BY session_id, tool_use_id');
const BRANCH: Record<string, string> = { '2.1.197': 'HEAD', '2.1.332': 'master' };

for (const set of FIXTURE_SETS) {
  test(`Claude Code ${set.version}: every tool use with its name, time, is_error and subagent; every call's and session's branch`, (t) => {
    const sb = sandbox(t);
    for (const body of copySet(sb, set)) spoolPayload(sb, body);
    assert.equal(drain(sb).code, 0);
    const want = readFixtures(path.join(set.dir, 'projects'));
    assert.deepEqual(toolUses(sb.db), want.uses);
    assert.ok(want.uses.some((u) => u.agent_id !== null), 'a subagent used a tool');
    assert.ok(want.uses.every((u) => u.is_error !== null), 'every result was read');
    // The 2.1.332 docs session's subagent was refused a Write; nothing else failed.
    const errors = want.uses.filter((u) => u.is_error === 1).map((u) => `${u.name} ${u.agent_id}`);
    assert.deepEqual(errors, set.version === '2.1.332' ? ['Write a0b24e80bd7792e7a'] : []);
    for (const s of query<{ session_id: string; tool_calls: number; git_branch: string }>(sb.db, 'SELECT session_id, tool_calls, git_branch FROM sessions')) {
      assert.equal(s.tool_calls, expectedOf(set.dir)[s.session_id]!.tool_calls, 'tool_calls counts each id once');
      assert.equal(s.tool_calls, want.uses.filter((u) => u.session_id === s.session_id).length);
      assert.equal(s.git_branch, want.sessionBranch.get(s.session_id));
      assert.equal(s.git_branch, BRANCH[set.version]);
    }
    const calls = query<{ k: string; git_branch: string }>(sb.db, "SELECT session_id || '/' || call_key AS k, git_branch FROM token_usage");
    assert.equal(calls.length, want.calls.size);
    for (const c of calls) assert.equal(c.git_branch, want.calls.get(c.k), c.k);
  });
}

test('pure: the session branch is the latest call line\'s and is_error true once any result says so, in any read order', () => {
  const call = (id: string, ts: string, gitBranch?: string) =>
    JSON.stringify({ type: 'assistant', requestId: `r${id}`, timestamp: ts, gitBranch, message: { id, model: 'claude-sonnet-4-5', usage: { input_tokens: 1 }, content: [{ type: 'tool_use', id: `t${id}`, name: 'Bash', input: {} }] } });
  const result = (id: string, isError: boolean) => JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: `t${id}`, is_error: isError }] } });
  const lines = [
    call('1', '2026-01-01T00:00:01.000Z', 'main'),
    call('2', '2026-01-01T00:00:03.000Z', 'feature'),
    call('3', '2026-01-01T00:00:02.000Z', 'main'),
    call('4', '2026-01-01T00:00:04.000Z'), // names no branch: not counted
    result('1', false),
    result('1', true), // a result saying error wins over one that does not
    result('2', false),
  ];
  const orders = [lines, [...lines].reverse(), [lines[6]!, lines[2]!, lines[5]!, lines[0]!, lines[3]!, lines[4]!, lines[1]!]];
  for (const order of orders) {
    const st = createTranscriptState();
    for (const l of order) applyTranscriptLine(st, l, { agentId: null });
    const s = summarizeTranscript(st, () => null);
    assert.equal(s.git_branch, 'feature');
    assert.deepEqual(s.calls.map((c) => c.git_branch), ['main', 'main', 'feature', null]);
    assert.deepEqual(Object.fromEntries(Object.entries(st.tool_uses).map(([k, u]) => [k, u.is_error])), { t1: true, t2: false, t3: null, t4: null });
    assert.equal(s.tool_calls, 4);
  }
});

function bytesRead(stderr: string): number {
  return Number([...stderr.matchAll(/transcript_bytes_read_total=(\d+)/g)].at(-1)?.[1] ?? 0);
}

test("a tool_result read in a later Stop than its tool_use: is_error NULL, then set by key; the Stop reads only the new bytes", (t) => {
  const cases = [
    // The 2.1.332 docs session's subagent: its refused Write's result comes in the second Stop.
    { set: FIXTURE_SETS[1]!, file: /agent-a0b24e80bd7792e7a\.jsonl$/, id: 'toolu_e2emwxdssnf00080', name: 'Write', error: 1 },
    // The 2.1.197 shop-api session's main transcript: its Write's result (no is_error) likewise.
    { set: FIXTURE_SETS[0]!, file: /f332c3dd-cf19-4fa4-8049-adee686fb5cd\.jsonl$/, id: 'toolu_014d5a2v6m041n00020', name: 'Write', error: 0 },
  ];
  for (const c of cases) {
    const sb = sandbox(t);
    copySet(sb, c.set);
    const projects = path.join(sb.dir, 'home', '.claude', 'projects');
    const [sid, file] = transcriptFiles(projects).find(([, f]) => c.file.test(f))!;
    const main = transcriptFiles(projects).find(([s, , a]) => s === sid && a === null)![1];
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n').filter((l) => l !== '').map((l) => `${l}\n`);
    const cut = lines.findIndex((l) => l.includes(`"tool_use_id":"${c.id}"`));
    assert.ok(cut > 0 && lines.slice(0, cut).some((l) => l.includes(`"id":"${c.id}"`)), 'its tool_use before the cut, its result after');
    fs.writeFileSync(file, lines.slice(0, cut).join(''));
    const stop = (): number => {
      spoolPayload(sb, event(sid, 'Stop', { transcript_path: main }));
      const r = drain(sb, ['--log-level', 'debug']);
      assert.equal(r.code, 0, r.stderr);
      return bytesRead(r.stderr);
    };
    stop();
    const row = () => query<ToolUseRow>(sb.db, 'SELECT * FROM tool_uses WHERE session_id = ? AND tool_use_id = ?', sid, c.id)[0]!;
    assert.equal(row().name, c.name);
    assert.equal(row().is_error, null, 'unknown until the result is read');
    const rest = lines.slice(cut).join('');
    fs.appendFileSync(file, rest);
    assert.equal(stop(), Buffer.byteLength(rest), 'the second Stop reads only what was appended');
    assert.equal(row().is_error, c.error);
    const want = expectedOf(c.set.dir)[sid]!;
    const s = query(sb.db, 'SELECT tool_calls, lines_added, lines_removed, commits FROM sessions WHERE session_id = ?', sid)[0]!;
    assert.deepEqual(s, { tool_calls: want.tool_calls, lines_added: want.lines_added, lines_removed: want.lines_removed, commits: want.commits });
    assert.deepEqual(toolUses(sb.db), readFixtures(projects).uses.filter((u) => u.session_id === sid));
  }
});

/** Every figure of every session, as rows, without the columns 0008 added. */
function figures(db: string) {
  return {
    sessions: query(db, 'SELECT * FROM sessions ORDER BY session_id').map(({ git_branch: _, ...r }) => r),
    calls: query(db, 'SELECT * FROM token_usage ORDER BY session_id, call_key').map(({ id: _i, git_branch: _b, ...r }) => r),
    models: query(db, 'SELECT * FROM session_models ORDER BY session_id, model'),
    tools: query(db, 'SELECT session_id, tool_use_id FROM tool_uses ORDER BY session_id, tool_use_id'),
  };
}
type Keyed = { session_id: string } & Record<string, unknown>;
const newData = (db: string): Record<'tools' | 'calls' | 'sessions', Keyed[]> => ({
  tools: toolUses(db),
  calls: query<Keyed>(db, 'SELECT session_id, call_key, git_branch FROM token_usage ORDER BY session_id, call_key'),
  sessions: query<Keyed>(db, 'SELECT session_id, git_branch FROM sessions ORDER BY session_id'),
});

test('a database written before 0008 is backfilled by import: the same figures, the new columns filled where the transcripts remain', (t) => {
  const sb = sandbox(t);
  // Both sets' sessions, applied one payload at a time (figures kept by difference), by this worker.
  for (const set of FIXTURE_SETS) {
    for (const body of copySet(sb, set)) {
      spoolPayload(sb, body);
      assert.equal(drain(sb).code, 0);
    }
  }
  const before = figures(sb.db);
  const filled = newData(sb.db);
  // Made what the worker before 0008 left (schema 7: same tables and columns, saved states v 1).
  downgradeTo7(sb.db);
  assert.deepEqual(schemaOf(sb.db), schemaUpTo(sb, 7));
  const projects = path.join(sb.dir, 'home', '.claude', 'projects');
  const files = transcriptFiles(projects);
  // One session's transcript is gone; another's subagent file is gone (its main one remains).
  const gone = files.find(([, f]) => f.endsWith('6cc526de-06b2-43a3-96be-ad32a48a8999.jsonl'))!;
  const partly = files.find(([, , a]) => a === 'a0b24e80bd7792e7a')!;
  fs.rmSync(gone[1]);
  fs.rmSync(partly[1]);

  // The migration alone changes no figure and marks every session to be read again.
  assert.equal(drain(sb).code, 0);
  assert.deepEqual(figures(sb.db), before);
  assert.deepEqual(query(sb.db, 'SELECT DISTINCT reread FROM transcript_reads'), [{ reread: 1 }]);
  assert.equal(query(sb.db, 'SELECT count(*) AS n FROM tool_uses WHERE name IS NOT NULL')[0]!.n, 0);

  // A Stop naming the session whose transcript is gone: nothing to read, nothing changes.
  const cwd = before.sessions.find((s) => s.session_id === gone[0])!.cwd;
  spoolPayload(sb, event(gone[0], 'Stop', { transcript_path: gone[1], cwd }));
  const imp = spawnSync(process.execPath, [CLI, 'import', '--claude-dir', path.dirname(projects), '--spool', sb.spool, '--db', sb.db, '--drain'], { encoding: 'utf8' });
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /import: 5 sessions found/);
  assert.deepEqual(figures(sb.db), before, 'every figure as it was: read again from scratch, or not at all');
  const kept = new Set([gone[0], partly[0]]);
  const after = newData(sb.db);
  const pick = (rows: Keyed[], keep: boolean) => rows.filter((r) => kept.has(r.session_id) === keep);
  for (const k of ['tools', 'calls', 'sessions'] as const) {
    assert.deepEqual(pick(after[k], false), pick(filled[k], false), `${k}: filled again from the transcripts`);
    assert.ok(pick(after[k], true).every((r) => Object.values(r).filter((v) => v === null).length > 0), `${k}: left NULL where a file is gone`);
  }
  assert.deepEqual(
    query(sb.db, 'SELECT session_id, reread FROM transcript_reads WHERE reread = 1 ORDER BY session_id'),
    [...kept].sort().map((session_id) => ({ session_id, reread: 1 })),
  );
});
