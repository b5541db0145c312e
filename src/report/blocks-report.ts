// Report step, `claude-metrics report blocks`: every 5-hour block that starts in the range, with
// its calls, tokens, cost, models, burn rate, the active block's time left and projection, and the
// official limits the status line saw in it. One pass over token_usage in time order, from the
// start of the chain the range's first block belongs to (so blocks are the same whatever range is
// asked), folded by the rule in blocks.ts; one pass over the samples with rate limits. Pure
// function of a connection and `now`; the output is the documented JSON (docs/REPORTS.md).
import type Database from 'better-sqlite3';
import {
  BLOCK_MS, BlockSplitter, CALL_TIME_OK, LIMIT_SAMPLES_SQL, type LimitSample, type Limits,
  burnRate, chainStart, hasSamples, limitsOf, parseUtc, prepareProbes, projectedCost,
} from './blocks.js';
import type { Figures } from './queries.js';
import { localDateTime, rfc3339 } from './time.js';

export type BlockRow = Figures & Limits & {
  start: string;
  end: string;
  local_start: string;
  local_end: string;
  first_call: string;
  last_call: string;
  active: boolean;
  models: string[];
  burn_usd_per_hour: number;
  /** The active block only (null otherwise). */
  ms_left: number | null;
  projected_cost_usd: number | null;
};

export interface BlocksReport {
  now: string;
  rows: BlockRow[];
  totals: Figures & { blocks: number };
}

/** A call as the scan returns it: time, session, model, cost (null: unpriced), four token counts. */
type CallRow = [string, string, string, number | null, number, number, number, number];

/** One block being folded. */
class BlockAcc {
  readonly sessions = new Set<string>();
  readonly models = new Set<string>();
  readonly f = { api_calls: 0, unpriced_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, cost_usd: 0 };
  first = '';
  last = '';
  lastMs = 0;
  constructor(readonly startMs: number, readonly endMs: number) {}
  add(c: CallRow, ms: number): void {
    const f = this.f;
    this.sessions.add(c[1]);
    this.models.add(c[2]);
    f.api_calls++;
    if (c[3] === null) f.unpriced_calls++;
    else f.cost_usd += c[3];
    f.input_tokens += c[4];
    f.output_tokens += c[5];
    f.cache_creation_tokens += c[6];
    f.cache_read_tokens += c[7];
    if (this.first === '') this.first = c[0];
    this.last = c[0];
    this.lastMs = ms;
  }
}

/** Blocks starting in [fromMs, toMs) (null = unbounded), calls up to `now` only. */
export function blocksReport(db: Database.Database, timeZone: string, fromMs: number | null, toMs: number | null, now: Date): BlocksReport {
  const nowMs = now.getTime();
  // Where the fold must begin for the range's first block to come out as it does in a full scan.
  const lo = fromMs === null ? '0000-01-01T00:00:00.000Z' : (chainStart(prepareProbes(db), fromMs - 1) ?? rfc3339(fromMs));
  const hiMs = Math.min(toMs === null ? Infinity : toMs + BLOCK_MS, nowMs + 1);
  const scan = db.prepare(`SELECT timestamp, session_id, COALESCE(model, 'unknown'), cost_usd,
      COALESCE(input_tokens, 0), COALESCE(output_tokens, 0), COALESCE(cache_creation_tokens, 0), COALESCE(cache_read_tokens, 0)
    FROM token_usage WHERE timestamp >= ? AND timestamp < ? AND ${CALL_TIME_OK} ORDER BY timestamp`);
  const blocks: BlockAcc[] = [];
  const split = new BlockSplitter();
  let cur: BlockAcc | null = null;
  for (const c of scan.raw().all(lo, rfc3339(hiMs)) as CallRow[]) {
    const ms = parseUtc(c[0]);
    if (Number.isNaN(ms) || ms > nowMs) continue;
    if (split.next(ms)) {
      cur = new BlockAcc(split.startMs, split.endMs);
      // Only blocks that start in the range are reported; earlier ones only set the boundaries.
      if ((fromMs === null || cur.startMs >= fromMs) && (toMs === null || cur.startMs < toMs)) blocks.push(cur);
    }
    cur!.add(c, ms);
  }

  // Samples with rate limits over the blocks' span, handed to each block in time order.
  let samples: LimitSample[] = [];
  if (blocks.length > 0 && hasSamples(db)) {
    samples = db.prepare(LIMIT_SAMPLES_SQL).all(rfc3339(blocks[0]!.startMs), rfc3339(blocks.at(-1)!.endMs), rfc3339(nowMs)) as LimitSample[];
  }
  let next = 0;
  const allSessions = new Set<string>();
  const totals = { blocks: blocks.length, sessions: 0, api_calls: 0, unpriced_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, total_tokens: 0, cost_usd: 0 };
  const rows = blocks.map((b): BlockRow => {
    const f = b.f;
    for (const sid of b.sessions) allSessions.add(sid);
    const inBlock: LimitSample[] = [];
    while (next < samples.length && parseUtc(samples[next]!.sampled_at) < b.startMs) next++;
    while (next < samples.length && parseUtc(samples[next]!.sampled_at) < b.endMs) inBlock.push(samples[next++]!);
    const active = nowMs < b.endMs;
    const burn = burnRate(f.cost_usd, b.startMs, active ? nowMs : b.lastMs);
    const total_tokens = f.input_tokens + f.output_tokens + f.cache_creation_tokens + f.cache_read_tokens;
    for (const k of Object.keys(f) as Array<keyof typeof f>) totals[k] += f[k];
    totals.total_tokens += total_tokens;
    return {
      start: rfc3339(b.startMs),
      end: rfc3339(b.endMs),
      local_start: localDateTime(timeZone, b.startMs),
      local_end: localDateTime(timeZone, b.endMs),
      first_call: b.first,
      last_call: b.last,
      active,
      sessions: b.sessions.size,
      ...f,
      total_tokens,
      models: [...b.models].sort(),
      burn_usd_per_hour: burn,
      ms_left: active ? b.endMs - nowMs : null,
      projected_cost_usd: active ? projectedCost(burn) : null,
      ...limitsOf(inBlock),
    };
  });
  totals.sessions = allSessions.size;
  return { now: rfc3339(nowMs), rows, totals };
}
