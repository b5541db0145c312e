// Report step, `claude-metrics report blocks`: every 5-hour block that starts in the range, with
// its calls, tokens, cost, models, burn rate, the active block's time left and projection, and the
// official limits the status line saw in it, from the start of the chain the range's first block
// belongs to (so blocks are the same whatever range is asked). Blocks start and end at whole UTC
// hours, so the usage_hours rollup (migration 0009) answers them: the block starts by indexed
// probes of its hours, each block's figures from its five hours, its first and last call by two
// probes of token_usage's time index; the calls of the hour `now` falls in come from token_usage
// (those after now are left out). Without the rollup (an older database), one pass over
// token_usage in time order, folded by the rule in blocks.ts. One pass over the samples with rate
// limits. Pure function of a connection and `now`; the output is the documented JSON (docs/REPORTS.md).
import type { ReadDb } from './read-db.js';
import {
  BLOCK_MS, BlockSplitter, CALL_TIME_OK, LIMIT_SAMPLES_SQL, type LimitSample, type Limits,
  burnRate, chainStart, hasSamples, limitsOf, parseUtc, prepareProbes, projectedCost,
} from './blocks.js';
import type { Figures } from './queries.js';
import { localDateTimes, rfc3339 } from './time.js';
import { withZone } from './zone.js';
import { READABLE, hasRollups } from './hours.js';
import { hasTables } from './schema.js';

const HOUR_MS = 3_600_000;

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

/** A call as the scans return it. */
interface CallRow {
  timestamp: string;
  session_id: string;
  model: string;
  cost_usd: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
}

const CALL_COLUMNS = `timestamp, session_id, COALESCE(model, 'unknown') AS model, cost_usd, COALESCE(input_tokens, 0) AS input_tokens,
  COALESCE(output_tokens, 0) AS output_tokens, COALESCE(cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(cache_read_tokens, 0) AS cache_read_tokens`;

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
    this.sessions.add(c.session_id);
    this.models.add(c.model);
    f.api_calls++;
    if (c.cost_usd === null) f.unpriced_calls++;
    else f.cost_usd += c.cost_usd;
    f.input_tokens += c.input_tokens;
    f.output_tokens += c.output_tokens;
    f.cache_creation_tokens += c.cache_creation_tokens;
    f.cache_read_tokens += c.cache_read_tokens;
    if (this.first === '') this.first = c.timestamp;
    this.last = c.timestamp;
    this.lastMs = ms;
  }
}

/** Blocks starting in [fromMs, toMs) (null = unbounded), calls up to `now` only. */
export function blocksReport(db: ReadDb, timeZone: string, fromMs: number | null, toMs: number | null, now: Date): BlocksReport {
  const nowMs = now.getTime();
  // Where the fold must begin for the range's first block to come out as it does in a full scan.
  const lo = fromMs === null ? '0000-01-01T00:00:00.000Z' : (chainStart(prepareProbes(db), fromMs - 1) ?? rfc3339(fromMs));
  const inRange = (b: BlockAcc): boolean => (fromMs === null || b.startMs >= fromMs) && (toMs === null || b.startMs < toMs);
  const blocks = (hasRollups(db) ? blocksFromHours(db, lo, toMs, nowMs) : blocksFromCalls(db, lo, toMs, nowMs)).filter(inRange);

  // The official limits each block saw, from the samples in it (an indexed range per block, in SQL).
  const limits = blocks.length > 0 && hasSamples(db) ? blockLimits(db, blocks, nowMs) : null;
  const allSessions = new Set<string>();
  const totals = { blocks: blocks.length, sessions: 0, api_calls: 0, unpriced_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, total_tokens: 0, cost_usd: 0 };
  // Local times in one stretch of the zone (withZone): switching $TZ per call costs ~30 µs.
  const rows = withZone(timeZone, () => {
    const localDateTime = localDateTimes();
    return blocks.map((b, i): BlockRow => {
      const f = b.f;
      for (const sid of b.sessions) allSessions.add(sid);
      const active = nowMs < b.endMs;
      const burn = burnRate(f.cost_usd, b.startMs, active ? nowMs : b.lastMs);
      const total_tokens = f.input_tokens + f.output_tokens + f.cache_creation_tokens + f.cache_read_tokens;
      for (const k of Object.keys(f) as Array<keyof typeof f>) totals[k] += f[k];
      totals.total_tokens += total_tokens;
      return {
        start: rfc3339(b.startMs),
        end: rfc3339(b.endMs),
        local_start: localDateTime(b.startMs),
        local_end: localDateTime(b.endMs),
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
        ...(limits?.[i] ?? limitsOf([])),
      };
    });
  });
  totals.sessions = allSessions.size;
  return { now: rfc3339(nowMs), rows, totals };
}

