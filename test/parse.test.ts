// Pure steps: payload parsing, payload naming, failure classes and backoff.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePayload, parseSessionObject } from '../src/worker/parse.ts';
import { backoffDelayMs, classifyFailure } from '../src/worker/errors.ts';
import { formatPayloadId, payloadIdOf, payloadKindOf, receivedAtOf } from '../src/shared/spool-layout.ts';

const parse = (s: string) => parsePayload(Buffer.from(s));

test('a real SessionEnd payload parses with its fields', () => {
  const r = parse('{"session_id":"abc","transcript_path":"/t.jsonl","cwd":"/w","hook_event_name":"SessionEnd","reason":"other"}');
  assert.deepEqual(r, {
    ok: true,
    payload: { sessionId: 'abc', event: 'SessionEnd', transcriptPath: '/t.jsonl', cwd: '/w', source: null, reason: 'other', reportedCost: null },
  });
});

test('each permanent defect gives its own reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"session_id": "x"', /^not JSON/],
    ['', /^not JSON/],
    ['[1,2]', /not a JSON object: an array/],
    ['"text"', /not a JSON object: string/],
    ['null', /not a JSON object: null/],
    ['42', /not a JSON object: number/],
    ['{}', /missing session_id/],
    ['{"session_id": 7}', /session_id is not a string \(number\)/],
    ['{"session_id": null}', /session_id is not a string \(null\)/],
    ['{"session_id": ["a"]}', /session_id is not a string \(array\)/],
    ['{"session_id": ""}', /session_id is empty/],
    ['{"session_id": "a", "hook_event_name": 3}', /hook_event_name is not a string/],
  ];
  for (const [input, reason] of cases) {
    const r = parse(input);
    assert.equal(r.ok, false, input);
    if (!r.ok) assert.match(r.reason, reason, input);
  }
});

test('the checks every payload kind shares: a JSON object with a non-empty string session_id', () => {
  assert.deepEqual(parseSessionObject(Buffer.from('{"session_id":"s","model":{"id":"m"}}')), { ok: true, obj: { session_id: 's', model: { id: 'm' } }, sessionId: 's' });
  assert.deepEqual(parseSessionObject(Buffer.from('[]')), { ok: false, reason: 'not a JSON object: an array' });
  assert.deepEqual(parseSessionObject(Buffer.from('{"session_id":""}')), { ok: false, reason: 'session_id is empty' });
});

test('the older format keeps its finite cost figures and drops the rest', () => {
  const r = parse('{"session_id":"s","cost":{"total_cost_usd":1.25,"total_duration_ms":"9","total_lines_added":4,"total_lines_removed":null}}');
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.payload.event, null);
    assert.deepEqual(r.payload.reportedCost, { total_cost_usd: 1.25, total_lines_added: 4 });
  }
});

test('unknown events and unknown fields are accepted', () => {
  const r = parse('{"session_id":"s","hook_event_name":"SomethingNew","extra":{"deep":[1]}}');
  assert.ok(r.ok && r.payload.event === 'SomethingNew');
});

test('payload ids carry their time and are told apart from temp files', () => {
  const id = formatPayloadId(1795462831261, 4242, 'beef01');
  assert.equal(id, '1795462831261-4242-beef01');
  assert.equal(payloadIdOf(`${id}.json`), id);
  assert.equal(payloadIdOf(`${id}.json.123456`), null);
  assert.equal(payloadIdOf('notes.json'), null);
  assert.equal(receivedAtOf(id).toISOString(), new Date(1795462831261).toISOString());
  assert.equal(payloadKindOf(id), null, 'no kind: a hook payload');
  const snapshot = formatPayloadId(1795462831261, 4242, 'beef01', 'statusline');
  assert.equal(snapshot, '1795462831261-4242-beef01-statusline');
  assert.equal(payloadIdOf(`${snapshot}.json`), snapshot);
  assert.equal(payloadKindOf(snapshot), 'statusline');
  assert.equal(receivedAtOf(snapshot).toISOString(), new Date(1795462831261).toISOString());
  assert.equal(payloadIdOf(`${id}-other.json`), null, 'an unknown kind is not a payload name');
});

test('failure classes: busy, locked and full are transient; read-only is fatal; others unexpected', () => {
  assert.equal(classifyFailure({ code: 'SQLITE_BUSY' }), 'transient');
  assert.equal(classifyFailure({ code: 'SQLITE_BUSY_SNAPSHOT' }), 'transient');
  assert.equal(classifyFailure({ code: 'SQLITE_LOCKED' }), 'transient');
  assert.equal(classifyFailure({ code: 'SQLITE_FULL' }), 'transient');
  assert.equal(classifyFailure({ code: 'SQLITE_IOERR_FSYNC' }), 'transient');
  assert.equal(classifyFailure({ code: 'ENOSPC' }), 'transient');
  assert.equal(classifyFailure({ code: 'SQLITE_READONLY' }), 'fatal');
  assert.equal(classifyFailure({ code: 'SQLITE_CORRUPT' }), 'fatal');
  assert.equal(classifyFailure({ code: 'SQLITE_CONSTRAINT_TRIGGER' }), 'unexpected');
  assert.equal(classifyFailure(new TypeError('x')), 'unexpected');
});

test('backoff grows, is capped and jittered', () => {
  assert.equal(backoffDelayMs(0, 50, 5000, () => 0), 25);
  assert.equal(backoffDelayMs(0, 50, 5000, () => 1), 50);
  assert.equal(backoffDelayMs(3, 50, 5000, () => 1), 400);
  assert.equal(backoffDelayMs(30, 50, 5000, () => 1), 5000);
  assert.equal(backoffDelayMs(30, 50, 5000, () => 0), 2500);
});
