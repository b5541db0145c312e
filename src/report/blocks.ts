// Report step, 5-hour blocks: API calls (token_usage) grouped into the 5-hour usage windows that
// Claude's plans meter, with the official limits the status line saw (statusline_samples). The
// rule (docs/REPORTS.md, "Blocks"), as ccusage's: a block starts at the UTC hour of its first call
// and lasts 5 h; the first call at or after its end opens the next. `activeBlock` answers the
// status line in a few ms on years of history: it never scans history, it walks back to the last
// gap of 5 h or more with indexed probes and forward block by block. Read-only, pure of any clock:
// `now` is always passed in.
import type { ReadDb, ReadStatement } from './read-db.js';
import { callSums } from './spend.js';
import { hasTables } from './schema.js';

type Db = ReadDb;

export const HOUR_MS = 3_600_000;
export const BLOCK_MS = 5 * HOUR_MS;
/** A burn rate never divides by less than a minute (a block whose only call came in its first seconds). */
export const MIN_ELAPSED_MS = 60_000;

export interface ActiveBlock {
  start: string;
  end: string;
  calls: number;
  cost_usd: number;
  unpriced_calls: number;
  burn_usd_per_hour: number;
  projected_cost_usd: number;
  ms_left: number;
  five_hour_used_pct: number | null;
  five_hour_resets_at: string | null;
  seven_day_used_pct: number | null;
  limit_reached: boolean;
}

/** The start of the block a call at `ms` opens: the UTC hour it falls in. */
export function blockStartOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * The rule, one call at a time (in time order): `next(ms)` says whether the call opens a new block,
 * whose bounds are then `startMs` and `endMs`. A gap of 5 h or more always reaches past the
 * block's end (a block starts at or before its first call), so "at or after the end" covers both
 * of ccusage's conditions.
 */
export class BlockSplitter {
  startMs = NaN;
  endMs = NaN;
  next(ms: number): boolean {
    if (ms < this.endMs) return false;
    this.startMs = blockStartOf(ms);
    this.endMs = this.startMs + BLOCK_MS;
    return true;
  }
}

/** The rule, pure: calls in time order → blocks, each [startMs, endMs) with its calls. */
export function splitBlocks<T extends { ms: number }>(calls: Iterable<T>): Array<{ startMs: number; endMs: number; calls: T[] }> {
  const out: Array<{ startMs: number; endMs: number; calls: T[] }> = [];
  const split = new BlockSplitter();
  for (const c of calls) {
    if (split.next(c.ms)) out.push({ startMs: split.startMs, endMs: split.endMs, calls: [] });
    out.at(-1)!.calls.push(c);
  }
  return out;
}

/**
 * USD per hour of the block's clock: its cost over the time from its start to `untilMs` (now, for
 * the active block; its last call, for a finished one), never less than a minute.
 */
export function burnRate(costUsd: number, startMs: number, untilMs: number): number {
  return costUsd / (Math.max(untilMs - startMs, MIN_ELAPSED_MS) / HOUR_MS);
}

/** The cost at the block's end if spending goes on at the burn rate: burn × 5 h (= cost + burn × time left). */
export function projectedCost(burnUsdPerHour: number): number {
  return (burnUsdPerHour * BLOCK_MS) / HOUR_MS;
}

