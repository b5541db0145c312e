// The tables the team database holds, described once: for each, its natural key, its columns
// with their PostgreSQL types, how a local row is read for a push (times as SQLite reads them,
// numbers cast to what the central column takes), and the central SQL that upserts or marks
// deleted a batch of them. Pure: no connection here.

export type CentralType = 'text' | 'bigint' | 'double precision' | 'smallint' | 'timestamptz';

export interface SyncedTable {
  /** The local table's name, also the outbox's `tbl` and the central table's name. */
  name: string;
  /** The second key column after session_id (null for sessions: the session id alone). */
  itemColumn: string | null;
  /** The columns pushed, in order, with their central types (the key columns first). */
  columns: ReadonlyArray<readonly [string, CentralType]>;
}

const SESSION_FIGURES: ReadonlyArray<readonly [string, CentralType]> = [
  ['session_id', 'text'],
  ['start_time', 'timestamptz'],
  ['end_time', 'timestamptz'],
  ['total_cost_usd', 'double precision'],
  ['total_duration_ms', 'bigint'],
  ['total_api_duration_ms', 'bigint'],
  ['lines_added', 'bigint'],
  ['lines_removed', 'bigint'],
  ['commits', 'bigint'],
  ['tool_calls', 'bigint'],
  ['cwd', 'text'],
  ['transcript_path', 'text'],
  ['end_reason', 'text'],
  ['cost_source', 'text'],
  ['input_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['cache_creation_tokens', 'bigint'],
  ['cache_read_tokens', 'bigint'],
  ['api_calls', 'bigint'],
  ['cost_complete', 'smallint'],
  ['models', 'text'],
  ['reported_cost_usd', 'double precision'],
  ['reported_lines_added', 'bigint'],
  ['reported_lines_removed', 'bigint'],
  ['reported_source', 'text'],
  ['reported_at', 'timestamptz'],
  ['git_branch', 'text'],
];

export const SYNCED_TABLES: readonly SyncedTable[] = [
  { name: 'sessions', itemColumn: null, columns: SESSION_FIGURES },
  {
    name: 'token_usage',
    itemColumn: 'call_key',
    columns: [
      ['session_id', 'text'],
      ['call_key', 'text'],
      ['timestamp', 'timestamptz'],
      ['model', 'text'],
      ['input_tokens', 'bigint'],
      ['output_tokens', 'bigint'],
      ['cache_creation_tokens', 'bigint'],
      ['cache_read_tokens', 'bigint'],
      ['message_id', 'text'],
      ['request_id', 'text'],
      ['cache_creation_1h_tokens', 'bigint'],
      ['cost_usd', 'double precision'],
      ['agent_id', 'text'],
      ['git_branch', 'text'],
    ],
  },
  {
    name: 'session_models',
    itemColumn: 'model',
    columns: [
      ['session_id', 'text'],
      ['model', 'text'],
      ['api_calls', 'bigint'],
      ['unpriced_calls', 'bigint'],
      ['input_tokens', 'bigint'],
      ['output_tokens', 'bigint'],
      ['cache_creation_tokens', 'bigint'],
      ['cache_read_tokens', 'bigint'],
      ['cache_creation_1h_tokens', 'bigint'],
      ['cost_usd', 'double precision'],
    ],
  },
  {
    name: 'tool_uses',
    itemColumn: 'tool_use_id',
    columns: [
      ['session_id', 'text'],
      ['tool_use_id', 'text'],
      ['name', 'text'],
      ['used_at', 'timestamptz'],
      ['is_error', 'smallint'],
      ['agent_id', 'text'],
    ],
  },
  {
    name: 'statusline_samples',
    itemColumn: 'payload_id',
    columns: [
      ['session_id', 'text'],
      ['payload_id', 'text'],
      ['sampled_at', 'timestamptz'],
      ['model_id', 'text'],
      ['client_version', 'text'],
      ['total_cost_usd', 'double precision'],
      ['total_duration_ms', 'bigint'],
      ['total_api_duration_ms', 'bigint'],
      ['total_lines_added', 'bigint'],
      ['total_lines_removed', 'bigint'],
      ['context_window_size', 'bigint'],
      ['context_used_pct', 'double precision'],
      ['input_tokens', 'bigint'],
      ['output_tokens', 'bigint'],
      ['cache_creation_tokens', 'bigint'],
      ['cache_read_tokens', 'bigint'],
      ['five_hour_used_pct', 'double precision'],
      ['five_hour_resets_at', 'timestamptz'],
      ['seven_day_used_pct', 'double precision'],
      ['seven_day_resets_at', 'timestamptz'],
      ['cache_ttl', 'text'],
      ['cache_hit_ratio', 'double precision'],
    ],
  },
];

export function syncedTable(name: string): SyncedTable {
  const table = SYNCED_TABLES.find((t) => t.name === name);
  if (!table) throw new Error(`not a synced table: ${name}`);
  return table;
}

const quote = (column: string): string => (column === 'timestamp' ? '"timestamp"' : column);

/** A local column as the push reads it: times as SQLite understands them, numbers cast. */
function localExpression(column: string, type: CentralType, table: SyncedTable): string {
  if (table.name === 'token_usage' && column === 'call_key') return `COALESCE(call_key, 'row:' || id)`;
  const q = quote(column);
  switch (type) {
    case 'timestamptz':
      // SQLite's reading of the text (RFC 3339, or the old hook's naive UTC); unreadable → NULL.
      return `strftime('%Y-%m-%dT%H:%M:%fZ', ${q})`;
    case 'bigint':
    case 'smallint':
      return `CAST(${q} AS INTEGER)`;
    case 'double precision':
      return `CAST(${q} AS REAL)`;
    default:
      return q;
  }
}

/** The local SELECT of one row by its outbox key (session_id, item); `row:<id>` is an old-hook call. */
export function localRowSql(table: SyncedTable): { byKey: string; byRowId: string | null } {
  const select = `SELECT ${table.columns.map(([c, t]) => `${localExpression(c, t, table)} AS ${quote(c)}`).join(', ')} FROM ${table.name}`;
  if (table.itemColumn === null) return { byKey: `${select} WHERE session_id = ?`, byRowId: null };
  return {
    byKey: `${select} WHERE session_id = ? AND ${table.itemColumn} = ?`,
    byRowId: table.name === 'token_usage' ? `${select} WHERE session_id = ? AND id = ? AND call_key IS NULL` : null,
  };
}

function keyColumns(table: SyncedTable): string[] {
  return table.itemColumn === null ? ['session_id'] : ['session_id', table.itemColumn];
}

/**
 * Upserts a batch: $1 a JSON array of rows (objects by column name), $2 replica id, $3 machine,
 * $4 developer. Absolute values: applying the same batch twice leaves the same rows. A row
 * marked deleted comes back to life when its machine writes it again.
 */
export function centralUpsertSql(table: SyncedTable): string {
  const columns = table.columns.map(([c]) => quote(c));
  const recordType = table.columns.map(([c, t]) => `${quote(c)} ${t}`).join(', ');
  const keys = keyColumns(table);
  const updates = [...table.columns.map(([c]) => c).filter((c) => !keys.includes(c)), 'replica_id', 'machine', 'developer']
    .map((c) => `${quote(c)} = excluded.${quote(c)}`)
    .join(', ');
  return `INSERT INTO claude_metrics.${table.name} (${columns.join(', ')}, replica_id, machine, developer)
SELECT ${columns.map((c) => `r.${c}`).join(', ')}, $2::uuid, $3, $4 FROM jsonb_to_recordset($1::jsonb) AS r(${recordType})
ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${updates}, row_version = nextval('claude_metrics.row_versions'), deleted_at = NULL`;
}

/** Marks deleted the rows whose keys $1 (a JSON array of key objects) names; see centralUpsertSql for $2-$4. */
export function centralDeleteSql(table: SyncedTable): string {
  const keys = keyColumns(table);
  const recordType = keys.map((k) => `${k} text`).join(', ');
  return `UPDATE claude_metrics.${table.name} AS t SET deleted_at = now(), row_version = nextval('claude_metrics.row_versions'),
  replica_id = $2::uuid, machine = $3, developer = $4
FROM jsonb_to_recordset($1::jsonb) AS d(${recordType})
WHERE ${keys.map((k) => `t.${k} = d.${k}`).join(' AND ')} AND t.deleted_at IS NULL`;
}

/** The key object of an outbox entry, as centralDeleteSql takes it. */
export function keyOf(table: SyncedTable, sessionId: string, item: string): Record<string, string> {
  return table.itemColumn === null ? { session_id: sessionId } : { session_id: sessionId, [table.itemColumn]: item };
}
