// Parse transcript and pricing: the recorded Claude Code sessions (every fixture set: 2.1.197 and
// 2.1.332) give expected.json's figures, and the incremental state gives the same figures however
// the lines are split or re-read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, FIXTURE_SETS } from './helpers.ts';
import {
  DEFAULT_PRICES,
  callCostUsd,
  mergePriceOverrides,
  normaliseModelId,
  priceResolver,
  resolvePrices,
} from '../src/worker/pricing.ts';
import {
  applyTranscriptLine,
  countLines,
  countOversizeLine,
  createTranscriptState,
  summarizeTranscript,
  type LineSource,
  type TranscriptState,
  type TranscriptSummary,
} from '../src/worker/transcript.ts';

/** The shared 2.1.197 set, for the tests that name its sessions and calls. */
const PROJECTS = path.join(FIXTURES, 'projects');
const priceFor = priceResolver();

interface Expected {
  api_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
  tool_calls: number;
  commits: number;
  lines_added: number;
  lines_removed: number;
  start_time: string;
  end_time: string;
  models: Record<string, { api_calls: number; cost_usd: number }>;
}
const expectedOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, Expected>;

type Fed = { line: string; source: LineSource };

// Every line of a session: its main transcript (projects/<project>/<id>.jsonl), then each of its
// subagents' files (projects/<project>/<id>/subagents/agent-<agent id>.jsonl).
function sessionLines(sessionId: string, projects = PROJECTS): Fed[] {
  const out: Fed[] = [];
  let found = false;
  for (const project of fs.readdirSync(projects).sort()) {
    const main = path.join(projects, project, `${sessionId}.jsonl`);
    if (!fs.existsSync(main)) continue;
    found = true;
    for (const line of fs.readFileSync(main, 'utf8').split('\n')) out.push({ line, source: { agentId: null } });
    const subDir = path.join(projects, project, sessionId, 'subagents');
    if (!fs.existsSync(subDir)) continue;
    for (const f of fs.readdirSync(subDir).filter((n) => n.endsWith('.jsonl')).sort()) {
      const agentId = f.replace(/^agent-/, '').replace(/\.jsonl$/, '');
      for (const line of fs.readFileSync(path.join(subDir, f), 'utf8').split('\n')) out.push({ line, source: { agentId } });
    }
  }
  assert.ok(found, `no transcript for ${sessionId}`);
  return out;
}

function feed(lines: Fed[], state: TranscriptState = createTranscriptState()): TranscriptState {
  for (const { line, source } of lines) applyTranscriptLine(state, line, source);
  return state;
}

const roundTrip = (s: TranscriptState): TranscriptState => JSON.parse(JSON.stringify(s)) as TranscriptState;

