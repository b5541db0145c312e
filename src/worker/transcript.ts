// Parse transcript: JSONL lines of one session (main transcript + its subagents' files) folded into
// an accumulator: its API calls (with their branch), times and branch here, its tool uses in
// transcript-tools.ts; transcript-summary.ts turns it into the figures docs/metrics-spec.md defines.
// Pure and incremental: no I/O; the caller reads the files, feeds complete lines, and may save the
// JSON-serialisable state between reads.

import { type Obj, has, isObj, put, str, tokens } from './json-fields.js';
import { cache1hTokens } from './pricing.js';
import { type ToolState, applyToolResults, applyToolUse } from './transcript-tools.js';

export { GIT_COMMIT_RE, countLines, type OrphanResult, type PendingTool, type ToolUse } from './transcript-tools.js';

/** Token counts kept for one API call (same field names as the API's `usage`). */
export interface CallUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_1h_input_tokens: number };
}

/** One API call (`message.id` + `requestId`), from the best of its lines. */
export interface CallState {
  message_id: string | null;
  request_id: string | null;
  model: string | null;
  /** Earliest timestamp among the call's lines (RFC 3339 text as written). */
  timestamp: string | null;
  /** Subagent that made the call; null for the main transcript. */
  agent_id: string | null;
  /** The git branch its line names (`gitBranch`); null when none does. */
  git_branch: string | null;
  usage: CallUsage;
}

/** The branch named by an API call's line, and that line's time. */
export interface BranchSeen {
  at: string | null;
  name: string;
}

/**
 * Everything needed to continue a session from where the last read stopped. Plain JSON: save it
 * with JSON.stringify and resume with JSON.parse. Maps are objects keyed by id.
 */
export interface TranscriptState extends ToolState {
  /** 2 since tool uses and branches are kept (a saved 1 is brought up by reviveTranscriptState). */
  v: 2;
  /** Key `${message.id}|${requestId}` → the call. */
  calls: Record<string, CallState>;
  /**
   * The session's branch: the one named by its latest API call line (by timestamp; a tie goes to
   * the greater name, so the order lines are read in never matters). null until a call names one.
   */
  branch: BranchSeen | null;
  /** Earliest / latest timestamp of user and assistant lines (text as written, or normalised to UTC). */
  start_time: string | null;
  end_time: string | null;
  malformed_lines: number;
  oversize_lines: number;
}

export interface LineSource {
  /** The subagent whose file the line comes from (agent-<id>.jsonl); null for the main transcript. */
  agentId: string | null;
  /** When given, receives the key of every call a line created or updated (for incremental writes). */
  touched?: Set<string>;
}

const SYNTHETIC_MODEL = '<synthetic>';

export function createTranscriptState(): TranscriptState {
  return {
    v: 2,
    calls: {},
    tool_uses: {},
    branch: null,
    pending: {},
    orphan_results: {},
    commits: 0,
    lines_added: 0,
    lines_removed: 0,
    start_time: null,
    end_time: null,
    malformed_lines: 0,
    oversize_lines: 0,
  };
}

/**
 * A state as JSON.parse gives it back, brought up to this version: one saved as v 1 (before tool
 * uses and branches were kept) had `tool_use_ids` (its ids are in the tool_uses table) and no branch.
 */
export function reviveTranscriptState(saved: TranscriptState): TranscriptState {
  const old = saved as TranscriptState & { tool_use_ids?: unknown };
  delete old.tool_use_ids;
  old.tool_uses ??= {};
  old.branch ??= null;
  old.v = 2;
  return old;
}

/** For a reader that skips a line too long to hold: counts it (its content is lost). */
export function countOversizeLine(state: TranscriptState): void {
  state.oversize_lines += 1;
}

/** Milliseconds of an RFC 3339 timestamp, or NaN. */
export const ms = (t: string): number => Date.parse(t);

/** The timestamp as stored: the transcript's text when already UTC (`…Z`), else normalised to UTC. */
function utcText(t: unknown): string | null {
  if (typeof t !== 'string') return null;
  const m = ms(t);
  if (Number.isNaN(m)) return null;
  return /z$/i.test(t) ? t : new Date(m).toISOString();
}

/** Whether timestamp a is earlier than b (ties broken on the text, so the order of lines never matters). */
export function earlier(a: string, b: string): boolean {
  // Same-shape UTC texts ('…T19:40:31.367Z') sort as text: no parsing on the hot path.
  if (a.length === b.length && a.endsWith('Z') && b.endsWith('Z')) return a < b;
  const d = ms(a) - ms(b);
  return d < 0 || (d === 0 && a < b);
}

function noteTime(state: TranscriptState, t: string): void {
  if (state.start_time === null || earlier(t, state.start_time)) state.start_time = t;
  if (state.end_time === null || earlier(state.end_time, t)) state.end_time = t;
}

/** Whether branch `a` was named after `b`: a later time (no time counts as earliest), then the greater name. */
export function laterBranch(a: BranchSeen, b: BranchSeen): boolean {
  if (a.at !== b.at) {
    if (a.at === null) return false;
    if (b.at === null) return true;
    return earlier(b.at, a.at);
  }
  return a.name > b.name;
}

