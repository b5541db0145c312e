// Session figures: recomputes a session's cost, tokens, tool calls, commits, lines and times from
// its transcripts (read incrementally by transcript-reader.ts, summed by transcript.ts) and writes
// them, with one token_usage row per API call, inside the caller's transaction.
import type { Db } from './db.js';
import type { ModelPrices } from './pricing.js';
import { type ReadOutcome, type SessionReadState, emptyReadState, readSessionTranscripts } from './transcript-reader.js';
import { type CallState, type TranscriptState, summarizeTranscript } from './transcript.js';

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
  call_key: string;
  message_id: string | null;
  request_id: string | null;
  model: string | null;
  timestamp: string | null;
  agent_id: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cache_creation_1h_tokens: number;
}

/**
 * The saved state leaves out the calls (they can be many: one per API call of the session); the
 * token_usage rows are their saved form, and a state is rebuilt from both when not in memory.
 */
function persistable(saved: SessionReadState): string {
  return JSON.stringify({ files: saved.files, state: { ...saved.state, calls: {} } });
}

export function prepareFigureStatements(db: Db, priceFor: PriceFor): FigureStatements {
  const loadGeneration = db.prepare('SELECT generation FROM transcript_reads WHERE session_id = ?').pluck();
  const loadState = db.prepare('SELECT state, generation FROM transcript_reads WHERE session_id = ?');
  const loadCalls = db.prepare(`
    SELECT call_key, message_id, request_id, model, timestamp, agent_id, input_tokens, output_tokens,
           cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens
    FROM token_usage WHERE session_id = ? AND call_key IS NOT NULL`);
  const saveState = db.prepare(`
    INSERT INTO transcript_reads (session_id, state, generation, updated_at) VALUES (?, ?, 1, ?)
    ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, generation = generation + 1, updated_at = excluded.updated_at
    RETURNING generation`).pluck();
  const updateSession = db.prepare(`
    UPDATE sessions SET
      input_tokens = @input_tokens, output_tokens = @output_tokens,
      cache_creation_tokens = @cache_creation_tokens, cache_read_tokens = @cache_read_tokens,
      api_calls = @api_calls, total_cost_usd = @cost_usd, cost_complete = @cost_complete, models = @models,
      tool_calls = @tool_calls, commits = @commits, lines_added = @lines_added, lines_removed = @lines_removed,
      start_time = COALESCE(@start_time, start_time), end_time = COALESCE(@end_time, end_time),
      cost_source = 'transcript'
    WHERE session_id = @session_id`);
  const deleteCalls = db.prepare('DELETE FROM token_usage WHERE session_id = ? AND call_key IS NOT NULL');
  const upsertCall = db.prepare(`
    INSERT INTO token_usage (session_id, call_key, timestamp, model, input_tokens, output_tokens, cache_creation_tokens,
      cache_read_tokens, message_id, request_id, cache_creation_1h_tokens, cost_usd, agent_id)
    VALUES (@session_id, @key, @timestamp, @model, @input_tokens, @output_tokens, @cache_creation_tokens,
      @cache_read_tokens, @message_id, @request_id, @cache_1h_tokens, @cost_usd, @agent_id)
    ON CONFLICT (session_id, call_key) DO UPDATE SET
      timestamp = excluded.timestamp, model = excluded.model, input_tokens = excluded.input_tokens,
      output_tokens = excluded.output_tokens, cache_creation_tokens = excluded.cache_creation_tokens,
      cache_read_tokens = excluded.cache_read_tokens, cache_creation_1h_tokens = excluded.cache_creation_1h_tokens,
      cost_usd = excluded.cost_usd, agent_id = excluded.agent_id, message_id = excluded.message_id,
      request_id = excluded.request_id`);

  // sessionId → the state as of `generation` (valid while the database still has that generation).
  const cache = new Map<string, { generation: number; saved: SessionReadState }>();

  const load = (sessionId: string): { saved: SessionReadState; fromCache: boolean } => {
    const cached = cache.get(sessionId);
    if (cached && cached.generation === (loadGeneration.get(sessionId) as number | undefined)) {
      return { saved: cached.saved, fromCache: true };
    }
    const row = loadState.get(sessionId) as { state: string; generation: number } | undefined;
    if (!row) return { saved: emptyReadState(), fromCache: false };
    const saved = JSON.parse(row.state) as SessionReadState;
    saved.state.calls = rebuildCalls(loadCalls.all(sessionId) as TokenUsageRow[]);
    return { saved, fromCache: false };
  };

  const stats: TranscriptReadStats = { bytesRead: 0, restarts: 0, filesSkipped: 0 };
  return {
    stats,
    recompute(sessionId, transcriptPath) {
      const { saved } = load(sessionId);
      // The accumulator is updated in place: if this transaction rolls back, the cached copy would
      // be ahead of the database, so the cache entry is dropped until the new generation is known.
      cache.delete(sessionId);
      const touched = new Set<string>();
      const outcome = readSessionTranscripts(saved, transcriptPath, sessionId, touched);
      stats.bytesRead += outcome.bytesRead;
      stats.restarts += outcome.restarted ? 1 : 0;
      stats.filesSkipped += outcome.skipped.length;
      if (!outcome.changed) {
        remember(cache, sessionId, loadGeneration.get(sessionId) as number | undefined, saved);
        return outcome;
      }
      const summary = summarizeTranscript(saved.state, priceFor);
      updateSession.run({
        session_id: sessionId,
        input_tokens: summary.input_tokens,
        output_tokens: summary.output_tokens,
        cache_creation_tokens: summary.cache_creation_tokens,
        cache_read_tokens: summary.cache_read_tokens,
        api_calls: summary.api_calls,
        cost_usd: summary.cost_usd,
        cost_complete: summary.cost_complete ? 1 : 0,
        models: JSON.stringify(summary.models),
        tool_calls: summary.tool_calls,
        commits: summary.commits,
        lines_added: summary.lines_added,
        lines_removed: summary.lines_removed,
        start_time: summary.start_time,
        end_time: summary.end_time,
      });
      // Only the calls this read created or changed are written; after a restart (a file replaced
      // or shrunk) every row is rebuilt, since calls may have gone.
      if (outcome.restarted) deleteCalls.run(sessionId);
      for (const call of summary.calls) {
        if (!outcome.restarted && !touched.has(call.key)) continue;
        upsertCall.run({ session_id: sessionId, ...call, timestamp: call.timestamp ?? summary.start_time ?? '' });
      }
      const generation = saveState.get(sessionId, persistable(saved), new Date().toISOString()) as number;
      remember(cache, sessionId, generation, saved);
      return outcome;
    },
  };
}

function remember(
  cache: Map<string, { generation: number; saved: SessionReadState }>,
  sessionId: string,
  generation: number | undefined,
  saved: SessionReadState,
): void {
  if (generation === undefined) return;
  cache.set(sessionId, { generation, saved });
  if (cache.size > CACHED_SESSIONS) cache.delete(cache.keys().next().value as string);
}

function rebuildCalls(rows: TokenUsageRow[]): TranscriptState['calls'] {
  const calls: Record<string, CallState> = Object.create(null) as Record<string, CallState>;
  for (const r of rows) {
    calls[r.call_key] = {
      message_id: r.message_id,
      request_id: r.request_id,
      model: r.model,
      timestamp: r.timestamp === '' ? null : r.timestamp,
      agent_id: r.agent_id,
      usage: {
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        cache_creation_input_tokens: r.cache_creation_tokens,
        cache_read_input_tokens: r.cache_read_tokens,
        cache_creation: { ephemeral_1h_input_tokens: r.cache_creation_1h_tokens },
      },
    };
  }
  return calls;
}