function assertExpected(expected: Record<string, Expected>, id: string, s: TranscriptSummary): void {
  const e = expected[id];
  assert.ok(e);
  for (const k of ['api_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'tool_calls', 'commits', 'lines_added', 'lines_removed', 'start_time', 'end_time'] as const) {
    assert.equal(s[k], e[k], `${id} ${k}`);
  }
  assert.ok(Math.abs(s.cost_usd - e.cost_usd) < 1e-9, `${id} cost_usd ${s.cost_usd} ≠ ${e.cost_usd}`);
  assert.equal(s.cost_complete, true, `${id} cost_complete`);
  assert.deepEqual(Object.keys(s.models).sort(), Object.keys(e.models).sort(), `${id} models`);
  for (const [model, em] of Object.entries(e.models)) {
    const m = s.models[model];
    assert.ok(m, `${id} ${model}`);
    assert.equal(m.api_calls, em.api_calls, `${id} ${model} api_calls`);
    assert.ok(m.cost_usd !== null && Math.abs(m.cost_usd - em.cost_usd) < 1e-9, `${id} ${model} cost_usd ${m.cost_usd} ≠ ${em.cost_usd}`);
  }
  assert.equal(s.calls.length, e.api_calls, `${id} call rows`);
  assert.equal(s.malformed_lines, 0, `${id} malformed_lines`);
}

// A compact assistant line like Claude Code writes (one per content block).
function assistantLine(o: {
  id: string;
  req: string;
  model?: string;
  ts?: string;
  usage?: Record<string, unknown>;
  content?: unknown[];
}): string {
  return JSON.stringify({
    type: 'assistant',
    requestId: o.req,
    timestamp: o.ts ?? '2026-01-01T00:00:00.000Z',
    message: {
      id: o.id,
      model: o.model ?? 'claude-sonnet-4-5',
      content: o.content ?? [{ type: 'text', text: 'x' }],
      usage: o.usage ?? { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
}
const resultLine = (toolUseId: string, extra: Record<string, unknown> = {}, isError?: boolean): string =>
  JSON.stringify({
    type: 'user',
    timestamp: '2026-01-01T00:00:01.000Z',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content: 'ok', ...(isError === undefined ? {} : { is_error: isError }) }] },
    ...extra,
  });
const MAIN: LineSource = { agentId: null };

// ---- the recorded sessions ----

for (const set of FIXTURE_SETS) {
  const expected = expectedOf(set.dir);
  const projects = path.join(set.dir, 'projects');

  for (const id of Object.keys(expected)) {
    test(`Claude Code ${set.version}: recorded session ${id} gives expected.json's figures`, () => {
      assertExpected(expected, id, summarizeTranscript(feed(sessionLines(id, projects)), priceFor));
    });
  }

  test(`Claude Code ${set.version}: the figures do not depend on how the lines were split into reads, nor on re-reads`, () => {
    for (const id of Object.keys(expected)) {
      const lines = sessionLines(id, projects);
      const whole = summarizeTranscript(feed(lines), priceFor);
      for (let cut = 0; cut <= lines.length; cut++) {
        // Read up to `cut`, save the state as JSON, load it, read the rest.
        const resumed = feed(lines.slice(cut), roundTrip(feed(lines.slice(0, cut))));
        assert.deepEqual(summarizeTranscript(resumed, priceFor), whole, `${id} cut at ${cut}`);
        // A re-read that starts before the previous read's end (line cut-1 read twice).
        const overlap = feed(lines.slice(Math.max(0, cut - 1)), roundTrip(feed(lines.slice(0, cut))));
        assert.deepEqual(summarizeTranscript(overlap, priceFor), whole, `${id} overlap at ${cut}`);
      }
      // The whole session read twice over (a recompute fed the same state) changes nothing.
      assert.deepEqual(summarizeTranscript(feed(lines, feed(lines)), priceFor), whole, `${id} read twice`);
      // Subagent files first, main transcript last: results may arrive before their tool_use.
      const reversed = [...lines].reverse();
      assert.deepEqual(summarizeTranscript(feed(reversed), priceFor), whole, `${id} lines in reverse`);
      assertExpected(expected, id, summarizeTranscript(roundTrip(feed(reversed)), priceFor));
    }
  });
}

test('the call rows name each API call once, with its subagent', () => {
  const s = summarizeTranscript(feed(sessionLines('a958f22b-7ad7-4624-83b2-f35ca12ad5f6')), priceFor);
  assert.deepEqual(
    s.calls.map((c) => [c.message_id, c.request_id, c.agent_id, c.cache_1h_tokens]),
    [
      ['msg_01376d5t0d52720000', 'req_01376d5t0d52720001', null, 0],
      ['msg_01376d5t0d52720001', 'req_01376d5t0d52720002', 'a03ca4e15d7376d34', 0],
      ['msg_01376d5t0d52720002', 'req_01376d5t0d52720003', 'a03ca4e15d7376d34', 0],
      ['msg_01376d5t0d52720003', 'req_01376d5t0d52720004', null, 1000],
    ],
  );
  const last = s.calls[3];
  assert.ok(last);
  // 50 × 5 + 120 × 25 + 1000 (1 h) × 10 + 30000 × 0.5 = 28250 → $0.02825
  assert.ok(last.cost_usd !== null && Math.abs(last.cost_usd - 0.02825) < 1e-12);
  assert.equal(last.timestamp, '2026-11-23T19:40:32.562Z');
});

// ---- dedupe and streaming ----

test('content-block lines of one response count its tokens once and all its tool_use blocks', () => {
  const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 1000, cache_read_input_tokens: 5000 };
  const st = feed([
    { line: assistantLine({ id: 'm1', req: 'r1', usage, content: [{ type: 'text', text: 'a' }] }), source: MAIN },
    { line: assistantLine({ id: 'm1', req: 'r1', usage, content: [{ type: 'tool_use', id: 't1', name: 'Read', input: {} }] }), source: MAIN },
    { line: assistantLine({ id: 'm1', req: 'r1', usage, content: [{ type: 'tool_use', id: 't2', name: 'Read', input: {} }] }), source: MAIN },
  ]);
  const s = summarizeTranscript(st, priceFor);
  assert.equal(s.api_calls, 1);
  assert.equal(s.input_tokens, 100);
  assert.equal(s.output_tokens, 20);
  assert.equal(s.cache_creation_tokens, 1000);
  assert.equal(s.cache_read_tokens, 5000);
  assert.equal(s.tool_calls, 2);
  // Same message id, other request: another call.
  applyTranscriptLine(st, assistantLine({ id: 'm1', req: 'r2', usage }), MAIN);
  assert.equal(summarizeTranscript(st, priceFor).api_calls, 2);
});

test('a partial output_tokens line followed by the full one keeps the larger, in either order', () => {
  const partial = assistantLine({ id: 'm', req: 'r', ts: '2026-01-01T00:00:00.000Z', usage: { input_tokens: 10, output_tokens: 1 } });
  const full = assistantLine({ id: 'm', req: 'r', ts: '2026-01-01T00:00:02.000Z', usage: { input_tokens: 10, output_tokens: 300 } });
  for (const order of [[partial, full], [full, partial]]) {
    const s = summarizeTranscript(feed(order.map((line) => ({ line, source: MAIN }))), priceFor);
    assert.equal(s.api_calls, 1);
    assert.equal(s.output_tokens, 300);
    assert.equal(s.calls[0]?.timestamp, '2026-01-01T00:00:00.000Z'); // the call's first line
    assert.ok(Math.abs(s.cost_usd - (10 * 3 + 300 * 15) / 1e6) < 1e-15);
  }
});

test('malformed lines are counted and skipped; blank lines and unknown types are not errors', () => {
  const st = createTranscriptState();
  assert.equal(applyTranscriptLine(st, '{"type":"assistant","message":{"id":"m","usage":{"input_', MAIN), 'malformed');
  assert.equal(applyTranscriptLine(st, '[1,2]', MAIN), 'malformed');
  assert.equal(applyTranscriptLine(st, 'null', MAIN), 'malformed');
  assert.equal(applyTranscriptLine(st, '', MAIN), 'blank');
  assert.equal(applyTranscriptLine(st, '{"type":"something-new","timestamp":"2020-01-01T00:00:00Z"}', MAIN), 'applied');
  assert.equal(applyTranscriptLine(st, assistantLine({ id: 'm', req: 'r' }), MAIN), 'applied');
  countOversizeLine(st);
  const s = summarizeTranscript(st, priceFor);
  assert.equal(s.malformed_lines, 3);
  assert.equal(s.oversize_lines, 1);
  assert.equal(s.api_calls, 1);
  assert.equal(s.start_time, '2026-01-01T00:00:00.000Z'); // the unknown type's timestamp is not a session time
});

test('<synthetic> lines are not API calls; an unknown model adds tokens, no cost, and cost_complete=false', () => {
  const st = feed([
    { line: assistantLine({ id: 'a', req: 'ra', model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, output_tokens: 100 } }), source: MAIN },
    { line: assistantLine({ id: 'b', req: 'rb', model: '<synthetic>', usage: { input_tokens: 0, output_tokens: 0 } }), source: MAIN },
    { line: assistantLine({ id: 'c', req: 'rc', model: 'claude-future-9', usage: { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 2 } }), source: MAIN },
  ]);
  const s = summarizeTranscript(st, priceFor);
  assert.equal(s.api_calls, 2);
  assert.equal(s.input_tokens, 1007);
  assert.equal(s.output_tokens, 103);
  assert.equal(s.cache_read_tokens, 2);
  assert.equal(s.cost_complete, false);
  assert.ok(Math.abs(s.cost_usd - (1000 * 3 + 100 * 15) / 1e6) < 1e-15);
  assert.deepEqual(s.models['claude-future-9'], {
    api_calls: 1, input_tokens: 7, output_tokens: 3, cache_creation_tokens: 0, cache_read_tokens: 2, cache_1h_tokens: 0, cost_usd: null,
  });
  assert.equal(s.calls.find((c) => c.model === 'claude-future-9')?.cost_usd, null);
  assert.equal(s.models['<synthetic>'], undefined);
});

