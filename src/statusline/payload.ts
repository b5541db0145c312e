// The status line's stdin, read leniently: Claude Code's JSON object (claude-code-facts.md, "The
// status line") → the few figures the line shows. Any field may be absent or of another type in
// another version: what is not as expected is simply not there (null). Pure.

export interface StatusPayload {
  sessionId: string | null;
  /** model.display_name, else model.id. */
  model: string | null;
  /** cost.total_cost_usd: Claude Code's own estimate at list prices. */
  costUsd: number | null;
  linesAdded: number | null;
  linesRemoved: number | null;
  /** context_window.used_percentage, else worked out from current_usage and the window's size. */
  contextPct: number | null;
  fiveHourPct: number | null;
  /** Epoch ms (the payload has Unix seconds). */
  fiveHourResetsAt: number | null;
  sevenDayPct: number | null;
  sevenDayResetsAt: number | null;
  /** workspace.current_dir, else cwd. */
  dir: string | null;
  version: string | null;
}

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Unix seconds (as documented) to epoch ms; a value already in ms, or an RFC 3339 text, is taken too. */
function epochMs(value: unknown): number | null {
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  const n = num(value);
  if (n === null || n <= 0) return null;
  return n > 1e12 ? n : n * 1000;
}

function contextPct(window: Obj | null): number | null {
  if (!window) return null;
  const used = num(window.used_percentage);
  if (used !== null) return used;
  const size = num(window.context_window_size);
  const usage = obj(window.current_usage);
  if (!size || !usage) return null;
  const tokens = ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'].reduce((sum, k) => sum + (num(usage[k]) ?? 0), 0);
  return (tokens / size) * 100;
}

/** The figures of a status line payload, or null when the bytes are not a JSON object. */
export function parseStatusPayload(bytes: Buffer): StatusPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
  const root = obj(value);
  if (!root) return null;
  const model = obj(root.model);
  const cost = obj(root.cost);
  const limits = obj(root.rate_limits);
  const fiveHour = obj(limits?.five_hour);
  const sevenDay = obj(limits?.seven_day);
  const workspace = obj(root.workspace);
  return {
    sessionId: str(root.session_id),
    model: str(model?.display_name) ?? str(model?.id),
    costUsd: num(cost?.total_cost_usd),
    linesAdded: num(cost?.total_lines_added),
    linesRemoved: num(cost?.total_lines_removed),
    contextPct: contextPct(obj(root.context_window)),
    fiveHourPct: num(fiveHour?.used_percentage),
    fiveHourResetsAt: epochMs(fiveHour?.resets_at),
    sevenDayPct: num(sevenDay?.used_percentage),
    sevenDayResetsAt: epochMs(sevenDay?.resets_at),
    dir: str(workspace?.current_dir) ?? str(root.cwd),
    version: str(root.version),
  };
}