/**
 * Each block's official limits, as limitsOf gives them from the block's samples up to now. With
 * the rollup limit_hours (migration 0011): each of the block's whole hours before the hour now
 * falls in contributes its top five-hour sample and its latest 7-day sample (two probes of a few
 * rows per block), the hour now falls in its own samples up to now; limitsOf over those in time
 * order picks what it would pick from all of them. Without it, every sample of the span in one
 * pass (40,000 in the bench's year: ~70 ms).
 */
function blockLimits(db: ReadDb, blocks: BlockAcc[], nowMs: number): Limits[] {
  if (!hasLimitHours(db)) return limitsFromSamples(db, blocks, nowMs);
  const nowH = Math.floor(nowMs / HOUR_MS);
  const rows = db
    .prepare(`SELECT
        (SELECT json_array(five_at, five_hour_used_pct, five_hour_resets_at) FROM limit_hours
          WHERE hour >= b.value AND hour < min(b.value + 5, ?) AND five_at IS NOT NULL ORDER BY five_hour_used_pct DESC, five_at DESC LIMIT 1) AS five,
        (SELECT json_array(seven_at, seven_day_used_pct) FROM limit_hours
          WHERE hour >= b.value AND hour < min(b.value + 5, ?) AND seven_at IS NOT NULL ORDER BY hour DESC LIMIT 1) AS seven
      FROM json_each(?) b ORDER BY b.key`)
    .all(nowH, nowH, JSON.stringify(blocks.map((b) => b.startMs / HOUR_MS))) as Array<{ five: string | null; seven: string | null }>;
  // The samples of the hour now falls in, up to now.
  const current = db.prepare(LIMIT_SAMPLES_SQL).all(rfc3339(nowH * HOUR_MS), rfc3339(nowH * HOUR_MS + HOUR_MS), rfc3339(nowMs)) as LimitSample[];
  return rows.map((r, i) => {
    const candidates: LimitSample[] = [];
    if (r.five !== null) {
      const [at, pct, resets] = JSON.parse(r.five) as [string, number, string | null];
      candidates.push({ sampled_at: at, five_hour_used_pct: pct, five_hour_resets_at: resets, seven_day_used_pct: null });
    }
    if (r.seven !== null) {
      const [at, pct] = JSON.parse(r.seven) as [string, number];
      candidates.push({ sampled_at: at, five_hour_used_pct: null, five_hour_resets_at: null, seven_day_used_pct: pct });
    }
    candidates.sort((x, y) => (x.sampled_at < y.sampled_at ? -1 : x.sampled_at > y.sampled_at ? 1 : 0));
    const b = blocks[i]!;
    if (nowH * HOUR_MS >= b.startMs && nowH * HOUR_MS < b.endMs) candidates.push(...current);
    return limitsOf(candidates);
  });
}

/** Whether the database has limit_hours (migration 0011). */
function hasLimitHours(db: ReadDb): boolean {
  return hasTables(db, 'limit_hours');
}

/** The same from every sample with rate limits over the blocks' span, handed to each block in time order. */
function limitsFromSamples(db: ReadDb, blocks: BlockAcc[], nowMs: number): Limits[] {
  const samples = db.prepare(LIMIT_SAMPLES_SQL).all(rfc3339(blocks[0]!.startMs), rfc3339(blocks.at(-1)!.endMs), rfc3339(nowMs)) as LimitSample[];
  let next = 0;
  return blocks.map((b) => {
    const inBlock: LimitSample[] = [];
    while (next < samples.length && parseUtc(samples[next]!.sampled_at) < b.startMs) next++;
    while (next < samples.length && parseUtc(samples[next]!.sampled_at) < b.endMs) inBlock.push(samples[next++]!);
    return limitsOf(inBlock);
  });
}