// ---- tools: commits and lines ----

test('commits: git … commit Bash calls whose result is not an error', () => {
  const bash = (id: string, command: string) =>
    assistantLine({ id: `m-${id}`, req: `r-${id}`, content: [{ type: 'tool_use', id, name: 'Bash', input: { command } }] });
  const st = feed(
    [
      bash('ok', 'git add . && git -c user.name=x commit -m "one"'),
      resultLine('ok', { toolUseResult: { stdout: '', stderr: '', interrupted: false } }, false),
      bash('failed', 'git commit -m two'),
      resultLine('failed', { toolUseResult: 'Error: nothing to commit' }, true),
      bash('piped', 'git log | grep commit'),
      resultLine('piped'),
      bash('notgit', 'echo commit'),
      resultLine('notgit'),
      bash('noresult', 'git commit -am three'), // still running: not counted yet
    ].map((line) => ({ line, source: MAIN })),
  );
  assert.equal(summarizeTranscript(st, priceFor).commits, 1);
  applyTranscriptLine(st, resultLine('noresult'), MAIN);
  applyTranscriptLine(st, resultLine('noresult'), MAIN); // re-read
  const s = summarizeTranscript(st, priceFor);
  assert.equal(s.commits, 2);
  assert.equal(s.tool_calls, 5);
});

