// End to end with the real client: the Claude Code binary from the npm registry
// (@anthropic-ai/claude-code, pinned), driven with `claude -p` against a loopback stand-in for the
// Messages API (test/support/messages-api.ts), in a temporary HOME where `claude-metrics install`
// registered the project's hook for SessionStart, Stop, SubagentStop and SessionEnd (beside
// another tool's hook), with a worker watching the spool. The sessions make git commits with Bash (one from a response holding two parallel tool
// calls), Write and Edit files, run a subagent, and resume a session under another model. The
// database must then hold the figures computed here, independently of src/, from the transcripts
// the client wrote, and those must equal what the stand-in handed out.
//
// What 2.1.332 does differently from 2.1.197 here: the Agent tool runs its subagent in the
// background by default. Its tool result comes back at once ("Async agent launched"), the main
// turn ends (Stop, with the agent in `background_tasks`) while the subagent works; when the
// subagent ends (SubagentStop) the client puts a <task-notification> into the conversation and
// takes one more turn: one more API call and a second Stop. The subagent's calls land in its
// transcript after the first Stop has been applied.
//
// CM_E2E_RECORD=<dir> also records the run as a fixture set like ../shared/fixtures/claude-code-2.1.197:
// <dir>/payloads/<epoch ns>-<Event>.json (every hook stdin), <dir>/projects (HOME/.claude/projects),
// with HOME rewritten to /home/user and the repositories to /home/user/code/<name>, and
// <dir>/expected.json computed from the rewritten files (see recordFixtures below).
//
// When the binary cannot run on this platform the test fails, saying so: it never skips.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, HOOK, ROOT, ledgerCount, query, waitUntil } from './helpers.ts';
import { CLAUDE_BIN, CLAUDE_VERSION, assertClaudeRuns, projectDir } from './support/claude-client.ts';
import { type MessagesApi, type Script, type ServedResponse, type ServedUsage, startMessagesApi } from './support/messages-api.ts';

const RUN_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// An independent calculator of docs/metrics-spec.md (deliberately not src/worker/transcript.ts).

/** USD per million tokens, from shared/docs/claude-code-facts.md. */
const PRICES: Array<{ match: RegExp; input: number; output: number; w5m: number; w1h: number; read: number }> = [
  { match: /^claude-opus-4-[5-8]\b/, input: 5, output: 25, w5m: 6.25, w1h: 10, read: 0.5 },
  { match: /^claude-opus-4(-1)?\b/, input: 15, output: 75, w5m: 18.75, w1h: 30, read: 1.5 },
  { match: /^claude-sonnet-4(-[56])?\b/, input: 3, output: 15, w5m: 3.75, w1h: 6, read: 0.3 },
  { match: /^claude-sonnet-5\b/, input: 2, output: 10, w5m: 2.5, w1h: 4, read: 0.2 },
  { match: /^claude-haiku-4-5\b/, input: 1, output: 5, w5m: 1.25, w1h: 2, read: 0.1 },
  { match: /^claude-3-5-haiku\b/, input: 0.8, output: 4, w5m: 1, w1h: 1.6, read: 0.08 },
];

interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  h1: number;
}

function usageOf(u: Record<string, unknown> | ServedUsage): Usage {
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const r = u as Record<string, unknown>;
  const cc = n(r.cache_creation_input_tokens);
  const split = (r.cache_creation ?? {}) as Record<string, unknown>;
  return {
    input_tokens: n(r.input_tokens),
    output_tokens: n(r.output_tokens),
    cache_creation_input_tokens: cc,
    cache_read_input_tokens: n(r.cache_read_input_tokens),
    h1: Math.min(cc, n(split.ephemeral_1h_input_tokens)),
  };
}

function callCost(model: string, u: Usage): number {
  const p = PRICES.find((x) => x.match.test(model));
  assert.ok(p, `the test's price table knows model ${model}`);
  return (
    (u.input_tokens * p.input +
      u.output_tokens * p.output +
      (u.cache_creation_input_tokens - u.h1) * p.w5m +
      u.h1 * p.w1h +
      u.cache_read_input_tokens * p.read) /
    1e6
  );
}

interface Call {
  key: string;
  message_id: string;
  request_id: string;
  model: string;
  usage: Usage;
}

interface Figures {
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  total_cost_usd: number;
  tool_calls: number;
  commits: number;
  lines_added: number;
  lines_removed: number;
  start_time: string | null;
  end_time: string | null;
  api_calls: number;
}

const COMMIT = /\bgit\b[^|;&\n]*\bcommit\b/;

function countLines(text: unknown): number {
  if (typeof text !== 'string' || text === '') return 0;
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.length;
}

