// Session figures: recomputes a session's cost, tokens, tool calls and tool uses, commits, lines,
// branch and times from its transcripts (read incrementally by transcript-reader.ts, folded by
// transcript.ts) and writes them inside the caller's transaction. A Stop costs what its new lines
// cost: the calls and tool uses the accumulator needs are looked up in the database only when a
// new line names them, and per-model totals are kept by adding each call's change. A session
// marked `reread` (by a migration that added data only transcripts hold) is read again from the
// start once, when all its files are still there.
import type { Db } from './db.js';
import { LazyRecord } from './lazy-record.js';
import { type ModelPrices, callCostUsd } from './pricing.js';
import { prepareSessionRow } from './session-row.js';
import { prepareToolUseRows } from './tool-use-rows.js';
import { type ReadOutcome, type SessionReadState, emptyReadState, readSessionTranscripts } from './transcript-reader.js';
import { summarizeTranscript } from './transcript-summary.js';
import { type CallState, type CallUsage, type ToolUse, type TranscriptState, reviveTranscriptState } from './transcript.js';

export type PriceFor = (model: string | null) => ModelPrices | null;

export interface TranscriptReadStats {
  bytesRead: number;
  restarts: number;
  filesSkipped: number;
}

export interface FigureStatements {
  /** Reads new transcript bytes; when anything changed, rewrites the session's figures. */
  recompute: (sessionId: string, transcriptPath: string) => ReadOutcome;
  /** Running totals since the worker started, for its logs. */
  stats: TranscriptReadStats;
}

/** How many sessions' reading states a worker keeps in memory (the rest are loaded from the database). */
const CACHED_SESSIONS = 64;

interface TokenUsageRow {
  message_id: string | null;
  request_id: string | null;
  model: string | null;
  timestamp: string | null;
  agent_id: string | null;
  git_branch: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cache_creation_1h_tokens: number;
}

/** What is saved in transcript_reads.state: offsets and the accumulator's small parts. */
interface SavedJson {
  files: SessionReadState['files'];
  state: TranscriptState;
  tool_calls: number;
}

/** A session being read: its accumulator, with calls and tool uses backed by the database. */
interface LiveSession {
  saved: SessionReadState;
  toolCalls: number;
  /** Calls looked up or created since the last save, with their usage as it was before this read. */
  calls: LazyRecord<CallState>;
  toolUses: LazyRecord<ToolUse>;
  /** Nothing saved yet: the accumulator is plain and its first read is written in one go. */
  fresh: boolean;
  /** transcript_reads.reread: read the session again from the start when its files allow. */
  reread: boolean;
}