test('lines: from toolUseResult when present, from the call input when not (subagents), none on error', () => {
  const call = (id: string, name: string, input: Record<string, unknown>) =>
    assistantLine({ id: `m-${id}`, req: `r-${id}`, content: [{ type: 'tool_use', id, name, input }] });
  const lines = [
    // Write create with toolUseResult: 3 lines (final newline ends the last line).
    call('w1', 'Write', { file_path: '/a', content: 'a\nb\nc\n' }),
    resultLine('w1', { toolUseResult: { type: 'create', content: 'a\nb\nc\n', structuredPatch: [] } }),
    // Write update: from structuredPatch, not from content.
    call('w2', 'Write', { file_path: '/a', content: 'a\nB\nc\nd' }),
    resultLine('w2', { toolUseResult: { type: 'update', content: 'a\nB\nc\nd', structuredPatch: [{ lines: [' a', '-b', '+B', ' c', '+d', '\\ No newline at end of file'] }] } }),
    // Edit without toolUseResult (subagent): new_string 2 lines added, old_string 1 removed.
    call('e1', 'Edit', { file_path: '/a', old_string: 'x', new_string: 'y\nz' }),
    resultLine('e1'),
    // MultiEdit without toolUseResult: each edit counted.
    call('me', 'MultiEdit', { file_path: '/a', edits: [{ old_string: 'p\nq', new_string: 'P' }, { old_string: 'r', new_string: 'R\nS\nT\n' }] }),
    resultLine('me', {}, false),
    // Errors count nothing.
    call('bad', 'Edit', { file_path: '/a', old_string: 'nope', new_string: 'n\nn' }),
    resultLine('bad', { toolUseResult: 'Error: String to replace not found in file.' }, true),
  ];
  const s = summarizeTranscript(feed(lines.map((line) => ({ line, source: { agentId: 'sub' } }))), priceFor);
  assert.equal(s.lines_added, 3 + 2 + 2 + (1 + 3));
  assert.equal(s.lines_removed, 1 + 1 + (2 + 1));
  assert.equal(s.tool_calls, 5);
});