/** A session's figures from its transcript files (main + subagents), as metrics-spec.md defines them. */
function figuresFromTranscripts(files: string[]): { figures: Figures; calls: Call[] } {
  const calls = new Map<string, Call>();
  const tools = new Map<string, { name: string; input: Record<string, unknown> }>();
  const results = new Map<string, { is_error: boolean; toolUseResult: unknown }>();
  let first: number | null = null;
  let last: number | null = null;
  for (const file of files) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let o: Record<string, any>;
      try {
        o = JSON.parse(line);
      } catch {
        continue; // a partial last line
      }
      if (o.type !== 'user' && o.type !== 'assistant') continue;
      const ts = typeof o.timestamp === 'string' ? Date.parse(o.timestamp) : NaN;
      if (Number.isFinite(ts)) {
        first = first === null ? ts : Math.min(first, ts);
        last = last === null ? ts : Math.max(last, ts);
      }
      const content: unknown[] = Array.isArray(o.message?.content) ? o.message.content : [];
      if (o.type === 'assistant') {
        for (const b of content as Array<Record<string, any>>) {
          if (b?.type === 'tool_use' && typeof b.id === 'string') tools.set(b.id, { name: String(b.name), input: b.input ?? {} });
        }
        const m = o.message ?? {};
        if (m.usage && m.model !== '<synthetic>') {
          const key = `${m.id}|${o.requestId}`;
          const usage = usageOf(m.usage);
          const sum = (u: Usage) => u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
          const seen = calls.get(key);
          if (!seen || sum(usage) > sum(seen.usage)) {
            calls.set(key, { key, message_id: String(m.id), request_id: String(o.requestId), model: String(m.model), usage });
          }
        }
      } else {
        const resultBlocks = (content as Array<Record<string, any>>).filter((b) => b?.type === 'tool_result');
        for (const b of resultBlocks) {
          results.set(String(b.tool_use_id), {
            is_error: b.is_error === true,
            // A line's toolUseResult belongs to its tool_result only when the line holds one.
            toolUseResult: resultBlocks.length === 1 ? o.toolUseResult : undefined,
          });
        }
      }
    }
  }
  let commits = 0;
  let added = 0;
  let removed = 0;
  for (const [id, tool] of tools) {
    const result = results.get(id);
    if (!result || result.is_error) continue;
    if (tool.name === 'Bash' && typeof tool.input.command === 'string' && COMMIT.test(tool.input.command)) commits++;
    if (tool.name !== 'Write' && tool.name !== 'Edit' && tool.name !== 'MultiEdit') continue;
    const r = result.toolUseResult as Record<string, any> | undefined;
    if (r && typeof r === 'object') {
      if (tool.name === 'Write' && r.type === 'create') {
        added += countLines(r.content);
      } else {
        for (const hunk of Array.isArray(r.structuredPatch) ? r.structuredPatch : []) {
          for (const l of Array.isArray(hunk?.lines) ? hunk.lines : []) {
            if (typeof l !== 'string') continue;
            if (l.startsWith('+')) added++;
            else if (l.startsWith('-')) removed++;
          }
        }
      }
    } else if (tool.name === 'Write') {
      added += countLines(tool.input.content);
    } else {
      const edits = tool.name === 'MultiEdit' && Array.isArray(tool.input.edits) ? tool.input.edits : [tool.input];
      for (const e of edits as Array<Record<string, unknown>>) {
        added += countLines(e.new_string);
        removed += countLines(e.old_string);
      }
    }
  }
  const list = [...calls.values()];
  const total = (k: keyof Usage) => list.reduce((s, c) => s + c.usage[k], 0);
  return {
    calls: list,
    figures: {
      input_tokens: total('input_tokens'),
      output_tokens: total('output_tokens'),
      cache_creation_tokens: total('cache_creation_input_tokens'),
      cache_read_tokens: total('cache_read_input_tokens'),
      total_cost_usd: list.reduce((s, c) => s + callCost(c.model, c.usage), 0),
      tool_calls: tools.size,
      commits,
      lines_added: added,
      lines_removed: removed,
      start_time: first === null ? null : new Date(first).toISOString(),
      end_time: last === null ? null : new Date(last).toISOString(),
      api_calls: list.length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Driving the client.

interface ClaudeResult {
  session_id: string;
  total_cost_usd: number;
  is_error: boolean;
  result: string;
}

async function runClaude(args: string[], cwd: string, env: NodeJS.ProcessEnv, children: Set<ChildProcess>): Promise<ClaudeResult> {
  const child = spawn(CLAUDE_BIN, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, RUN_TIMEOUT_MS);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => {
    clearTimeout(timer);
    children.delete(child);
  });
  const what = `claude ${args.join(' ')}\n(exit ${code}, signal ${signal}${timedOut ? `, killed after ${RUN_TIMEOUT_MS} ms` : ''})\nstdout: ${stdout}\nstderr: ${stderr}`;
  assert.equal(code, 0, what);
  let out: ClaudeResult;
  try {
    out = JSON.parse(stdout) as ClaudeResult;
  } catch {
    throw new Error(`claude -p --output-format json printed no JSON: ${what}`);
  }
  assert.equal(out.is_error, false, what);
  assert.match(out.session_id, /^[0-9a-f-]{36}$/, what);
  return out;
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}


// ---------------------------------------------------------------------------------------------
// Recording the run as a fixture set.

/** A fixture session's figures, as expected.json holds them (keys in order). */
function expectedEntry(result: ReturnType<typeof figuresFromTranscripts>): Record<string, unknown> {
  const f = result.figures;
  const models: Record<string, { api_calls: number; cost_usd: number }> = {};
  for (const c of result.calls) {
    const m = (models[c.model] ??= { api_calls: 0, cost_usd: 0 });
    m.api_calls += 1;
    m.cost_usd += callCost(c.model, c.usage);
  }
  return {
    api_calls: f.api_calls,
    cache_creation_tokens: f.cache_creation_tokens,
    cache_read_tokens: f.cache_read_tokens,
    commits: f.commits,
    cost_usd: f.total_cost_usd,
    end_time: f.end_time,
    input_tokens: f.input_tokens,
    lines_added: f.lines_added,
    lines_removed: f.lines_removed,
    models: Object.fromEntries(Object.entries(models).sort(([a], [b]) => (a < b ? -1 : 1))),
    output_tokens: f.output_tokens,
    start_time: f.start_time,
    tool_calls: f.tool_calls,
  };
}

/** Every string (keys included) of a JSON value with the swaps applied in order. */
function rewriteJson(v: unknown, swap: (s: string) => string): unknown {
  if (typeof v === 'string') return swap(v);
  if (Array.isArray(v)) return v.map((x) => rewriteJson(x, swap));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [swap(k), rewriteJson(x, swap)]));
  return v;
}

