// The tool_uses table's rows for one session's tool uses: looked up by key (a result read in a
// later Stop than its tool_use finds it there), inserted once per id, and given their is_error
// when the result comes later. Runs in the caller's transaction.
import type { Db } from './db.js';
import type { ToolUse } from './transcript-tools.js';

interface ToolUseRow {
  name: string | null;
  used_at: string | null;
  is_error: number | null;
  agent_id: string | null;
}

export interface ToolUseRows {
  load: (sessionId: string, id: string) => ToolUse | undefined;
  /** Inserts a tool use; false when its id was already there (then nothing changes). */
  insert: (sessionId: string, id: string, use: ToolUse) => boolean;
  /** Takes the is_error of a tool use saved before its result was read. */
  updateError: (sessionId: string, id: string, use: ToolUse) => void;
}

/** tool_uses.is_error: NULL until the result is read, then 1 or 0. */
const errorFlag = (use: ToolUse): number | null => (use.is_error === null ? null : use.is_error ? 1 : 0);

export function prepareToolUseRows(db: Db): ToolUseRows {
  const select = db.prepare('SELECT name, used_at, is_error, agent_id FROM tool_uses WHERE session_id = ? AND tool_use_id = ?');
  const insert = db.prepare(
    'INSERT OR IGNORE INTO tool_uses (session_id, tool_use_id, name, used_at, is_error, agent_id) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const update = db.prepare('UPDATE tool_uses SET is_error = ? WHERE session_id = ? AND tool_use_id = ?');
  return {
    load(sessionId, id) {
      const row = select.get(sessionId, id) as ToolUseRow | undefined;
      return row && { name: row.name, used_at: row.used_at, agent_id: row.agent_id, is_error: row.is_error === null ? null : row.is_error !== 0 };
    },
    insert: (sessionId, id, use) => insert.run(sessionId, id, use.name, use.used_at, errorFlag(use), use.agent_id).changes === 1,
    updateError: (sessionId, id, use) => void update.run(errorFlag(use), sessionId, id),
  };
}