test('a tool_result read before its tool_use is held until the tool_use arrives', () => {
  const use = assistantLine({ id: 'm', req: 'r', content: [{ type: 'tool_use', id: 't', name: 'Edit', input: { old_string: 'a', new_string: 'b' } }] });
  const res = resultLine('t', { toolUseResult: { structuredPatch: [{ lines: ['-a', '+b', '+c'] }] } });
  const st = roundTrip(feed([{ line: res, source: MAIN }]));
  assert.equal(Object.keys(st.orphan_results).length, 1);
  applyTranscriptLine(st, use, MAIN);
  applyTranscriptLine(st, res, MAIN);
  const s = summarizeTranscript(st, priceFor);
  assert.deepEqual([s.lines_added, s.lines_removed, s.tool_calls], [2, 1, 1]);
  assert.equal(Object.keys(st.orphan_results).length, 0);
  assert.equal(Object.keys(st.pending).length, 0);
});

test('countLines: a final newline ends the last line', () => {
  assert.deepEqual(['', 'a', 'a\n', 'a\nb', 'a\nb\n', '\n', 'a\n\n', 'a\r\nb\r\n'].map(countLines), [0, 1, 1, 2, 2, 1, 2, 2]);
});

test('timestamps: earliest and latest user/assistant line, UTC text kept as written', () => {
  const st = feed(
    [
      JSON.stringify({ type: 'user', timestamp: '2026-01-01T00:00:05.000Z', message: { role: 'user', content: 'hi' } }),
      JSON.stringify({ type: 'system', timestamp: '2025-01-01T00:00:00.000Z' }),
      JSON.stringify({ type: 'user', timestamp: '2026-01-01T02:00:01.000+02:00', message: { role: 'user', content: 'tz' } }),
      assistantLine({ id: 'm', req: 'r', ts: '2026-01-01T00:00:09.123Z' }),
      JSON.stringify({ type: 'user', timestamp: 'not a time', message: { role: 'user', content: 'x' } }),
    ].map((line) => ({ line, source: MAIN })),
  );
  const s = summarizeTranscript(st, priceFor);
  assert.equal(s.start_time, '2026-01-01T00:00:01.000Z');
  assert.equal(s.end_time, '2026-01-01T00:00:09.123Z');
  assert.equal(summarizeTranscript(createTranscriptState(), priceFor).start_time, null);
});

// ---- pricing ----

test('model ids resolve to their price family; unknown and <synthetic> to null', () => {
  const family = (id: string) => {
    const p = resolvePrices(DEFAULT_PRICES, id);
    return p === null ? null : `${p.input}/${p.output}`;
  };
  const cases: Array<[string, string | null]> = [
    ['claude-sonnet-4-5', '3/15'],
    ['claude-sonnet-4-5-20250929', '3/15'],
    ['claude-sonnet-4-5[1m]', '3/15'],
    ['claude-sonnet-4-5-20250929[1m]', '3/15'],
    ['claude-sonnet-4-20250514', '3/15'],
    ['claude-sonnet-4-6', '3/15'],
    ['claude-sonnet-5', '2/10'],
    ['claude-opus-4', '15/75'],
    ['claude-opus-4-20250514', '15/75'],
    ['claude-opus-4-1', '15/75'],
    ['claude-opus-4-1-20250805', '15/75'],
    ['claude-opus-4-5', '5/25'],
    ['claude-opus-4-5-20251101', '5/25'],
    ['claude-opus-4-6', '5/25'],
    ['claude-opus-4-8', '5/25'],
    ['claude-haiku-4-5', '1/5'],
    ['claude-haiku-4-5-20251001', '1/5'],
    ['claude-3-5-haiku-20241022', '0.8/4'],
    ['claude-3-5-haiku', '0.8/4'],
    ['<synthetic>', null],
    ['claude-opus-4-9x', null],
    ['claude-opus-45', null],
    ['gpt-4o', null],
    ['', null],
  ];
  for (const [id, want] of cases) assert.equal(family(id), want, id);
  assert.equal(priceFor(null), null);
  assert.equal(normaliseModelId('claude-opus-4-1-20250805[1m]'), 'claude-opus-4-1');
  const h35 = resolvePrices(DEFAULT_PRICES, 'claude-3-5-haiku-20241022');
  assert.deepEqual(h35, { input: 0.8, cache_write_5m: 1, cache_write_1h: 1.6, cache_read: 0.08, output: 4 });
});

