// How long `activeBlock` (src/report/blocks.ts, the status line's 5-hour block) takes on a
// database: run by bench/report-bench.mjs on its synthetic year, or by hand on any database:
//   node --import tsx bench/active-block.ts DB [RUNS]
// For each of RUNS instants (one minute after a random call, so that a block is active), it opens
// the database read-only as the status line does, times the first activeBlock call (statements
// prepared in it) and a second one, and checks the answer against a full scan's blocks.
import Database from 'better-sqlite3';
import { activeBlock, blockStartOf, splitBlocks } from '../src/report/blocks.ts';

const file = process.argv[2];
const RUNS = Number(process.argv[3] ?? 200);
if (!file) throw new Error('usage: active-block.ts DB [RUNS]');

const db = new Database(file, { readonly: true, fileMustExist: true });
const times = (db.prepare("SELECT timestamp FROM token_usage WHERE substr(timestamp, 11, 1) = 'T' ORDER BY timestamp").pluck().all() as string[]).map((t) => ({ ms: Date.parse(t) }));
db.close();
const blocks = splitBlocks(times);
let seed = 7;
const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

const first: number[] = [];
const second: number[] = [];
let mismatches = 0;
for (let i = 0; i < RUNS; i++) {
  const call = times[Math.floor(rand() * times.length)]!;
  const now = new Date(call.ms + 60_000);
  const conn = new Database(file, { readonly: true, fileMustExist: true });
  let t0 = performance.now();
  const a = activeBlock(conn, now);
  first.push(performance.now() - t0);
  t0 = performance.now();
  activeBlock(conn, now);
  second.push(performance.now() - t0);
  conn.close();
  // The block the full scan puts that call's successor minute in.
  const want = blocks.findLast((b) => b.startMs <= now.getTime());
  const active = want && now.getTime() < want.endMs ? want : undefined;
  if ((a === null) !== (active === undefined) || (a && active && Date.parse(a.start) !== active.startMs)) mismatches++;
  if (a && blockStartOf(Date.parse(a.start)) !== Date.parse(a.start)) mismatches++;
}
const q = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const f = (ms: number): string => `${ms.toFixed(2)} ms`;
console.log(`activeBlock over ${times.length} calls, ${blocks.length} blocks, ${RUNS} instants:`);
console.log(`  first call on a fresh connection: median ${f(q(first, 50))}, p90 ${f(q(first, 90))}, max ${f(q(first, 100))}`);
console.log(`  second call (statements cached):  median ${f(q(second, 50))}, p90 ${f(q(second, 90))}, max ${f(q(second, 100))}`);
console.log(`  answers that disagree with a full scan: ${mismatches}`);
if (mismatches > 0) process.exitCode = 1;