/** Every block from `lo` on that starts before toMs, by one ordered pass over token_usage. */
function blocksFromCalls(db: ReadDb, lo: string, toMs: number | null, nowMs: number): BlockAcc[] {
  const hiMs = Math.min(toMs === null ? Infinity : toMs + BLOCK_MS, nowMs + 1);
  const calls = db
    .prepare(`SELECT ${CALL_COLUMNS} FROM token_usage WHERE timestamp >= ? AND timestamp < ? AND ${CALL_TIME_OK} ORDER BY timestamp`)
    .all(lo, rfc3339(hiMs)) as CallRow[];
  const blocks: BlockAcc[] = [];
  const split = new BlockSplitter();
  for (const c of calls) {
    const ms = parseUtc(c.timestamp);
    if (Number.isNaN(ms) || ms > nowMs) continue;
    if (split.next(ms)) blocks.push(new BlockAcc(split.startMs, split.endMs));
    blocks.at(-1)!.add(c, ms);
  }
  return blocks;
}

/**
 * The same blocks from the rollup: the starts by indexed probes (the first hour with calls at or
 * after the previous block's end), each block's figures from its hours, and its first and last
 * call from token_usage's time index; then the calls of the hour now falls in, up to now.
 */
function blocksFromHours(db: ReadDb, lo: string, toMs: number | null, nowMs: number): BlockAcc[] {
  const nowH = Math.floor(nowMs / HOUR_MS);
  const iso = (expr: string): string => `strftime('%Y-%m-%dT%H:%M:%fZ', ${expr}, 'unixepoch')`;
  const rows = db
    .prepare(`WITH RECURSIVE b(s) AS (
        SELECT min(hour) FROM usage_hours WHERE hour >= @loH AND hour < @endH
        UNION ALL SELECT (SELECT min(hour) FROM usage_hours WHERE hour >= b.s + 5 AND hour < @endH) FROM b WHERE b.s IS NOT NULL)
      SELECT s,
        (SELECT json_array(sum(api_calls), sum(unpriced_calls), sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens),
            sum(cache_read_tokens), sum(cost_usd), json_group_array(session_id), json_group_array(model))
          FROM usage_hours WHERE hour >= b.s AND hour < min(b.s + 5, @nowH)) AS f,
        (SELECT min(timestamp) FROM token_usage WHERE timestamp >= ${iso('b.s * 3600')} AND timestamp < ${iso('b.s * 3600 + 3600')} AND ${READABLE}) AS first,
        (SELECT max(timestamp) FROM token_usage WHERE timestamp >= ${iso('b.s * 3600')} AND timestamp < ${iso('min(b.s + 5, @nowH) * 3600')} AND ${READABLE}) AS last
      FROM b WHERE s IS NOT NULL`)
    .all({ loH: Math.floor(parseUtc(lo) / HOUR_MS), endH: Math.min(nowH, toMs === null ? nowH : Math.ceil(toMs / HOUR_MS)), nowH }) as Array<{ s: number; f: string; first: string; last: string }>;
  // Each hour's sessions and models as they come (the Sets keep one of each): a DISTINCT in SQL
  // built two temporary B-trees per block.
  const blocks = rows.map((r) => {
    const b = new BlockAcc(r.s * HOUR_MS, r.s * HOUR_MS + BLOCK_MS);
    const [calls, unpriced, input, output, cacheWrite, cacheRead, cost, sessions, models] = JSON.parse(r.f) as [number, number, number, number, number, number, number, string[], string[]];
    Object.assign(b.f, { api_calls: calls, unpriced_calls: unpriced, input_tokens: input, output_tokens: output, cache_creation_tokens: cacheWrite, cache_read_tokens: cacheRead, cost_usd: cost });
    for (const id of sessions) b.sessions.add(id);
    for (const m of models) b.models.add(m);
    Object.assign(b, { first: r.first, last: r.last, lastMs: parseUtc(r.last) });
    return b;
  });
  // The hour now falls in: its calls up to now, in the last block or in one of their own.
  const current = db
    .prepare(`SELECT ${CALL_COLUMNS} FROM token_usage WHERE timestamp >= ? AND timestamp <= ? AND ${READABLE} ORDER BY timestamp`)
    .all(rfc3339(nowH * HOUR_MS), rfc3339(nowMs)) as CallRow[];
  for (const c of current) {
    const last = blocks.at(-1);
    if (last === undefined || nowH * HOUR_MS >= last.endMs) {
      if (toMs !== null && nowH * HOUR_MS >= toMs) break;
      blocks.push(new BlockAcc(nowH * HOUR_MS, nowH * HOUR_MS + BLOCK_MS));
    }
    blocks.at(-1)!.add(c, parseUtc(c.timestamp));
  }
  return blocks;
}