/** An RFC 3339 time from the database as epoch ms (UTC when it names no zone), NaN when unreadable. */
export function parseUtc(text: string): number {
  return Date.parse(text.endsWith('Z') || /(?:z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Only RFC 3339 call times take part ('YYYY-MM-DDTHH…'). Migration 0006 rewrote the old hook's
 * 'YYYY-MM-DD HH:MM:SS' rows; one written since (the old hook still running) takes no part.
 */
export const CALL_TIME_OK = "substr(timestamp, 11, 1) = 'T'";

export interface BlockProbes {
  /** The earliest call time in (lo, hi]. */
  firstIn: (lo: string, hi: string) => string | undefined;
  /** The latest call time before `t`. */
  lastBefore: (t: string) => string | undefined;
  /** The earliest call time in [lo, hi]. */
  firstFrom: (lo: string, hi: string) => string | undefined;
}

export function prepareProbes(db: Db): BlockProbes {
  const firstIn = db.prepare(`SELECT timestamp FROM token_usage WHERE timestamp > ? AND timestamp <= ? AND ${CALL_TIME_OK} ORDER BY timestamp LIMIT 1`).pluck();
  const lastBefore = db
    .prepare(`SELECT timestamp FROM token_usage WHERE timestamp < ? AND timestamp >= '0000-01-01T00:00:00.000Z' AND ${CALL_TIME_OK} ORDER BY timestamp DESC LIMIT 1`)
    .pluck();
  const firstFrom = db.prepare(`SELECT timestamp FROM token_usage WHERE timestamp >= ? AND timestamp <= ? AND ${CALL_TIME_OK} ORDER BY timestamp LIMIT 1`).pluck();
  return {
    firstIn: (lo, hi) => firstIn.get(lo, hi) as string | undefined,
    lastBefore: (t) => lastBefore.get(t) as string | undefined,
    firstFrom: (lo, hi) => firstFrom.get(lo, hi) as string | undefined,
  };
}

/**
 * The first call of the chain that holds the calls up to `untilMs` (inclusive): walking back, the
 * first call with no call in the 5 h before it. Undefined when no call falls in the 5 h up to
 * `untilMs` (whatever comes next starts afresh). Each step goes back at least 5 h with two probes.
 */
export function chainStart(p: BlockProbes, untilMs: number): string | undefined {
  let cur = p.firstIn(iso(untilMs - BLOCK_MS), iso(untilMs));
  if (cur === undefined) return undefined;
  for (;;) {
    const prev = p.lastBefore(cur);
    // (An unreadable time ends the walk too: NaN is not < 5 h.)
    if (prev === undefined || !(parseUtc(cur) - parseUtc(prev) < BLOCK_MS)) return cur;
    cur = p.firstIn(iso(parseUtc(prev) - BLOCK_MS), prev) ?? prev;
  }
}

/** The start (epoch ms) of the block holding the last call at or before `nowMs`, or null when there is none. */
export function lastBlockStart(p: BlockProbes, nowMs: number): number | null {
  const first = chainStart(p, nowMs);
  if (first === undefined) return null;
  const nowIso = iso(nowMs);
  let start = blockStartOf(parseUtc(first));
  if (Number.isNaN(start)) return null;
  for (;;) {
    const next = p.firstFrom(iso(start + BLOCK_MS), nowIso);
    const nextMs = next === undefined ? NaN : parseUtc(next);
    if (Number.isNaN(nextMs)) return start;
    start = blockStartOf(nextMs);
  }
}

export interface LimitSample {
  sampled_at: string;
  five_hour_used_pct: number | null;
  five_hour_resets_at: string | null;
  seven_day_used_pct: number | null;
}

export interface Limits {
  five_hour_used_pct: number | null;
  five_hour_resets_at: string | null;
  /** null when no sample in the block carried the five-hour figure. */
  limit_reached: boolean | null;
  seven_day_used_pct: number | null;
}

/** The official figures seen in a block: the highest five-hour % (the latest on a tie) and its reset, the latest 7-day %. */
export function limitsOf(samples: Iterable<LimitSample>): Limits {
  let top: LimitSample | null = null;
  let week: LimitSample | null = null;
  for (const s of samples) {
    if (s.five_hour_used_pct !== null && (top === null || s.five_hour_used_pct >= top.five_hour_used_pct!)) top = s;
    if (s.seven_day_used_pct !== null && (week === null || s.sampled_at >= week.sampled_at)) week = s;
  }
  return {
    five_hour_used_pct: top?.five_hour_used_pct ?? null,
    five_hour_resets_at: top?.five_hour_resets_at ?? null,
    limit_reached: top === null ? null : top.five_hour_used_pct! >= 100,
    seven_day_used_pct: week?.seven_day_used_pct ?? null,
  };
}

/** Whether the database has status line samples (schema 5); a reader may face an older one. */
export function hasSamples(db: Db): boolean {
  return hasTables(db, 'statusline_samples');
}

/** The samples carrying rate limits in [lo, hi) up to `nowIso`, in time order. */
export const LIMIT_SAMPLES_SQL = `SELECT sampled_at, five_hour_used_pct, five_hour_resets_at, seven_day_used_pct FROM statusline_samples
  WHERE sampled_at >= ? AND sampled_at < ? AND sampled_at <= ? AND (five_hour_used_pct IS NOT NULL OR seven_day_used_pct IS NOT NULL)
  ORDER BY sampled_at`;

interface ActiveStatements {
  probes: BlockProbes;
  samples: ReadStatement | null;
}

const prepared = new WeakMap<Db, ActiveStatements>();

function statements(db: Db): ActiveStatements {
  let st = prepared.get(db);
  if (!st) {
    st = {
      probes: prepareProbes(db),
      samples: hasSamples(db) ? db.prepare(LIMIT_SAMPLES_SQL) : null,
    };
    prepared.set(db, st);
  }
  return st;
}

/**
 * The block `now` falls in, when it has calls (up to `now`); null otherwise. For the status line:
 * a handful of indexed probes, then one range over the block's own calls and samples.
 */
export function activeBlock(db: Db, now: Date): ActiveBlock | null {
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) return null;
  const st = statements(db);
  const startMs = lastBlockStart(st.probes, nowMs);
  if (startMs === null || nowMs >= startMs + BLOCK_MS) return null;
  const endMs = startMs + BLOCK_MS;
  const [start, end, nowIso] = [iso(startMs), iso(endMs), iso(nowMs)];
  // Its calls up to now (a time is at or before now: before now + 1 ms), whole hours from the rollups.
  const sums = callSums(db, startMs, Math.min(endMs, nowMs + 1));
  const limits = limitsOf((st.samples?.all(start, end, nowIso) ?? []) as LimitSample[]);
  const burn = burnRate(sums.cost_usd, startMs, nowMs);
  return {
    start,
    end,
    calls: sums.calls,
    cost_usd: sums.cost_usd,
    unpriced_calls: sums.unpriced_calls,
    burn_usd_per_hour: burn,
    projected_cost_usd: projectedCost(burn),
    ms_left: endMs - nowMs,
    five_hour_used_pct: limits.five_hour_used_pct,
    five_hour_resets_at: limits.five_hour_resets_at,
    seven_day_used_pct: limits.seven_day_used_pct,
    limit_reached: limits.limit_reached === true,
  };
}