test('callCostUsd prices 5 min and 1 h cache writes apart and clamps the 1 h count', () => {
  const p = resolvePrices(DEFAULT_PRICES, 'claude-opus-4-5');
  assert.ok(p);
  const usage = { input_tokens: 50, output_tokens: 120, cache_creation_input_tokens: 1000, cache_read_input_tokens: 30000, cache_creation: { ephemeral_1h_input_tokens: 400 } };
  assert.ok(Math.abs(callCostUsd(p, usage) - (50 * 5 + 120 * 25 + 600 * 6.25 + 400 * 10 + 30000 * 0.5) / 1e6) < 1e-15);
  const over = { ...usage, cache_creation: { ephemeral_1h_input_tokens: 5000 } };
  assert.ok(Math.abs(callCostUsd(p, over) - (50 * 5 + 120 * 25 + 1000 * 10 + 30000 * 0.5) / 1e6) < 1e-15);
  assert.equal(callCostUsd(p, {}), 0);
});

test('a price override changes a model cost; missing cache prices derive from input', () => {
  const table = mergePriceOverrides(DEFAULT_PRICES, {
    'claude-sonnet-4-5': { input: 10, output: 20 },
    'Claude-Future-9': { input: 1, output: 2, cache_read: 0.05 },
  });
  assert.deepEqual(resolvePrices(table, 'claude-sonnet-4-5-20250929'), { input: 10, cache_write_5m: 12.5, cache_write_1h: 20, cache_read: 1, output: 20 });
  assert.deepEqual(resolvePrices(table, 'claude-future-9'), { input: 1, cache_write_5m: 1.25, cache_write_1h: 2, cache_read: 0.05, output: 2 });
  assert.equal(resolvePrices(DEFAULT_PRICES, 'claude-sonnet-4-5')?.input, 3, 'the base table is untouched');
  // The shop-api session under the override: 6070 × 10 + 220 × 20 + 15000 × 12.5 + 75110 × 1.
  const s = summarizeTranscript(feed(sessionLines('f332c3dd-cf19-4fa4-8049-adee686fb5cd')), priceResolver(table));
  assert.ok(Math.abs(s.cost_usd - (6070 * 10 + 220 * 20 + 15000 * 12.5 + 75110 * 1) / 1e6) < 1e-9);
});

test('a bad price override throws and names the key', () => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /expected a JSON object.*null/],
    [[1], /expected a JSON object.*an array/],
    [{ 'claude-x': 3 }, /"claude-x".*expected an object of prices, got number/],
    [{ 'claude-x': { output: 1 } }, /"claude-x".*"input" is required/],
    [{ 'claude-x': { input: 1 } }, /"claude-x".*"output" is required/],
    [{ 'claude-x': { input: '3', output: 1 } }, /"claude-x".*"input" must be a finite number/],
    [{ 'claude-x': { input: -1, output: 1 } }, /"claude-x".*"input" must be/],
    [{ 'claude-x': { input: 1, output: 1, cache_write: 2 } }, /"claude-x".*unknown field "cache_write"/],
    [{ ' ': { input: 1, output: 1 } }, /model " ".*empty/],
    [{ '<synthetic>': { input: 1, output: 1 } }, /"<synthetic>"/],
  ];
  for (const [json, re] of bad) assert.throws(() => mergePriceOverrides(DEFAULT_PRICES, json), re, JSON.stringify(json));
});
