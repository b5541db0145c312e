// Session figures: recomputes a session's cost, tokens, tool calls, commits, lines and times from
// its transcripts (read incrementally by transcript-reader.ts, summed by transcript.ts) and writes
// them, with one token_usage row per API call, inside the caller's transaction.
import type { Db } from './db.js';
import type { ModelPrices } from './pricing.js';
import { type ReadOutcome, type SessionReadState, emptyReadState, readSessionTranscripts } from './transcript-reader.js';
import { summarizeTranscript } from './transcript.js';

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

export function prepareFigureStatements(db: Db, priceFor: PriceFor): FigureStatements {
  const loadState = db.prepare('SELECT state FROM transcript_reads WHERE session_id = ?').pluck();
  const saveState = db.prepare(
    'INSERT INTO transcript_reads (session_id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
  );
  const updateSession = db.prepare(`
    UPDATE sessions SET
      input_tokens = @input_tokens, output_tokens = @output_tokens,
      cache_creation_tokens = @cache_creation_tokens, cache_read_tokens = @cache_read_tokens,
      api_calls = @api_calls, total_cost_usd = @cost_usd, cost_complete = @cost_complete, models = @models,
      tool_calls = @tool_calls, commits = @commits, lines_added = @lines_added, lines_removed = @lines_removed,
      start_time = COALESCE(@start_time, start_time), end_time = COALESCE(@end_time, end_time),
      cost_source = 'transcript'
    WHERE session_id = @session_id`);
  const deleteCalls = db.prepare('DELETE FROM token_usage WHERE session_id = ? AND message_id IS NOT NULL');
  const upsertCall = db.prepare(`
    INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens,
      cache_read_tokens, message_id, request_id, cache_creation_1h_tokens, cost_usd, agent_id)
    VALUES (@session_id, @timestamp, @model, @input_tokens, @output_tokens, @cache_creation_tokens,
      @cache_read_tokens, @message_id, @request_id, @cache_1h_tokens, @cost_usd, @agent_id)
    ON CONFLICT (session_id, message_id, request_id) DO UPDATE SET
      timestamp = excluded.timestamp, model = excluded.model, input_tokens = excluded.input_tokens,
      output_tokens = excluded.output_tokens, cache_creation_tokens = excluded.cache_creation_tokens,
      cache_read_tokens = excluded.cache_read_tokens, cache_creation_1h_tokens = excluded.cache_creation_1h_tokens,
      cost_usd = excluded.cost_usd, agent_id = excluded.agent_id`);

  const stats: TranscriptReadStats = { bytesRead: 0, restarts: 0, filesSkipped: 0 };
  return {
    stats,
    recompute(sessionId, transcriptPath) {
      const raw = loadState.get(sessionId) as string | undefined;
      const saved: SessionReadState = raw ? (JSON.parse(raw) as SessionReadState) : emptyReadState();
      const outcome = readSessionTranscripts(saved, transcriptPath, sessionId);
      stats.bytesRead += outcome.bytesRead;
      stats.restarts += outcome.restarted ? 1 : 0;
      stats.filesSkipped += outcome.skipped.length;
      if (!outcome.changed) return outcome;
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
      // A restart (file replaced or shrunk) may drop calls: rebuild the rows from scratch then.
      if (outcome.restarted) deleteCalls.run(sessionId);
      for (const call of summary.calls) {
        upsertCall.run({ session_id: sessionId, ...call, timestamp: call.timestamp ?? summary.start_time ?? '' });
      }
      saveState.run(sessionId, JSON.stringify(saved), new Date().toISOString());
      return outcome;
    },
  };
}