/** A session's transcript files under a projects folder: main, then its subagents' files. */
function sessionFiles(projects: string, sessionId: string): string[] {
  const project = fs.readdirSync(projects).find((p) => fs.existsSync(path.join(projects, p, `${sessionId}.jsonl`)));
  assert.ok(project, `a transcript for ${sessionId} under ${projects}`);
  const subDir = path.join(projects, project, sessionId, 'subagents');
  const files = [path.join(projects, project, `${sessionId}.jsonl`)];
  if (fs.existsSync(subDir)) files.push(...fs.readdirSync(subDir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(subDir, f)));
  return files;
}

/**
 * Writes the run as a fixture set into `target`: payloads/<epoch ns>-<Event>.json, projects/ and
 * expected.json (replacing those three, leaving the rest, e.g. README.md). Paths are rewritten in
 * every JSON string, project folder names included (Claude Code names them after the cwd with
 * every non-alphanumeric as `-`), so that nothing names this machine's temporary folders.
 */
function recordFixtures(o: {
  target: string;
  dir: string;
  home: string;
  fired: string;
  /** Nanoseconds to add to process.hrtime.bigint() (the recorder's clock) for epoch time. */
  epochOffsetNs: bigint;
  sessionIds: string[];
  computed: Record<string, ReturnType<typeof figuresFromTranscripts>>;
}): void {
  const dash = (p: string) => p.replace(/[^a-zA-Z0-9]/g, '-');
  const plain: Array<[string, string]> = [
    [o.home, '/home/user'],
    [path.join(o.dir, 'code'), '/home/user/code'],
    // Hook commands (2.1.332 writes them into hook_success attachments and stop_hook_summary lines).
    [process.execPath, '/usr/local/bin/node'],
    [ROOT, '/opt/claude-metrics'],
    [o.dir, '/tmp/e2e'],
  ];
  const swaps = [...plain, ...plain.map(([a, b]): [string, string] => [dash(a), dash(b)])];
  const swap = (s: string) => swaps.reduce((acc, [a, b]) => acc.split(a).join(b), s);
  const rewriteText = (text: string, file: string) =>
    text
      .split('\n')
      .map((line, i) => {
        if (line === '') return line;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch (err) {
          throw new Error(`${file}:${i + 1} is not JSON (${(err as Error).message}): cannot record it`);
        }
        return JSON.stringify(rewriteJson(parsed, swap));
      })
      .join('\n');

  fs.mkdirSync(o.target, { recursive: true });
  for (const old of ['payloads', 'projects', 'expected.json']) fs.rmSync(path.join(o.target, old), { recursive: true, force: true });

  const payloads = path.join(o.target, 'payloads');
  fs.mkdirSync(payloads);
  const firedNames = fs
    .readdirSync(o.fired)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => (BigInt(a.split('-')[0]!) < BigInt(b.split('-')[0]!) ? -1 : 1));
  for (const name of firedNames) {
    const [ns, , event] = name.replace(/\.json$/, '').split('-');
    fs.writeFileSync(path.join(payloads, `${BigInt(ns!) + o.epochOffsetNs}-${event}.json`), rewriteText(fs.readFileSync(path.join(o.fired, name), 'utf8'), name));
  }

  const from = path.join(o.home, '.claude', 'projects');
  const projects = path.join(o.target, 'projects');
  const copy = (src: string, dst: string) => {
    for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
      const to = path.join(dst, swap(entry.name));
      if (entry.isDirectory()) {
        fs.mkdirSync(to, { recursive: true });
        copy(path.join(src, entry.name), to);
      } else {
        assert.ok(entry.isFile() && /\.jsonl?$/.test(entry.name), `only JSON and JSONL files under projects/: ${path.join(src, entry.name)}`);
        fs.writeFileSync(to, rewriteText(fs.readFileSync(path.join(src, entry.name), 'utf8'), entry.name));
      }
    }
  };
  fs.mkdirSync(projects);
  copy(from, projects);

  // Nothing of this machine's folders is left.
  const leftovers = [o.dir, dash(o.dir), ROOT, process.execPath];
  const check = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) check(p);
      else {
        const text = fs.readFileSync(p, 'utf8');
        for (const l of leftovers) assert.ok(!path.relative(o.target, p).includes(l) && !text.includes(l), `${p} still names ${l}`);
      }
    }
  };
  check(o.target);

  // The figures of the files as stored (the rewriting changes none of them).
  const expected: Record<string, unknown> = {};
  for (const id of [...o.sessionIds].sort()) {
    const stored = figuresFromTranscripts(sessionFiles(projects, id));
    assert.deepEqual(stored, o.computed[id], `${id}: the rewritten transcripts give the figures of the originals`);
    expected[id] = expectedEntry(stored);
  }
  fs.writeFileSync(path.join(o.target, 'expected.json'), `${JSON.stringify(expected, null, 1)}\n`);
  console.error(`recorded ${firedNames.length} payloads and ${o.sessionIds.length} sessions into ${o.target}`);
}

