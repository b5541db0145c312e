// Tool uses in a transcript: each tool_use's name, time, subagent and whether its result was an
// error, and the figures that come from tool results (commits, lines added and removed, as
// docs/metrics-spec.md defines them). Pure and incremental: transcript.ts hands it the parsed
// blocks of each line; a result may arrive in a later read than its tool_use (or before it).
import { type Obj, has, isObj, put, str } from './json-fields.js';

/** One tool_use block, as the tool_uses table keeps it. */
export interface ToolUse {
  name: string | null;
  /** Timestamp of the assistant line that carried it (UTC text); null when the line had none. */
  used_at: string | null;
  /** Subagent that used it; null for the main transcript. */
  agent_id: string | null;
  /** null until a tool_result for it is read; then true when a result says `is_error: true`. */
  is_error: boolean | null;
}

/** A Write / Edit / MultiEdit / git-commit Bash call waiting for its tool_result. */
export type PendingTool =
  | { kind: 'commit' }
  /** Lines counted from the call's input, used when the result line has no usable toolUseResult. */
  | { kind: 'edit'; tool: string; input_added: number; input_removed: number };

/** A tool_result seen before its tool_use (kept compact until the tool_use shows up). */
export interface OrphanResult {
  is_error: boolean;
  /** Lines from the result's toolUseResult; null when it had none usable. */
  added: number | null;
  removed: number | null;
}

/** The tool part of a session's accumulator (see TranscriptState). */
export interface ToolState {
  /** tool_use id → the tool use (one entry per id however often it is read: tool_calls counts them). */
  tool_uses: Record<string, ToolUse>;
  /** tool_use id → call awaiting its result. */
  pending: Record<string, PendingTool>;
  /** tool_use id → result that arrived before its tool_use. */
  orphan_results: Record<string, OrphanResult>;
  commits: number;
  lines_added: number;
  lines_removed: number;
}

/** Bash commands that run `git … commit` (docs/metrics-spec.md). */
export const GIT_COMMIT_RE = /\bgit\b[^|;&\n]*\bcommit\b/;

/** Tools whose results count lines added / removed. */
const EDIT_TOOLS = new Set(['Write', 'Edit', 'MultiEdit']);

/**
 * Number of lines of a string, as an editor counts them: "" → 0, "a" → 1, "a\n" → 1,
 * "a\nb" → 2, "a\n\n" → 2. A final newline ends the last line rather than starting a new one,
 * which matches structuredPatch (a 4-line file written as "l1\nl2\nl3\nl4\n" shows 4 `+` lines).
 */
export function countLines(s: string): number {
  if (s === '') return 0;
  let n = 1;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n += 1;
  return s.endsWith('\n') ? n - 1 : n;
}

/** Lines a call would change, from its input (the fallback when its result has no toolUseResult). */
function inputLines(tool: string, input: Obj): { added: number; removed: number } {
  const s = (v: unknown) => (typeof v === 'string' ? countLines(v) : 0);
  if (tool === 'Write') return { added: s(input.content), removed: 0 };
  if (tool === 'Edit') return { added: s(input.new_string), removed: s(input.old_string) };
  let added = 0;
  let removed = 0;
  if (Array.isArray(input.edits)) {
    for (const e of input.edits) {
      if (!isObj(e)) continue;
      added += s(e.new_string);
      removed += s(e.old_string);
    }
  }
  return { added, removed };
}

/** What a tool call's result will count: a commit, lines, or nothing (null). */
function pendingOf(name: string | null, input: Obj): PendingTool | null {
  if (name === 'Bash' && typeof input.command === 'string' && GIT_COMMIT_RE.test(input.command)) return { kind: 'commit' };
  if (name !== null && EDIT_TOOLS.has(name)) {
    const l = inputLines(name, input);
    return { kind: 'edit', tool: name, input_added: l.added, input_removed: l.removed };
  }
  return null;
}

