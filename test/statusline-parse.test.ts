// Parse step for status line snapshots (pure): the recorded shapes in test/fixtures/statusline/,
// the permanent defects that dead-letter, and fields of the wrong type left out with their names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SAMPLE_COLUMNS, type SampleValues, parseStatusLine } from '../src/worker/parse-statusline.ts';
import { sampleChanged } from '../src/worker/apply-statusline.ts';
import { snapshotText } from './support/statusline.ts';

const parse = (s: string) => parseStatusLine(Buffer.from(s));
const allNull = Object.fromEntries(SAMPLE_COLUMNS.map((c) => [c, null])) as unknown as SampleValues;

test('a 2.1.332 snapshot with rate_limits: every recorded value, reset times as RFC 3339', () => {
  const r = parse(snapshotText('2.1.332-pro.json'));
  assert.ok(r.ok);
  assert.deepEqual(r.snapshot, {
    sessionId: '5f0e8a34-2c1d-4b7e-9a61-3d2f1c0b9e87',
    transcriptPath: '/home/user/.claude/projects/-home-user-code-shop-api/5f0e8a34-2c1d-4b7e-9a61-3d2f1c0b9e87.jsonl',
    cwd: '/home/user/code/shop-api',
    sample: {
      model_id: 'claude-sonnet-4-5',
      client_version: '2.1.332',
      total_cost_usd: 0.01998,
      total_duration_ms: 12826,
      total_api_duration_ms: 91,
      total_lines_added: 5,
      total_lines_removed: 2,
      context_window_size: 200000,
      context_used_pct: 10,
      input_tokens: 1200,
      output_tokens: 42,
      cache_creation_tokens: 3000,
      cache_read_tokens: 15000,
      five_hour_used_pct: 42,
      five_hour_resets_at: new Date(1795683600 * 1000).toISOString(),
      seven_day_used_pct: 17.5,
      seven_day_resets_at: new Date(1796112000 * 1000).toISOString(),
      cache_ttl: '5m',
      cache_hit_ratio: 0.78125,
    },
    ignored: [],
  });
});

test('a 2.1.197 snapshot (no prompt_cache, no rate_limits) and a first run (null usage) leave those null', () => {
  const old = parse(snapshotText('2.1.197.json'));
  assert.ok(old.ok);
  assert.equal(old.snapshot.sample.client_version, '2.1.197');
  assert.equal(old.snapshot.sample.total_cost_usd, 0.0756);
  assert.equal(old.snapshot.sample.cache_read_tokens, 22900);
  for (const c of ['cache_ttl', 'cache_hit_ratio', 'five_hour_used_pct', 'five_hour_resets_at', 'seven_day_used_pct', 'seven_day_resets_at'] as const) {
    assert.equal(old.snapshot.sample[c], null, c);
  }
  assert.deepEqual(old.snapshot.ignored, []);
  const first = parse(snapshotText('first-run.json'));
  assert.ok(first.ok);
  assert.deepEqual(first.snapshot.ignored, [], 'null is absence, not a wrong type');
  assert.equal(first.snapshot.sample.context_used_pct, null);
  assert.equal(first.snapshot.sample.input_tokens, null);
  assert.equal(first.snapshot.sample.total_cost_usd, 0);
});

test('cwd: workspace.current_dir first, then cwd', () => {
  const both = parse('{"session_id":"s","cwd":"/a","workspace":{"current_dir":"/b"}}');
  assert.ok(both.ok && both.snapshot.cwd === '/b');
  const onlyCwd = parse('{"session_id":"s","cwd":"/a"}');
  assert.ok(onlyCwd.ok && onlyCwd.snapshot.cwd === '/a');
});

test('what can never apply gives its reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"session_id": "x"', /^not JSON/],
    ['', /^not JSON/],
    ['[{"session_id":"a"}]', /not a JSON object: an array/],
    ['"status"', /not a JSON object: string/],
    ['{"model":{"id":"claude-sonnet-4-5"}}', /missing session_id/],
    ['{"session_id": 7}', /session_id is not a string \(number\)/],
    ['{"session_id": ""}', /session_id is empty/],
  ];
  for (const [input, reason] of cases) {
    const r = parse(input);
    assert.equal(r.ok, false, input);
    if (!r.ok) assert.match(r.reason, reason, input);
  }
});

test('fields of the wrong type are left out and named; the rest of the snapshot is kept', () => {
  const r = parse(
    JSON.stringify({
      session_id: 's',
      transcript_path: 42,
      model: { id: 5 },
      version: ['2.1.332'],
      cost: 'free',
      context_window: { context_window_size: '200000', used_percentage: 12.5, current_usage: [1, 2] },
      rate_limits: { five_hour: { used_percentage: '42', resets_at: 1795683600000 }, seven_day: { used_percentage: 3, resets_at: -1 } },
      prompt_cache: { ttl: 300, hit_ratio: true },
      workspace: 'here',
      cwd: '/fallback',
    }).replace('"used_percentage":3', '"used_percentage":1e999'),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.snapshot.sample, { ...allNull, context_used_pct: 12.5 });
  assert.equal(r.snapshot.transcriptPath, null);
  assert.equal(r.snapshot.cwd, '/fallback');
  assert.deepEqual([...r.snapshot.ignored].sort(), [
    'context_window.context_window_size',
    'context_window.current_usage',
    'cost',
    'model.id',
    'prompt_cache.hit_ratio',
    'prompt_cache.ttl',
    'rate_limits.five_hour.resets_at',
    'rate_limits.five_hour.used_percentage',
    'rate_limits.seven_day.resets_at',
    'rate_limits.seven_day.used_percentage',
    'transcript_path',
    'version',
    'workspace',
  ]);
});

test('a sample changes when any recorded value does, but not when only the session age does', () => {
  const r = parse(snapshotText('2.1.332-pro.json'));
  assert.ok(r.ok);
  const a = r.snapshot.sample;
  assert.equal(sampleChanged(undefined, a), true);
  assert.equal(sampleChanged(a, { ...a }), false);
  assert.equal(sampleChanged(a, { ...a, total_duration_ms: a.total_duration_ms! + 1000 }), false);
  for (const c of SAMPLE_COLUMNS) {
    if (c === 'total_duration_ms') continue;
    assert.equal(sampleChanged(a, { ...a, [c]: null }), true, c);
  }
});
