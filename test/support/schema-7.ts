// A database as the worker before migration 0008 left it, made from one this worker wrote: what
// 0010 added (the outbox, its triggers, the replica id), the dashboard's rollups and their triggers, what 0012-0014 added (indexes, usage_sessions), and what 0009 added (the rollups, their triggers, an index) and the columns and indexes 0008 added dropped, the saved reading states put back in their version 1
// shape, user_version 7. And the schema (tables, columns, indexes) to check it against one built
// by migrations 0001-0007 themselves.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations } from '../../src/worker/db.ts';
import type { Sandbox } from '../helpers.ts';

/** What the migration `*_dashboard_rollups.sql` made: its triggers and tables (for a database taken back to an older schema). */
export function dropDashboardRollups(db: Database.Database): void {
  const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name GLOB 'branch_rollups_*' OR name GLOB 'tool_rollups_*' OR name GLOB 'limit_rollups_*')").pluck().all() as string[];
  db.exec([...triggers.map((t) => `DROP TRIGGER ${t};`), ...['branch_hours', 'branch_days', 'tool_hours', 'tool_days', 'limit_hours'].map((t) => `DROP TABLE IF EXISTS ${t};`)].join('\n'));
}

/**
 * What migrations 0012-0014 made (the covering time index, usage_sessions and its triggers, the
 * sessions_start index), undone: with dropDashboardRollups and the outbox's objects, a database
 * taken back to schema 9.
 */
export function dropReportIndexesAndSessionRollup(db: Database.Database): void {
  const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'usage_sessions_*'").pluck().all() as string[];
  db.exec([
    ...triggers.map((t) => `DROP TRIGGER ${t};`),
    'DROP TABLE IF EXISTS usage_sessions;',
    'DROP INDEX IF EXISTS sessions_start;',
    'DROP INDEX IF EXISTS idx_token_usage_timestamp;',
    'CREATE INDEX idx_token_usage_timestamp ON token_usage(timestamp);',
  ].join('\n'));
}

export function downgradeTo7(file: string): void {
  const db = new Database(file);
  try {
    const outboxTriggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sync_outbox_%'").pluck().all() as string[];
    dropDashboardRollups(db);
    dropReportIndexesAndSessionRollup(db);
    db.exec(`
      BEGIN;
      ${outboxTriggers.map((t) => `DROP TRIGGER ${t};`).join('\n      ')}
      DROP TABLE sync_outbox;
      DROP TABLE sync_replica;
      DROP TRIGGER usage_rollups_insert;
      DROP TRIGGER usage_rollups_delete;
      DROP TRIGGER usage_rollups_update_out;
      DROP TRIGGER usage_rollups_update_in;
      DROP TABLE usage_hours;
      DROP TABLE usage_days;
      DROP INDEX sessions_without_calls;
      DROP INDEX idx_tool_uses_time;
      DROP INDEX idx_tool_uses_name;
      ALTER TABLE tool_uses DROP COLUMN name;
      ALTER TABLE tool_uses DROP COLUMN used_at;
      ALTER TABLE tool_uses DROP COLUMN is_error;
      ALTER TABLE tool_uses DROP COLUMN agent_id;
      ALTER TABLE token_usage DROP COLUMN git_branch;
      ALTER TABLE sessions DROP COLUMN git_branch;
      ALTER TABLE transcript_reads DROP COLUMN reread;
      UPDATE transcript_reads SET state = json_set(json_remove(state, '$.state.tool_uses', '$.state.branch'),
        '$.state.v', 1, '$.state.tool_use_ids', json('{}'));
      PRAGMA user_version = 7;
      COMMIT;`);
  } finally {
    db.close();
  }
}

type Schema = Record<string, { columns: unknown[]; indexes: unknown[] }>;

export function schemaOf(file: string): Schema {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const out: Schema = {};
    for (const t of tables) {
      const indexes = (db.prepare(`PRAGMA index_list(${JSON.stringify(t)})`).all() as Array<{ name: string; unique: number; partial: number }>)
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((i) => ({ ...i, seq: undefined, columns: db.prepare(`PRAGMA index_info(${JSON.stringify(i.name)})`).all() }));
      out[t] = { columns: db.prepare(`PRAGMA table_info(${JSON.stringify(t)})`).all(), indexes };
    }
    return out;
  } finally {
    db.close();
  }
}

/** The schema migrations 0001..version give, built in the sandbox. */
export function schemaUpTo(sb: Sandbox, version: number): Schema {
  const file = path.join(sb.dir, `schema-${version}.db`);
  fs.rmSync(file, { force: true });
  const db = new Database(file);
  try {
    for (const m of loadMigrations().filter((x) => x.version <= version)) db.exec(m.sql);
  } finally {
    db.close();
  }
  return schemaOf(file);
}