function noteBranch(state: TranscriptState, seen: BranchSeen): void {
  if (state.branch === null || laterBranch(seen, state.branch)) state.branch = seen;
}

function readUsage(u: Obj): CallUsage {
  const cc = isObj(u.cache_creation) ? u.cache_creation : {};
  const usage: CallUsage = {
    input_tokens: tokens(u.input_tokens),
    output_tokens: tokens(u.output_tokens),
    cache_creation_input_tokens: tokens(u.cache_creation_input_tokens),
    cache_read_input_tokens: tokens(u.cache_read_input_tokens),
    cache_creation: { ephemeral_1h_input_tokens: 0 },
  };
  usage.cache_creation.ephemeral_1h_input_tokens = cache1hTokens({
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_creation: { ephemeral_1h_input_tokens: tokens(cc.ephemeral_1h_input_tokens) },
  });
  return usage;
}

const usageSum = (u: CallUsage): number =>
  u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;

/**
 * Whether usage `a` should replace `b`: the higher four-count sum wins (streaming can leave a line
 * with a partial output_tokens). Equal sums are settled field by field so that the winner never
 * depends on the order the lines were read in.
 */
function better(a: CallUsage, b: CallUsage): boolean {
  const fields = (u: CallUsage) => [
    usageSum(u),
    u.output_tokens,
    u.input_tokens,
    u.cache_creation_input_tokens,
    u.cache_read_input_tokens,
    u.cache_creation.ephemeral_1h_input_tokens,
  ];
  const fa = fields(a);
  const fb = fields(b);
  for (let i = 0; i < fa.length; i++) {
    if (fa[i] !== fb[i]) return (fa[i] ?? 0) > (fb[i] ?? 0);
  }
  return false;
}

/** Small stable hash (FNV-1a, 32 bit) naming a call that has neither message.id nor requestId. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** What an assistant line says about where it was written. */
interface LineContext {
  agentId: string | null;
  time: string | null;
  branch: string | null;
}

/** Folds an assistant line; returns the key of the call it created or updated, if any. */
function applyAssistant(state: TranscriptState, line: string, obj: Obj, { agentId, time, branch }: LineContext): string | null {
  const message = isObj(obj.message) ? obj.message : null;
  if (message === null) return null;

  // tool_use blocks: collected from every line, including repeats of the same response.
  if (Array.isArray(message.content)) {
    for (const block of message.content) {
      if (isObj(block) && block.type === 'tool_use') applyToolUse(state, block, agentId, time);
    }
  }

  // Usage: one call per message.id + requestId, keeping its best line.
  if (!isObj(message.usage)) return null;
  const model = str(message.model);
  if (model === SYNTHETIC_MODEL) return null;
  const messageId = str(message.id);
  const requestId = str(obj.requestId);
  const key =
    messageId !== null || requestId !== null
      ? `${messageId ?? ''}|${requestId ?? ''}`
      : str(obj.uuid) !== null
        ? `uuid:${obj.uuid as string}`
        : `line:${fnv1a(line.trim())}`;
  const usage = readUsage(message.usage);
  const existing = has(state.calls, key) ? state.calls[key] : undefined;
  if (existing === undefined) {
    put(state.calls, key, { message_id: messageId, request_id: requestId, model, timestamp: time, agent_id: agentId, git_branch: branch, usage });
    return key;
  }
  if (better(usage, existing.usage)) {
    existing.usage = usage;
    if (model !== null) existing.model = model;
  }
  if (existing.model === null && model !== null) existing.model = model;
  if (time !== null && (existing.timestamp === null || earlier(time, existing.timestamp))) existing.timestamp = time;
  if (existing.agent_id === null && agentId !== null) existing.agent_id = agentId;
  if (existing.git_branch === null && branch !== null) existing.git_branch = branch;
  return key;
}

export type LineOutcome = 'applied' | 'blank' | 'malformed';

/**
 * Folds one complete JSONL line into the state. Blank lines are ignored; a line that is not a
 * JSON object is counted in malformed_lines and skipped; types other than user / assistant
 * (attachment, system, summary, …, and ones not yet invented) are ignored. Re-applying a line
 * already applied leaves the figures unchanged (except a malformed line, counted again), so a
 * re-read overlapping an earlier one is harmless. Feed only complete lines: a final line without
 * its newline may still be being written.
 */
export function applyTranscriptLine(state: TranscriptState, line: string, source: LineSource): LineOutcome {
  if (line.trim() === '') return 'blank';
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    state.malformed_lines += 1;
    return 'malformed';
  }
  if (!isObj(obj)) {
    state.malformed_lines += 1;
    return 'malformed';
  }
  if (obj.type !== 'user' && obj.type !== 'assistant') return 'applied';

  const time = utcText(obj.timestamp);
  if (time !== null) noteTime(state, time);
  const agentId = source.agentId ?? (obj.isSidechain === true ? str(obj.agentId) : null);
  if (obj.type === 'assistant') {
    const branch = str(obj.gitBranch);
    const key = applyAssistant(state, line, obj, { agentId, time, branch });
    if (key === null) return 'applied';
    source.touched?.add(key);
    if (branch !== null) noteBranch(state, { at: time, name: branch });
  } else applyToolResults(state, obj);
  return 'applied';
}
