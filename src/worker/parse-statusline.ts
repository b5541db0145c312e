// Parse (status line): bytes of one `<id>-statusline` payload (Claude Code's status line stdin,
// spooled unchanged) → a typed snapshot, or the permanent reason it can never apply (not JSON, not
// an object, no usable session_id: the same reasons as a hook payload's). Every other field is
// optional and checked: a number must be finite, a string a string, a time a plausible Unix time;
// a field of the wrong type is left out (null) and named in `ignored`. Unknown fields are ignored.
// Pure: no I/O. The worker routes by the id's kind (payloadKindOf), never by content.
import { parseSessionObject } from './parse.js';

/** A snapshot's recorded values, named as statusline_samples' columns (null = absent or unusable). */
export interface SampleValues {
  model_id: string | null;
  client_version: string | null;
  total_cost_usd: number | null;
  total_duration_ms: number | null;
  total_api_duration_ms: number | null;
  total_lines_added: number | null;
  total_lines_removed: number | null;
  context_window_size: number | null;
  context_used_pct: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_creation_tokens: number | null;
  cache_read_tokens: number | null;
  five_hour_used_pct: number | null;
  five_hour_resets_at: string | null;
  seven_day_used_pct: number | null;
  seven_day_resets_at: string | null;
  cache_ttl: string | null;
  cache_hit_ratio: number | null;
}

export interface StatusLineSnapshot {
  sessionId: string;
  transcriptPath: string | null;
  /** `workspace.current_dir`, else `cwd`. */
  cwd: string | null;
  sample: SampleValues;
  /** Fields present with a type we cannot use (dotted paths), left out of `sample`. */
  ignored: string[];
}

export type StatusLineParse = { ok: true; snapshot: StatusLineSnapshot } | { ok: false; reason: string };

/** Every column of a sample, in table order. */
export const SAMPLE_COLUMNS = [
  'model_id', 'client_version',
  'total_cost_usd', 'total_duration_ms', 'total_api_duration_ms', 'total_lines_added', 'total_lines_removed',
  'context_window_size', 'context_used_pct', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens',
  'five_hour_used_pct', 'five_hour_resets_at', 'seven_day_used_pct', 'seven_day_resets_at',
  'cache_ttl', 'cache_hit_ratio',
] as const satisfies ReadonlyArray<keyof SampleValues>;

/** Unix seconds accepted as a reset time: 2000-01-01 up to 9999-12-31 (milliseconds would land past it). */
const MIN_UNIX_S = 946_684_800;
const MAX_UNIX_S = 253_402_300_799;

export function parseStatusLine(bytes: Buffer): StatusLineParse {
  const parsed = parseSessionObject(bytes);
  if (!parsed.ok) return parsed;
  const ignored: string[] = [];
  const root = parsed.obj;

  /** The value at a dotted path; an intermediate that is not an object is noted once and ends the walk. */
  const at = (path: string): unknown => {
    let v: unknown = root;
    const keys = path.split('.');
    for (const [i, k] of keys.entries()) {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'object' || Array.isArray(v)) {
        const prefix = keys.slice(0, i).join('.');
        if (!ignored.includes(prefix)) ignored.push(prefix);
        return undefined;
      }
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
  const take = <T>(path: string, ok: (v: unknown) => T | undefined): T | null => {
    const v = at(path);
    if (v === undefined || v === null) return null;
    const out = ok(v);
    if (out === undefined) {
      ignored.push(path);
      return null;
    }
    return out;
  };
  const num = (path: string): number | null => take(path, (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined));
  const str = (path: string): string | null => take(path, (v) => (typeof v === 'string' ? v : undefined));
  const unixTime = (path: string): string | null =>
    take(path, (v) => (typeof v === 'number' && v >= MIN_UNIX_S && v <= MAX_UNIX_S ? new Date(Math.round(v * 1000)).toISOString() : undefined));

  const sample: SampleValues = {
    model_id: str('model.id'),
    client_version: str('version'),
    total_cost_usd: num('cost.total_cost_usd'),
    total_duration_ms: num('cost.total_duration_ms'),
    total_api_duration_ms: num('cost.total_api_duration_ms'),
    total_lines_added: num('cost.total_lines_added'),
    total_lines_removed: num('cost.total_lines_removed'),
    context_window_size: num('context_window.context_window_size'),
    context_used_pct: num('context_window.used_percentage'),
    input_tokens: num('context_window.current_usage.input_tokens'),
    output_tokens: num('context_window.current_usage.output_tokens'),
    cache_creation_tokens: num('context_window.current_usage.cache_creation_input_tokens'),
    cache_read_tokens: num('context_window.current_usage.cache_read_input_tokens'),
    five_hour_used_pct: num('rate_limits.five_hour.used_percentage'),
    five_hour_resets_at: unixTime('rate_limits.five_hour.resets_at'),
    seven_day_used_pct: num('rate_limits.seven_day.used_percentage'),
    seven_day_resets_at: unixTime('rate_limits.seven_day.resets_at'),
    cache_ttl: str('prompt_cache.ttl'),
    cache_hit_ratio: num('prompt_cache.hit_ratio'),
  };
  return {
    ok: true,
    snapshot: {
      sessionId: parsed.sessionId,
      transcriptPath: str('transcript_path'),
      cwd: str('workspace.current_dir') ?? str('cwd'),
      sample,
      ignored,
    },
  };
}
