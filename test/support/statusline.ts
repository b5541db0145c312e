// Status line snapshots for tests: the recorded shapes in test/fixtures/statusline/ (rewritten
// per test) and spool ids of the statusline kind, as `claude-metrics statusline` writes them.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, payloadId } from '../helpers.ts';

export const SNAPSHOTS = path.join(ROOT, 'test', 'fixtures', 'statusline');

export function snapshotText(name: string): string {
  return fs.readFileSync(path.join(SNAPSHOTS, name), 'utf8');
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A fixture snapshot as an object, with fields replaced (`set` may change nested objects in place). */
export function snapshot(name: string, sessionId: string, set: (s: Json) => void = () => {}): Json {
  const s = JSON.parse(snapshotText(name)) as Json;
  s.session_id = sessionId;
  set(s);
  return s;
}

/** A spool id of the statusline kind at a chosen time: `<ms>-<pid>-<hex>-statusline`. */
export function statuslineId(epochMs: number): string {
  return `${payloadId(epochMs)}-statusline`;
}
