// A session's figures from its transcript accumulator (transcript.ts): the token_usage rows, per-model
// totals, and the counters, as docs/metrics-spec.md defines them. Pure; sums are taken in one fixed
// order of calls so floats never depend on the order lines were read in.
import { has, put } from './json-fields.js';
import { callCostUsd, type ModelPrices } from './pricing.js';
import { type CallState, type TranscriptState, earlier, ms } from './transcript.js';

/** Figures of one model in a session. */
export interface ModelFigures {
  api_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cache_1h_tokens: number;
  /** null when the model has no price. */
  cost_usd: number | null;
}

/** One row of the token_usage table. */
export interface CallRow {
  /** The call's key in TranscriptState.calls (`message.id|requestId`, or a fallback when both are missing). */
  key: string;
  message_id: string | null;
  request_id: string | null;
  timestamp: string | null;
  model: string | null;
  agent_id: string | null;
  git_branch: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cache_1h_tokens: number;
  cost_usd: number | null;
}

export interface TranscriptSummary {
  api_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cache_1h_tokens: number;
  /** Sum over the calls whose model has a price. */
  cost_usd: number;
  /** False when at least one call's model has no price (its tokens count, its cost does not). */
  cost_complete: boolean;
  /** Model id as written in the transcript (`unknown` when a call names none) → its figures. */
  models: Record<string, ModelFigures>;
  tool_calls: number;
  commits: number;
  lines_added: number;
  lines_removed: number;
  start_time: string | null;
  end_time: string | null;
  /** The session's branch (TranscriptState.branch). */
  git_branch: string | null;
  malformed_lines: number;
  oversize_lines: number;
  /** One per API call, ordered by timestamp then message/request id. */
  calls: CallRow[];
}

/** Sort key of a call: timestamp, then its id. Sums are taken in this order so floats never depend on read order. */
function compareCalls(a: [string, CallState], b: [string, CallState]): number {
  const ta = a[1].timestamp;
  const tb = b[1].timestamp;
  if (ta !== tb) {
    if (ta === null) return 1;
    if (tb === null) return -1;
    if (earlier(ta, tb)) return -1;
    if (earlier(tb, ta)) return 1;
  }
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * The session's figures (docs/metrics-spec.md) from the state; does not modify it.
 * `priceFor` returns a model's prices or null when unknown (see pricing.ts `priceResolver`).
 */
export function summarizeTranscript(
  state: TranscriptState,
  priceFor: (model: string | null) => ModelPrices | null,
): TranscriptSummary {
  const s: TranscriptSummary = {
    api_calls: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_tokens: 0,
    cache_read_tokens: 0,
    cache_1h_tokens: 0,
    cost_usd: 0,
    cost_complete: true,
    models: {},
    tool_calls: Object.keys(state.tool_uses).length,
    commits: state.commits,
    lines_added: state.lines_added,
    lines_removed: state.lines_removed,
    start_time: state.start_time,
    end_time: state.end_time,
    git_branch: state.branch?.name ?? null,
    malformed_lines: state.malformed_lines,
    oversize_lines: state.oversize_lines,
    calls: [],
  };
  // Parse each timestamp once: sorting with Date.parse in the comparator costs O(n log n) parses.
  const entries = Object.entries(state.calls)
    .map(([key, c]) => ({ key, c, t: c.timestamp === null ? Number.POSITIVE_INFINITY : ms(c.timestamp) }))
    .sort((a, b) => a.t - b.t || compareCalls([a.key, a.c], [b.key, b.c]));
  for (const { key, c } of entries) {
    const u = c.usage;
    const prices = c.model === null ? null : priceFor(c.model);
    const cost = prices === null ? null : callCostUsd(prices, u);
    const row: CallRow = {
      key,
      message_id: c.message_id,
      request_id: c.request_id,
      timestamp: c.timestamp,
      model: c.model,
      agent_id: c.agent_id,
      git_branch: c.git_branch,
      input_tokens: u.input_tokens,
      output_tokens: u.output_tokens,
      cache_creation_tokens: u.cache_creation_input_tokens,
      cache_read_tokens: u.cache_read_input_tokens,
      cache_1h_tokens: u.cache_creation.ephemeral_1h_input_tokens,
      cost_usd: cost,
    };
    s.calls.push(row);

    s.api_calls += 1;
    s.input_tokens += row.input_tokens;
    s.output_tokens += row.output_tokens;
    s.cache_creation_tokens += row.cache_creation_tokens;
    s.cache_read_tokens += row.cache_read_tokens;
    s.cache_1h_tokens += row.cache_1h_tokens;
    if (cost === null) s.cost_complete = false;
    else s.cost_usd += cost;

    const name = c.model ?? 'unknown';
    let m = has(s.models, name) ? s.models[name] : undefined;
    if (m === undefined) {
      m = { api_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, cache_1h_tokens: 0, cost_usd: 0 };
      put(s.models, name, m);
    }
    m.api_calls += 1;
    m.input_tokens += row.input_tokens;
    m.output_tokens += row.output_tokens;
    m.cache_creation_tokens += row.cache_creation_tokens;
    m.cache_read_tokens += row.cache_read_tokens;
    m.cache_1h_tokens += row.cache_1h_tokens;
    m.cost_usd = cost === null || m.cost_usd === null ? null : m.cost_usd + cost;
  }
  return s;
}