/** Folds one tool_use block of an assistant line (its time and subagent given). */
export function applyToolUse(state: ToolState, block: Obj, agentId: string | null, time: string | null): void {
  const id = str(block.id);
  if (id === null || has(state.tool_uses, id)) return; // counted once however often it is re-read
  const name = str(block.name);
  const use: ToolUse = { name, used_at: time, agent_id: agentId, is_error: null };
  const pending = pendingOf(name, isObj(block.input) ? block.input : {});
  const orphan = has(state.orphan_results, id) ? state.orphan_results[id] : undefined;
  if (orphan !== undefined) {
    delete state.orphan_results[id];
    use.is_error = orphan.is_error;
    if (pending !== null) settle(state, pending, orphan);
  } else if (pending !== null) {
    put(state.pending, id, pending);
  }
  put(state.tool_uses, id, use);
}

/** Counts a finished call from its result. */
function settle(state: ToolState, call: PendingTool, result: OrphanResult): void {
  if (result.is_error) return;
  if (call.kind === 'commit') {
    state.commits += 1;
    return;
  }
  if (result.added !== null && result.removed !== null) {
    state.lines_added += result.added;
    state.lines_removed += result.removed;
  } else {
    state.lines_added += call.input_added;
    state.lines_removed += call.input_removed;
  }
}

/**
 * Lines from a result line's toolUseResult: Write `type: "create"` → lines of `content`; otherwise
 * `structuredPatch[].lines` starting with `+` / `-`. Null when it holds neither (no toolUseResult,
 * an error string, an unknown shape), so the caller falls back to the call's input.
 */
function resultLines(tur: unknown): { added: number; removed: number } | null {
  if (!isObj(tur)) return null;
  if (tur.type === 'create' && typeof tur.content === 'string') return { added: countLines(tur.content), removed: 0 };
  if (!Array.isArray(tur.structuredPatch)) return null;
  let added = 0;
  let removed = 0;
  for (const hunk of tur.structuredPatch) {
    if (!isObj(hunk) || !Array.isArray(hunk.lines)) continue;
    for (const l of hunk.lines) {
      if (typeof l !== 'string') continue;
      if (l.startsWith('+')) added += 1;
      else if (l.startsWith('-')) removed += 1;
    }
  }
  return { added, removed };
}

/**
 * Folds the tool_result blocks of a user line. A result whose tool_use is known sets its is_error
 * (true once any result says so, so the order of re-reads never matters) and settles a pending
 * commit or edit; a result before its tool_use is kept until the tool_use arrives.
 */
export function applyToolResults(state: ToolState, obj: Obj): void {
  const message = isObj(obj.message) ? obj.message : null;
  if (message === null || !Array.isArray(message.content)) return;
  const results = message.content.filter((b): b is Obj => isObj(b) && b.type === 'tool_result');
  if (results.length === 0) return;
  // The top-level toolUseResult belongs to the line's result; with several results on one line
  // it cannot be attributed, and each call falls back to its input.
  const fromTur = results.length === 1 ? resultLines(obj.toolUseResult) : null;
  for (const r of results) {
    const id = str(r.tool_use_id);
    if (id === null) continue;
    const result: OrphanResult = {
      is_error: r.is_error === true,
      added: fromTur?.added ?? null,
      removed: fromTur?.removed ?? null,
    };
    const use = has(state.tool_uses, id) ? state.tool_uses[id] : undefined;
    if (use === undefined) {
      // Result before its tool_use (another file read first): keep it until the tool_use arrives.
      if (!has(state.orphan_results, id)) put(state.orphan_results, id, result);
      continue;
    }
    const isError = use.is_error === true || result.is_error;
    // Written back (not changed in place) so a database-backed record sees the change.
    if (use.is_error !== isError) put(state.tool_uses, id, { ...use, is_error: isError });
    const call = has(state.pending, id) ? state.pending[id] : undefined;
    if (call !== undefined) {
      delete state.pending[id];
      settle(state, call, result);
    }
    // Otherwise: a re-read of a result already counted, or the result of an untracked tool.
  }
}