// ---------------------------------------------------------------------------------------------

test(`real Claude Code ${CLAUDE_VERSION} sessions through hook, spool and worker: the database equals the transcripts`, { timeout: 170_000 }, async (t) => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-e2e-')));
  // Clean-ups run last-registered first: clients, worker and server stop before the folder goes.
  // CM_E2E_KEEP=1 keeps the folder (HOME, transcripts, spool, database) to look at afterwards.
  const cleanups: Array<() => unknown> = [() => (process.env.CM_E2E_KEEP ? console.error(`kept ${dir}`) : fs.rmSync(dir, { recursive: true, force: true }))];
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  const failed: string[] = [];
  t.afterEach((sub) => {
    // TestContext.passed (Node ≥ 20.12) is missing from @types/node 22.20.
    if (!(sub as unknown as { passed: boolean }).passed) failed.push(sub.name);
  });
  const home = path.join(dir, 'home');
  const spool = path.join(dir, 'spool');
  const db = path.join(dir, 'metrics.db');
  const fired = path.join(dir, 'fired'); // a copy of every hook stdin, written by a second hook
  fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
  fs.mkdirSync(fired);
  // The recorder names its files by process.hrtime.bigint() (CLOCK_MONOTONIC, shared by every
  // process): this turns them into epoch nanoseconds for a recording.
  const epochOffsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  // The environment: nothing of the caller's Claude Code, Anthropic or claude-metrics settings.
  const baseEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(CLAUDE|ANTHROPIC|OTEL_|CLAUDE_METRICS_)/i.test(k)) baseEnv[k] = v;
  }
  baseEnv.HOME = home;
  assertClaudeRuns(baseEnv);

  const recorder = path.join(dir, 'record-hook.cjs');
  fs.writeFileSync(
    recorder,
    `const fs = require('fs'); let d = ''; process.stdin.on('data', (c) => (d += c)).on('end', () => {
       const o = JSON.parse(d);
       const f = require('path').join(process.argv[2], process.hrtime.bigint() + '-' + process.pid + '-' + o.hook_event_name + '.json');
       fs.writeFileSync(f + '.tmp', d);
       fs.renameSync(f + '.tmp', f); // whole files only: the stand-in reads them while the client runs
     });`,
  );
  const q = (s: string) => JSON.stringify(s);
  // Another tool's hook on every event (a second SessionEnd hook among them), on UserPromptSubmit
  // too (which ours does not use), and another key are already there; `claude-metrics install`
  // then adds ours, from another folder, with the HOME the client uses, as a user would.
  const recorderGroup = [{ hooks: [{ type: 'command', command: `${q(process.execPath)} ${q(recorder)} ${q(fired)}`, timeout: 10 }] }];
  const settingsFile = path.join(home, '.claude', 'settings.json');
  const before = {
    theme: 'dark',
    hooks: { SessionStart: recorderGroup, UserPromptSubmit: recorderGroup, Stop: recorderGroup, SubagentStop: recorderGroup, SessionEnd: recorderGroup },
  };
  fs.writeFileSync(settingsFile, JSON.stringify(before, null, 2));
  const installed = spawnSync(process.execPath, [CLI, 'install', '--spool', spool], { cwd: dir, env: baseEnv, encoding: 'utf8' });
  assert.equal(installed.status, 0, `claude-metrics install: ${installed.stderr}`);
  const after = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  assert.equal(after.theme, 'dark');
  for (const event of ['SessionStart', 'Stop', 'SubagentStop', 'SessionEnd']) {
    const commands = after.hooks[event].flatMap((g: { hooks: Array<{ command: string }> }) => g.hooks.map((h) => h.command));
    assert.deepEqual(commands, [recorderGroup[0]!.hooks[0]!.command, `${process.execPath} ${HOOK} --spool ${spool}`], `${event}: the other hook, then ours`);
  }
  assert.deepEqual(after.hooks.UserPromptSubmit, recorderGroup, 'UserPromptSubmit: the other hook alone');

  const repos: Record<'shop' | 'docs' | 'cli', string> = {
    shop: path.join(dir, 'code', 'shop-api'),
    docs: path.join(dir, 'code', 'docs-site'),
    cli: path.join(dir, 'code', 'cli-tool'),
  };
  for (const cwd of Object.values(repos)) {
    fs.mkdirSync(cwd, { recursive: true });
    git(cwd, 'init', '-q');
    git(cwd, 'config', 'user.name', 'E2E Test');
    git(cwd, 'config', 'user.email', 'e2e@example.com');
    git(cwd, 'config', 'commit.gpgsign', 'false');
  }
  fs.writeFileSync(path.join(repos.docs, 'index.md'), '# docs\n');

  /** How many `event` hooks the client has run so far in folder `cwd` (from the recorder's files). */
  const firedOf = (cwd: string, event: string) =>
    fs
      .readdirSync(fired)
      .filter((f) => f.endsWith(`-${event}.json`))
      .filter((f) => JSON.parse(fs.readFileSync(path.join(fired, f), 'utf8')).cwd === cwd).length;
  const notes = path.join(repos.shop, 'notes.md');
  const scripts: Record<string, Script> = {
    // (a) Write a new file, Edit it, commit twice: once from a response holding two parallel
    // tool calls (a read-only git status beside the commit), once alone.
    shop: {
      label: 'shop',
      turns: [
        { content: [{ type: 'text', text: 'Creating the notes file.' }, { type: 'tool_use', name: 'Write', input: { file_path: notes, content: 'alpha\nbeta\ngamma\n' } }] },
        {
          content: [
            { type: 'tool_use', name: 'Bash', input: { command: 'git status --short', description: 'Show status' } },
            { type: 'tool_use', name: 'Bash', input: { command: 'git add -A && git commit -q -m "add notes"', description: 'Commit notes' } },
          ],
        },
        { content: [{ type: 'tool_use', name: 'Edit', input: { file_path: notes, old_string: 'beta', new_string: 'BETA\ndelta' } }] },
        { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'git add -A && git commit -q -m "edit notes"', description: 'Commit the edit' } }] },
        { content: [{ type: 'text', text: 'Two commits made.' }] },
      ],
    },
    // (b) An Agent subagent (its own requests, its own transcript), and a 1-hour cache write.
    // 2.1.332 runs the agent in the background (the Agent tool's default): its tool result says it
    // was launched, the turn ends while it works (the first Stop), and when it ends the client
    // sends the conversation again with a <task-notification>: one more turn, a second Stop.
    docs: {
      label: 'docs',
      turns: [
        {
          content: [
            { type: 'text', text: 'Delegating.' },
            { type: 'tool_use', name: 'Agent', input: { description: 'Survey docs', prompt: '[e2e:docs-sub] list the files and write a summary', subagent_type: 'general-purpose' } },
          ],
        },
        { content: [{ type: 'text', text: 'The subagent is running in the background.' }] },
        { content: [{ type: 'text', text: 'The subagent is done.' }], cache1hShare: 1 },
      ],
    },
    // The subagent reads in parallel, then writes a report file (which 2.1.197 refuses to a subagent:
    // an is_error result whose lines must not count) beside an Edit that succeeds. Subagent
    // transcripts carry no toolUseResult, so the Edit's lines come from its input.
    'docs-sub': {
      label: 'docs-sub',
      turns: [
        {
          content: [
            { type: 'tool_use', name: 'Bash', input: { command: 'ls', description: 'List files' } },
            { type: 'tool_use', name: 'Read', input: { file_path: path.join(repos.docs, 'index.md') } },
          ],
        },
        {
          content: [
            { type: 'tool_use', name: 'Write', input: { file_path: path.join(repos.docs, 'summary.md'), content: 'one\ntwo\n' } },
            { type: 'tool_use', name: 'Edit', input: { file_path: path.join(repos.docs, 'index.md'), old_string: '# docs', new_string: '# Docs\n\nIntro.' } },
          ],
          cache1hShare: 0.25,
        },
        // Held until the main turn it runs beside has ended (its Stop fired), as a longer agent's
        // would be: were the subagent to end first, its notification would join that turn.
        {
          content: [{ type: 'text', text: 'sub result: files listed, index edited' }],
          hold: { until: "docs' first Stop", ready: () => firedOf(repos.docs, 'Stop') > 0 },
        },
      ],
    },
    // (c) A session under one model, then resumed under another.
    'cli-1': {
      label: 'cli',
      turns: [{ content: [{ type: 'tool_use', name: 'Bash', input: { command: 'echo one', description: 'Echo' } }] }, { content: [{ type: 'text', text: 'Part one done.' }] }],
    },
    'cli-2': {
      label: 'cli',
      turns: [
        { content: [{ type: 'tool_use', name: 'Write', input: { file_path: path.join(repos.cli, 'notes.md'), content: '# notes\n\n- a\n- b\n' } }], cache1hShare: 0.5 },
        { content: [{ type: 'text', text: 'Part two done.' }] },
      ],
    },
  };
  const apiLog: string[] = [];
  const api: MessagesApi = await startMessagesApi({ scripts, log: (l) => apiLog.push(l) });
  cleanups.push(() => api.close());

  // The worker watches the spool the whole time.
  const worker = spawn(process.execPath, [CLI, 'worker', '--spool', spool, '--db', db, '--rescan-ms', '500'], {
    env: baseEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let workerErr = '';
  worker.stderr!.on('data', (d: Buffer) => (workerErr += d.toString()));
  const workerExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    worker.on('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(() => {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  });
  await waitUntil(() => workerErr.includes('worker starting'), 20_000, () => `the worker to start: ${workerErr}`);

  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: 'test-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    // These machines run tests as root, where the client refuses --dangerously-skip-permissions
    // unless told it is in a sandbox (it is: a temp HOME and a loopback API).
    IS_SANDBOX: '1',
  };
  const children = new Set<ChildProcess>();
  cleanups.push(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const diagnostics = () =>
    `\nstand-in log:\n${apiLog.join('\n')}\nunknown paths: ${api.unknown.map((r) => `${r.method} ${r.path}`).join(', ') || 'none'}\nworker stderr:\n${workerErr}`;
  const common = ['--output-format', 'json', '--dangerously-skip-permissions'];
  let cliPartOneCost = Number.NaN;
  const [a, b, c] = await Promise.all([
    runClaude(['-p', '[e2e:shop] add a notes file, edit it, and commit twice', ...common, '--model', 'claude-sonnet-4-5'], repos.shop, env, children),
    runClaude(['-p', '[e2e:docs] use a subagent to survey the docs', ...common, '--model', 'claude-opus-4-5'], repos.docs, env, children),
    (async () => {
      const first = await runClaude(['-p', '[e2e:cli-1] part one', ...common, '--model', 'claude-haiku-4-5'], repos.cli, env, children);
      const second = await runClaude(['-p', '[e2e:cli-2] part two', '--resume', first.session_id, ...common, '--model', 'claude-sonnet-4-5'], repos.cli, env, children);
      assert.equal(second.session_id, first.session_id, '--resume keeps the session id');
      // 2.1.332 restores the session's running cost on --resume (a `cost-state` transcript line):
      // the second result's total_cost_usd is the whole session's, not part two's (2.1.197's).
      cliPartOneCost = first.total_cost_usd;
      return second;
    })(),
  ]).catch((err: Error) => {
    err.message += diagnostics();
    throw err;
  });
  const sessions = { shop: a, docs: b, cli: c };

  // The tools did their work in the repositories.
  assert.equal(git(repos.shop, 'log', '--format=%s').trim(), 'edit notes\nadd notes', 'two commits in shop-api');
  assert.equal(fs.readFileSync(notes, 'utf8'), 'alpha\nBETA\ndelta\ngamma\n');
  assert.equal(fs.readFileSync(path.join(repos.docs, 'index.md'), 'utf8'), '# Docs\n\nIntro.\n', 'the subagent edited index.md');
  assert.ok(!fs.existsSync(path.join(repos.docs, 'summary.md')), 'the subagent was refused its report file');
  assert.ok(
    api.responses.every((r) => r.kind !== 'overflow'),
    `no request went past its script: ${diagnostics()}`,
  );
  assert.ok(
    api.responses.every((r) => !r.hold_timed_out),
    `every held response's condition came true in time: ${diagnostics()}`,
  );

  // Every hook the client ran for our four events has been applied by the watching worker.
  const OURS = /-(SessionStart|Stop|SubagentStop|SessionEnd)\.json$/;
  const firedFiles = () => fs.readdirSync(fired).filter((f) => OURS.test(f));
  const spoolBusy = () =>
    ['incoming', 'processing'].some((sub) => {
      const d = path.join(spool, sub);
      return fs.existsSync(d) && fs.readdirSync(d).some((f) => f.endsWith('.json'));
    });
  await waitUntil(
    () => ledgerCount(db) >= firedFiles().length && !spoolBusy(),
    30_000,
    () => `the worker to apply ${firedFiles().length} payloads (has ${ledgerCount(db)}): ${diagnostics()}`,
  );
  const firedEvents = firedFiles()
    .sort((x, y) => (BigInt(x.split('-')[0]!) < BigInt(y.split('-')[0]!) ? -1 : 1))
    .map((f) => JSON.parse(fs.readFileSync(path.join(fired, f), 'utf8')) as Record<string, any>);

  await t.test('the client wrote its transcripts under HOME/.claude/projects, subagent file beside', () => {
    for (const [name, s] of Object.entries(sessions)) {
      const main = path.join(projectDir(home, repos[name as keyof typeof repos]), `${s.session_id}.jsonl`);
      assert.ok(fs.existsSync(main), `${name}: ${main} exists`);
      const starts = firedEvents.filter((e) => e.session_id === s.session_id && e.hook_event_name === 'SessionStart');
      assert.ok(starts.length > 0 && starts.every((e) => e.transcript_path === main), `${name}: payloads name ${main}`);
    }
    const subDir = path.join(projectDir(home, repos.docs), b.session_id, 'subagents');
    assert.equal(fs.readdirSync(subDir).filter((f) => f.endsWith('.jsonl')).length, 1, 'one subagent transcript for docs');
    // 2.1.332: the background agent's end comes back as a user line of the docs session.
    const docsLines = fs
      .readFileSync(path.join(projectDir(home, repos.docs), `${b.session_id}.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
    const notifications = docsLines.filter((o) => o.type === 'user' && o.origin?.kind === 'task-notification');
    assert.equal(notifications.length, 1, 'docs: one task notification');
    assert.match(String(notifications[0]!.message?.content), /<task-notification>[\s\S]*<status>completed<\/status>/);
    assert.ok(!fs.existsSync(path.join(projectDir(home, repos.shop), a.session_id)), 'no subagent folder for shop');
  });

  await t.test('every hook event fired was applied once: payloads holds exactly the fired events', () => {
    const count = (sid: string, ev: string) => firedEvents.filter((e) => e.session_id === sid && e.hook_event_name === ev).length;
    const shape = (sid: string) => ({
      SessionStart: count(sid, 'SessionStart'),
      Stop: count(sid, 'Stop'),
      SubagentStop: count(sid, 'SubagentStop'),
      SessionEnd: count(sid, 'SessionEnd'),
    });
    assert.deepEqual(shape(a.session_id), { SessionStart: 1, Stop: 1, SubagentStop: 0, SessionEnd: 1 }, 'shop fired');
    // 2.1.332: a Stop for the turn that launched the background agent, another for the turn its
    // notification started.
    assert.deepEqual(shape(b.session_id), { SessionStart: 1, Stop: 2, SubagentStop: 1, SessionEnd: 1 }, 'docs fired');
    assert.deepEqual(shape(c.session_id), { SessionStart: 2, Stop: 2, SubagentStop: 0, SessionEnd: 2 }, 'cli fired (started, resumed)');
    assert.deepEqual(
      firedEvents.filter((e) => e.session_id === c.session_id && e.hook_event_name === 'SessionStart').map((e) => e.source),
      ['startup', 'resume'],
    );
    // 2.1.332, docs: the turn that launched the agent stops while the agent runs; the agent
    // stops; its notification's turn stops.
    const docs = firedEvents.filter((e) => e.session_id === b.session_id);
    assert.deepEqual(
      docs.map((e) => `${e.hook_event_name} ${e.last_assistant_message ?? ''}`.trim()),
      [
        'SessionStart',
        'Stop The subagent is running in the background.',
        'SubagentStop sub result: files listed, index edited',
        'Stop The subagent is done.',
        'SessionEnd',
      ],
      'docs: hooks in firing order',
    );
    assert.deepEqual(
      docs[1]!.background_tasks.map((task: Record<string, unknown>) => [task.type, task.status, task.description]),
      [['subagent', 'running', 'Survey docs']],
      'docs: the first Stop names the running agent',
    );
    assert.deepEqual(docs[3]!.background_tasks, [], 'docs: nothing left running at the second Stop');
    // The notification also fires UserPromptSubmit (the recorder's only), with itself as the prompt.
    const docsPrompts = fs
      .readdirSync(fired)
      .filter((f) => f.endsWith('-UserPromptSubmit.json'))
      .sort((x, y) => (BigInt(x.split('-')[0]!) < BigInt(y.split('-')[0]!) ? -1 : 1))
      .map((f) => JSON.parse(fs.readFileSync(path.join(fired, f), 'utf8')) as Record<string, string>)
      .filter((e) => e.session_id === b.session_id)
      .map((e) => e.prompt);
    assert.equal(docsPrompts.length, 2, `docs prompts: ${JSON.stringify(docsPrompts)}`);
    assert.equal(docsPrompts[0], '[e2e:docs] use a subagent to survey the docs');
    assert.match(docsPrompts[1]!, /^<task-notification>/);
    const ledger = query<{ event: string; session_id: string }>(db, 'SELECT event, session_id FROM payloads')
      .map((r) => `${r.session_id} ${r.event}`)
      .sort();
    assert.deepEqual(ledger, firedEvents.map((e) => `${e.session_id} ${e.hook_event_name}`).sort(), 'one payloads row per fired hook');
    const deadDir = path.join(spool, 'dead');
    assert.deepEqual(fs.existsSync(deadDir) ? fs.readdirSync(deadDir) : [], [], 'nothing dead-lettered');
    assert.deepEqual(
      query<{ session_id: string }>(db, 'SELECT session_id FROM sessions ORDER BY session_id').map((r) => r.session_id),
      [a.session_id, b.session_id, c.session_id].sort(),
    );
  });

  // The figures, computed here from the transcripts the client wrote.
  const computed = Object.fromEntries(
    Object.entries(sessions).map(([name, s]) => {
      const pdir = projectDir(home, repos[name as keyof typeof repos]);
      const subDir = path.join(pdir, s.session_id, 'subagents');
      const files = [path.join(pdir, `${s.session_id}.jsonl`)];
      if (fs.existsSync(subDir)) files.push(...fs.readdirSync(subDir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(subDir, f)));
      return [name, figuresFromTranscripts(files)];
    }),
  ) as Record<keyof typeof sessions, ReturnType<typeof figuresFromTranscripts>>;

  // What the scripts make each session do (the transcripts must show it).
  const planned: Record<keyof typeof sessions, Pick<Figures, 'api_calls' | 'tool_calls' | 'commits' | 'lines_added' | 'lines_removed'>> = {
    shop: { api_calls: 5, tool_calls: 5, commits: 2, lines_added: 3 + 2, lines_removed: 1 },
    // 2.1.332: three main calls (the notification turn's is the third), three subagent calls.
    docs: { api_calls: 3 + 3, tool_calls: 5, commits: 0, lines_added: 3, lines_removed: 1 },
    cli: { api_calls: 2 + 2, tool_calls: 2, commits: 0, lines_added: 4, lines_removed: 0 },
  };

  await t.test('transcript figures equal what the stand-in handed out, call by call', () => {
    for (const [name, s] of Object.entries(sessions) as Array<[keyof typeof sessions, ClaudeResult]>) {
      const { figures, calls } = computed[name];
      const served = api.responses.filter((r) => r.session_header === s.session_id);
      assert.ok(served.every((r) => r.kind === 'script'), `${name}: only scripted responses (no side calls): ${diagnostics()}`);
      const servedByCall = new Map(served.map((r: ServedResponse) => [`${r.message_id}|${r.request_id}`, r]));
      assert.deepEqual(
        calls.map((c) => c.key).sort(),
        [...servedByCall.keys()].sort(),
        `${name}: the transcript's calls are the responses served (message id + request-id header)`,
      );
      for (const call of calls) {
        const r = servedByCall.get(call.key)!;
        assert.deepEqual(call.usage, usageOf(r.usage), `${name}: usage of ${call.key}`);
        assert.equal(call.model, r.model, `${name}: model of ${call.key}`);
      }
      const sum = (f: (u: Usage) => number) => served.reduce((n, r) => n + f(usageOf(r.usage)), 0);
      assert.equal(figures.input_tokens, sum((u) => u.input_tokens), `${name}: input tokens`);
      assert.equal(figures.output_tokens, sum((u) => u.output_tokens), `${name}: output tokens`);
      assert.equal(figures.cache_creation_tokens, sum((u) => u.cache_creation_input_tokens), `${name}: cache creation tokens`);
      assert.equal(figures.cache_read_tokens, sum((u) => u.cache_read_input_tokens), `${name}: cache read tokens`);
      const servedCost = served.reduce((n, r) => n + callCost(r.model, usageOf(r.usage)), 0);
      assert.ok(Math.abs(figures.total_cost_usd - servedCost) < 1e-9, `${name}: cost ${figures.total_cost_usd} vs served ${servedCost}`);
      assert.deepEqual(
        { api_calls: figures.api_calls, tool_calls: figures.tool_calls, commits: figures.commits, lines_added: figures.lines_added, lines_removed: figures.lines_removed },
        planned[name],
        `${name}: what the script made the session do`,
      );
      // Subagent requests carry the parent's session id and their agent's id.
      const sub = served.filter((r) => r.agent_header !== null);
      assert.deepEqual(sub.map((r) => r.label), name === 'docs' ? ['docs-sub', 'docs-sub', 'docs-sub'] : [], `${name}: subagent requests`);
      // The client's own reckoning (`total_cost_usd` of its JSON result) agrees with the price table.
      assert.ok(Math.abs(s.total_cost_usd - figures.total_cost_usd) < 1e-9, `${name}: client says ${s.total_cost_usd}, we say ${figures.total_cost_usd}`);
    }
    // cli's first run (before --resume) was its claude-haiku-4-5 calls.
    const partOne = computed.cli.calls.filter((x) => x.model === 'claude-haiku-4-5').reduce((n, x) => n + callCost(x.model, x.usage), 0);
    assert.ok(Math.abs(cliPartOneCost - partOne) < 1e-9, `cli part one: client says ${cliPartOneCost}, we say ${partOne}`);
    const models = (name: keyof typeof sessions) => [...new Set(computed[name].calls.map((x) => x.model))].sort();
    assert.deepEqual(models('cli'), ['claude-haiku-4-5', 'claude-sonnet-4-5'], 'the resumed session ran under two models');
    assert.ok(computed.docs.calls.some((x) => x.usage.h1 > 0), 'docs has 1-hour cache writes');
  });

  const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  for (const name of Object.keys(sessions) as Array<keyof typeof sessions>) {
    await t.test(`${name}: the sessions row equals the transcript figures`, () => {
      const sid = sessions[name].session_id;
      const row = query<Record<string, unknown>>(db, 'SELECT * FROM sessions WHERE session_id = ?', sid)[0];
      assert.ok(row, `a sessions row for ${sid}`);
      const expected = computed[name].figures;
      const actual: Record<string, unknown> = {};
      for (const key of Object.keys(expected) as Array<keyof Figures>) {
        const v = row[key];
        if (key === 'total_cost_usd' && typeof v === 'number' && Math.abs(v - expected.total_cost_usd) < 1e-9) actual[key] = expected.total_cost_usd;
        else if ((key === 'start_time' || key === 'end_time') && typeof v === 'string' && RFC3339.test(v)) actual[key] = new Date(v).toISOString();
        else actual[key] = v;
      }
      assert.deepEqual(actual, { ...expected }, `sessions row of ${name} (${sid}); columns: ${Object.keys(row).join(', ')}`);
    });
    await t.test(`${name}: token_usage has exactly one row per API call`, () => {
      const sid = sessions[name].session_id;
      const rows = query<Record<string, unknown>>(db, 'SELECT * FROM token_usage WHERE session_id = ?', sid);
      const asKey = (model: unknown, i: unknown, o: unknown, cc: unknown, cr: unknown) => `${model} in=${i} out=${o} cc=${cc} cr=${cr}`;
      assert.deepEqual(
        rows.map((r) => asKey(r.model, r.input_tokens, r.output_tokens, r.cache_creation_tokens, r.cache_read_tokens)).sort(),
        computed[name].calls
          .map((x) => asKey(x.model, x.usage.input_tokens, x.usage.output_tokens, x.usage.cache_creation_input_tokens, x.usage.cache_read_input_tokens))
          .sort(),
        `token_usage of ${name} (${sid})`,
      );
      for (const r of rows) assert.match(String(r.timestamp), RFC3339, 'token_usage.timestamp is RFC 3339');
      if (rows.length > 0 && 'message_id' in rows[0]!) {
        assert.deepEqual(rows.map((r) => r.message_id).sort(), computed[name].calls.map((x) => x.message_id).sort(), 'token_usage.message_id');
      }
    });
  }

  worker.kill('SIGTERM');
  assert.deepEqual(await workerExited, { code: 0, signal: null }, `the worker stops cleanly: ${workerErr}`);
  assert.doesNotMatch(workerErr, /^\S+ (error|warn) /m, 'the worker logged no warning or error');
  // CM_E2E_VERBOSE=1 prints what the stand-in saw and what the worker said.
  if (process.env.CM_E2E_VERBOSE) console.error(diagnostics());

  const target = process.env.CM_E2E_RECORD;
  if (target) {
    await t.test(`recorded as a fixture set into ${target}`, () => {
      assert.deepEqual(failed, [], 'a run with failures is not recorded');
      recordFixtures({
        target: path.resolve(target),
        dir,
        home,
        fired,
        epochOffsetNs,
        sessionIds: Object.values(sessions).map((s) => s.session_id),
        computed: Object.fromEntries(Object.entries(sessions).map(([name, s]) => [s.session_id, computed[name as keyof typeof sessions]])),
      });
    });
  }
});
