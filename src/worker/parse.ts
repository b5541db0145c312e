// Parse: bytes of one payload → a typed hook payload, or the reason it can never apply.
// Pure: no I/O, so every rule here is tested directly and the worker only routes the result.

export interface ReportedCost {
  total_cost_usd?: number;
  total_duration_ms?: number;
  total_api_duration_ms?: number;
  total_lines_added?: number;
  total_lines_removed?: number;
}

export interface HookPayload {
  sessionId: string;
  /** `hook_event_name`, or null for the older format that had none (the baseline's SessionEnd). */
  event: string | null;
  transcriptPath: string | null;
  cwd: string | null;
  /** SessionStart's `source` (startup, resume, clear, compact). */
  source: string | null;
  /** SessionEnd's `reason`. */
  reason: string | null;
  /** The older format's `cost` object: figures reported by the caller, kept as the baseline did. */
  reportedCost: ReportedCost | null;
}

export type ParseResult = { ok: true; payload: HookPayload } | { ok: false; reason: string };

export const COST_FIELDS = [
  'total_cost_usd',
  'total_duration_ms',
  'total_api_duration_ms',
  'total_lines_added',
  'total_lines_removed',
] as const;

/** A JSON object with a usable `session_id`: what every payload must be, of whatever kind. */
export type SessionObject = { ok: true; obj: Record<string, unknown>; sessionId: string } | { ok: false; reason: string };

export function parseSessionObject(bytes: Buffer): SessionObject {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: `not a JSON object: ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` };
  }
  const obj = value as Record<string, unknown>;
  const sessionId = obj.session_id;
  if (sessionId === undefined) return { ok: false, reason: 'missing session_id' };
  if (typeof sessionId !== 'string') return { ok: false, reason: `session_id is not a string (${jsonType(sessionId)})` };
  if (sessionId === '') return { ok: false, reason: 'session_id is empty' };
  return { ok: true, obj, sessionId };
}

export function parsePayload(bytes: Buffer): ParseResult {
  const parsed = parseSessionObject(bytes);
  if (!parsed.ok) return parsed;
  const { obj, sessionId } = parsed;
  const event = obj.hook_event_name;
  if (event !== undefined && typeof event !== 'string') {
    return { ok: false, reason: `hook_event_name is not a string (${jsonType(event)})` };
  }
  return {
    ok: true,
    payload: {
      sessionId,
      event: event ?? null,
      transcriptPath: stringOrNull(obj.transcript_path),
      cwd: stringOrNull(obj.cwd),
      source: stringOrNull(obj.source),
      reason: stringOrNull(obj.reason),
      reportedCost: reportedCostOf(obj.cost),
    },
  };
}

function reportedCostOf(cost: unknown): ReportedCost | null {
  if (cost === null || typeof cost !== 'object' || Array.isArray(cost)) return null;
  const out: ReportedCost = {};
  for (const field of COST_FIELDS) {
    const v = (cost as Record<string, unknown>)[field];
    if (typeof v === 'number' && Number.isFinite(v)) out[field] = v;
  }
  return out;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
