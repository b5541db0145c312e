// The sessions row's transcript figures: tokens, calls, cost and the per-model JSON summed from the
// session's running totals in session_models (one row per model, so a Stop never sums its calls),
// with the accumulator's tool calls, commits, lines, branch and times. Runs in the caller's transaction.
import type { Db } from './db.js';
import type { TranscriptState } from './transcript.js';

interface ModelRow {
  model: string;
  api_calls: number;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cache_creation_1h_tokens: number;
  cost_usd: number;
}

/** sessions.models: model id → its figures (cost null when some call of it has no price). */
type ModelsJson = Record<string, { api_calls: number; cost_usd: number | null; input_tokens: number; output_tokens: number; cache_creation_tokens: number; cache_read_tokens: number; cache_1h_tokens: number }>;

export function prepareSessionRow(db: Db): (sessionId: string, state: TranscriptState, toolCalls: number) => void {
  const modelRows = db.prepare('SELECT * FROM session_models WHERE session_id = ? AND api_calls > 0 ORDER BY model');
  const updateSession = db.prepare(`
    UPDATE sessions SET
      input_tokens = @input_tokens, output_tokens = @output_tokens,
      cache_creation_tokens = @cache_creation_tokens, cache_read_tokens = @cache_read_tokens,
      api_calls = @api_calls, total_cost_usd = @cost_usd, cost_complete = @cost_complete, models = @models,
      tool_calls = @tool_calls, commits = @commits, lines_added = @lines_added, lines_removed = @lines_removed,
      git_branch = @git_branch, start_time = COALESCE(@start_time, start_time), end_time = COALESCE(@end_time, end_time),
      cost_source = 'transcript'
    WHERE session_id = @session_id`);

  return (sessionId, state, toolCalls) => {
    const models: ModelsJson = {};
    const total = { api_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, cost_usd: 0, unpriced: 0 };
    for (const m of modelRows.all(sessionId) as ModelRow[]) {
      models[m.model] = {
        api_calls: m.api_calls,
        cost_usd: m.unpriced_calls > 0 ? null : m.cost_usd,
        input_tokens: m.input_tokens,
        output_tokens: m.output_tokens,
        cache_creation_tokens: m.cache_creation_tokens,
        cache_read_tokens: m.cache_read_tokens,
        cache_1h_tokens: m.cache_creation_1h_tokens,
      };
      total.api_calls += m.api_calls;
      total.input_tokens += m.input_tokens;
      total.output_tokens += m.output_tokens;
      total.cache_creation_tokens += m.cache_creation_tokens;
      total.cache_read_tokens += m.cache_read_tokens;
      total.cost_usd += m.cost_usd;
      total.unpriced += m.unpriced_calls;
    }
    updateSession.run({
      session_id: sessionId,
      input_tokens: total.input_tokens,
      output_tokens: total.output_tokens,
      cache_creation_tokens: total.cache_creation_tokens,
      cache_read_tokens: total.cache_read_tokens,
      api_calls: total.api_calls,
      cost_usd: total.cost_usd,
      cost_complete: total.unpriced > 0 ? 0 : 1,
      models: JSON.stringify(models),
      tool_calls: toolCalls,
      commits: state.commits,
      lines_added: state.lines_added,
      lines_removed: state.lines_removed,
      start_time: state.start_time,
      end_time: state.end_time,
      git_branch: state.branch?.name ?? null,
    });
  };
}