export function prepareFigureStatements(db: Db, priceFor: PriceFor): FigureStatements {
  const loadGeneration = db.prepare('SELECT generation FROM transcript_reads WHERE session_id = ?').pluck();
  const loadState = db.prepare('SELECT state, generation, reread FROM transcript_reads WHERE session_id = ?');
  const loadCall = db.prepare(`
    SELECT message_id, request_id, model, timestamp, agent_id, git_branch, input_tokens, output_tokens,
           cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens
    FROM token_usage WHERE session_id = ? AND call_key = ?`);
  const toolUseRows = prepareToolUseRows(db);
  const writeSession = prepareSessionRow(db);
  const saveState = db.prepare(`
    INSERT INTO transcript_reads (session_id, state, generation, updated_at, reread) VALUES (?, ?, 1, ?, ?)
    ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, generation = generation + 1,
      updated_at = excluded.updated_at, reread = excluded.reread
    RETURNING generation`).pluck();
  const addModel = db.prepare(`
    INSERT INTO session_models (session_id, model, api_calls, unpriced_calls, input_tokens, output_tokens,
      cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd)
    VALUES (@session_id, @model, @api_calls, @unpriced_calls, @input_tokens, @output_tokens,
      @cache_creation_tokens, @cache_read_tokens, @cache_creation_1h_tokens, @cost_usd)
    ON CONFLICT (session_id, model) DO UPDATE SET
      api_calls = api_calls + excluded.api_calls, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
      input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
      cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
      cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
      cache_creation_1h_tokens = cache_creation_1h_tokens + excluded.cache_creation_1h_tokens,
      cost_usd = cost_usd + excluded.cost_usd`);
  const forget = [
    db.prepare('DELETE FROM token_usage WHERE session_id = ? AND call_key IS NOT NULL'),
    db.prepare('DELETE FROM session_models WHERE session_id = ?'),
    db.prepare('DELETE FROM tool_uses WHERE session_id = ?'),
  ];
  // For a first read (or a restart, after its rows were deleted): nothing to conflict with.
  const insertCall = db.prepare(`
    INSERT INTO token_usage (session_id, call_key, timestamp, model, input_tokens, output_tokens, cache_creation_tokens,
      cache_read_tokens, message_id, request_id, cache_creation_1h_tokens, cost_usd, agent_id, git_branch)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const upsertCall = db.prepare(`
    INSERT INTO token_usage (session_id, call_key, timestamp, model, input_tokens, output_tokens, cache_creation_tokens,
      cache_read_tokens, message_id, request_id, cache_creation_1h_tokens, cost_usd, agent_id, git_branch)
    VALUES (@session_id, @key, @timestamp, @model, @input_tokens, @output_tokens, @cache_creation_tokens,
      @cache_read_tokens, @message_id, @request_id, @cache_1h_tokens, @cost_usd, @agent_id, @git_branch)
    ON CONFLICT (session_id, call_key) DO UPDATE SET
      timestamp = excluded.timestamp, model = excluded.model, input_tokens = excluded.input_tokens,
      output_tokens = excluded.output_tokens, cache_creation_tokens = excluded.cache_creation_tokens,
      cache_read_tokens = excluded.cache_read_tokens, cache_creation_1h_tokens = excluded.cache_creation_1h_tokens,
      cost_usd = excluded.cost_usd, agent_id = excluded.agent_id, message_id = excluded.message_id,
      request_id = excluded.request_id, git_branch = excluded.git_branch`);

  /** Wires a plain saved state to the database for its calls and tool uses. */
  const goLive = (sessionId: string, saved: SessionReadState, toolCalls: number, reread: boolean): LiveSession => {
    const calls = new LazyRecord<CallState>((key) => {
      const row = loadCall.get(sessionId, key) as TokenUsageRow | undefined;
      return row && callStateOf(row);
    }, snapshot);
    const toolUses = new LazyRecord<ToolUse>((id) => toolUseRows.load(sessionId, id));
    saved.state.calls = calls.record;
    saved.state.tool_uses = toolUses.record;
    return { saved, toolCalls, calls, toolUses, fresh: false, reread };
  };
  /** A session with nothing saved: plain records, no lookups (an import's 100 MB first read). */
  const goFresh = (): LiveSession => ({
    saved: emptyReadState(),
    toolCalls: 0,
    calls: new LazyRecord<CallState>(() => undefined),
    toolUses: new LazyRecord<ToolUse>(() => undefined),
    fresh: true,
    reread: false,
  });

  // sessionId → the live state as of `generation` (valid while the database still has that generation).
  const cache = new Map<string, { generation: number; live: LiveSession }>();
  const load = (sessionId: string): LiveSession => {
    const cached = cache.get(sessionId);
    cache.delete(sessionId); // updated in place below: if the transaction rolls back, it must not survive
    if (cached && cached.generation === (loadGeneration.get(sessionId) as number | undefined)) return cached.live;
    const row = loadState.get(sessionId) as { state: string; reread: number } | undefined;
    if (!row) return goFresh();
    const json = JSON.parse(row.state) as SavedJson;
    return goLive(sessionId, { files: json.files, state: reviveTranscriptState(json.state) }, json.tool_calls, row.reread !== 0);
  };

  /** Adds (sign 1) or removes (sign -1) one call's figures from its model's running totals. */
  const countCall = (sessionId: string, c: CallState, sign: 1 | -1): void => {
    const prices = priceFor(c.model);
    const u = c.usage;
    addModel.run({
      session_id: sessionId,
      model: c.model ?? 'unknown',
      api_calls: sign,
      unpriced_calls: prices === null ? sign : 0,
      input_tokens: sign * u.input_tokens,
      output_tokens: sign * u.output_tokens,
      cache_creation_tokens: sign * u.cache_creation_input_tokens,
      cache_read_tokens: sign * u.cache_read_input_tokens,
      cache_creation_1h_tokens: sign * u.cache_creation.ephemeral_1h_input_tokens,
      cost_usd: prices === null ? 0 : sign * callCostUsd(prices, u),
    });
  };

  const writeCall = (sessionId: string, key: string, c: CallState, fallbackTime: string | null): void => {
    const prices = priceFor(c.model);
    const u = c.usage;
    upsertCall.run({
      session_id: sessionId,
      key,
      timestamp: c.timestamp ?? fallbackTime ?? '',
      model: c.model,
      input_tokens: u.input_tokens,
      output_tokens: u.output_tokens,
      cache_creation_tokens: u.cache_creation_input_tokens,
      cache_read_tokens: u.cache_read_input_tokens,
      message_id: c.message_id,
      request_id: c.request_id,
      cache_1h_tokens: u.cache_creation.ephemeral_1h_input_tokens,
      cost_usd: prices === null ? null : callCostUsd(prices, u),
      agent_id: c.agent_id,
      git_branch: c.git_branch,
    });
  };

  const stats: TranscriptReadStats = { bytesRead: 0, restarts: 0, filesSkipped: 0 };
  return {
    stats,
    recompute(sessionId, transcriptPath) {
      const live = load(sessionId);
      const touched = new Set<string>();
      const outcome = readSessionTranscripts(live.saved, transcriptPath, sessionId, { touched, fromStart: live.reread });
      stats.bytesRead += outcome.bytesRead;
      stats.restarts += outcome.restarted ? 1 : 0;
      stats.filesSkipped += outcome.skipped.length;
      if (!outcome.changed) {
        remember(cache, sessionId, loadGeneration.get(sessionId) as number | undefined, live);
        return outcome;
      }
      const state = live.saved.state;
      if (outcome.restarted || live.fresh) {
        // First read, or a file shrank or was replaced (the reader started a plain state from
        // scratch): write everything in one go, per-model totals summed here.
        live.toolCalls = writeAll(sessionId, state);
      } else {
        for (const key of touched) {
          // Take the call as saved out of its model's totals, and put it back as it is now.
          const old = live.calls.loaded.get(key);
          const now = live.calls.known.get(key)!;
          if (old) countCall(sessionId, old, -1);
          countCall(sessionId, now, 1);
          writeCall(sessionId, key, now, state.start_time);
        }
        for (const id of live.toolUses.written) {
          // A new tool use is counted; one saved before has only its result's is_error to take.
          const use = live.toolUses.known.get(id)!;
          if (toolUseRows.insert(sessionId, id, use)) live.toolCalls++;
          else toolUseRows.updateError(sessionId, id, use);
        }
      }
      writeSession(sessionId, state, live.toolCalls);
      const reread = live.reread && !outcome.restarted;
      const json: SavedJson = { files: live.saved.files, state: { ...state, calls: {}, tool_uses: {} }, tool_calls: live.toolCalls };
      const generation = saveState.get(sessionId, JSON.stringify(json), new Date().toISOString(), reread ? 1 : 0) as number;
      // Start the next read from a clean live state over what is now saved (the cache keeps it).
      const next = goLive(sessionId, { files: live.saved.files, state: { ...state, calls: {}, tool_uses: {} } }, live.toolCalls, reread);
      remember(cache, sessionId, generation, next);
      return outcome;
    },
  };

  /** Writes a whole accumulator (a first read, or a restart): every call, per-model totals, tool ids. */
  function writeAll(sessionId: string, state: TranscriptState): number {
    for (const st of forget) st.run(sessionId);
    const summary = summarizeTranscript(state, priceFor);
    for (const c of summary.calls) {
      insertCall.run(
        sessionId, c.key, c.timestamp ?? summary.start_time ?? '', c.model, c.input_tokens, c.output_tokens,
        c.cache_creation_tokens, c.cache_read_tokens, c.message_id, c.request_id, c.cache_1h_tokens, c.cost_usd, c.agent_id,
        c.git_branch,
      );
    }
    for (const [model, m] of Object.entries(summary.models)) {
      addModel.run({
        session_id: sessionId,
        model,
        api_calls: m.api_calls,
        unpriced_calls: m.cost_usd === null ? m.api_calls : 0, // a model is priced for all its calls or none
        input_tokens: m.input_tokens,
        output_tokens: m.output_tokens,
        cache_creation_tokens: m.cache_creation_tokens,
        cache_read_tokens: m.cache_read_tokens,
        cache_creation_1h_tokens: m.cache_1h_tokens,
        cost_usd: m.cost_usd ?? 0,
      });
    }
    for (const [id, use] of Object.entries(state.tool_uses)) toolUseRows.insert(sessionId, id, use);
    return summary.tool_calls;
  }
}

function snapshot(c: CallState): CallState {
  return { ...c, usage: { ...c.usage, cache_creation: { ...c.usage.cache_creation } } };
}

function callStateOf(r: TokenUsageRow): CallState {
  const usage: CallUsage = {
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cache_creation_input_tokens: r.cache_creation_tokens,
    cache_read_input_tokens: r.cache_read_tokens,
    cache_creation: { ephemeral_1h_input_tokens: r.cache_creation_1h_tokens },
  };
  return {
    message_id: r.message_id,
    request_id: r.request_id,
    model: r.model,
    timestamp: r.timestamp === '' ? null : r.timestamp,
    agent_id: r.agent_id,
    git_branch: r.git_branch,
    usage,
  };
}

function remember(cache: Map<string, { generation: number; live: LiveSession }>, sessionId: string, generation: number | undefined, live: LiveSession): void {
  if (generation === undefined) return;
  cache.set(sessionId, { generation, live });
  if (cache.size > CACHED_SESSIONS) cache.delete(cache.keys().next().value as string);
}
