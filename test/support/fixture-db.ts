// A database built from the recorded fixtures the way a user gets one: the fixture payloads
// spooled in firing order (transcript paths rewritten to a copy of projects/) and applied by
// the real built worker (`worker --drain`). Also an empty database (the worker's migrations,
// no payload), and expected.json. Used by the report and Grafana tests.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, type Sandbox, drain, payloadId, spoolPayload } from '../helpers.ts';

export interface ExpectedSession {
  api_calls: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  commits: number;
  cost_usd: number;
  end_time: string;
  input_tokens: number;
  lines_added: number;
  lines_removed: number;
  models: Record<string, { api_calls: number; cost_usd: number }>;
  output_tokens: number;
  start_time: string;
  tool_calls: number;
}

/** A fixture set's expected.json: session id → figures. */
export function expectedOf(dir: string): Record<string, ExpectedSession> {
  return JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, ExpectedSession>;
}

/** The shared 2.1.197 set's, which the report, Grafana and single-session tests use. */
export const EXPECTED = expectedOf(FIXTURES);

const RFC3339 = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/** Moves every time in the copied transcripts by the same amount, so the latest is `latestMs`. */
function shiftTranscripts(projects: string, latestMs: number): void {
  const files = (fs.readdirSync(projects, { recursive: true }) as string[]).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(projects, f));
  const latest = Math.max(...files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(RFC3339)].map((m) => Date.parse(m[0]))));
  for (const f of files) {
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(RFC3339, (t) => new Date(Date.parse(t) + latestMs - latest).toISOString()));
  }
}

/**
 * A time for the fixtures' latest call that keeps all their calls (they span a few seconds) in the
 * current UTC hour and before now: two minutes ago, unless that falls in the previous hour, then
 * a few seconds after this hour began (waiting those seconds out first, at an hour's very start).
 * The current 5-hour block then starts this hour, and its time left reads 4h00m-4h59m whatever the
 * minute the test runs at.
 */
export function recentCallsMs(now = Date.now()): number {
  const HOUR = 3_600_000;
  const hourStart = Math.floor(now / HOUR) * HOUR;
  if (now - 120_000 - 10_000 >= hourStart) return now - 120_000;
  const latest = hourStart + 10_000;
  const wait = latest + 1_000 - Date.now();
  if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
  return latest;
}

/**
 * Spools every fixture payload (in firing order, hook times taken from the file names) and drains.
 * `latestCallMs`: the transcripts' times are moved so that their latest is then (calls "today").
 */
export function buildFixtureDb(sb: Sandbox, latestCallMs?: number): void {
  const claude = path.join(sb.dir, 'home', '.claude');
  fs.cpSync(path.join(FIXTURES, 'projects'), path.join(claude, 'projects'), { recursive: true });
  if (latestCallMs !== undefined) shiftTranscripts(path.join(claude, 'projects'), latestCallMs);
  const dir = path.join(FIXTURES, 'payloads');
  for (const name of fs.readdirSync(dir).sort()) {
    const body = fs.readFileSync(path.join(dir, name), 'utf8').replaceAll('/home/user/.claude', claude);
    // The file name starts with the nanosecond time the hook fired: the payload id carries it in ms.
    spoolPayload(sb, body, payloadId(Math.floor(Number(name.split('-')[0]) / 1e6)));
  }
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
}

/** A database with the schema and nothing in it (a drain of an empty spool). */
export function buildEmptyDb(sb: Sandbox): void {
  fs.mkdirSync(path.join(sb.spool, 'incoming'), { recursive: true });
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
}
