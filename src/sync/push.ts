// One push: this machine's changes after its cursor, applied to the team database in batches.
// Each batch is one PostgreSQL transaction that (1) locks this replica's row and reads its
// cursor, (2) reads the local outbox after that cursor, (3) upserts the rows' current absolute
// values (or marks deleted the rows that are gone) and (4) moves the cursor to the batch's last
// sequence number, then commits. Whatever fails (a lost acknowledgement, a killed connection, a
// killed pusher, a second pusher, a server restored from an older backup), the cursor and the
// rows move together, and the next push starts from the cursor the server holds: the rows
// converge to the local ones, each counted once (docs/TEAM.md, "Exactly once").
import type pg from 'pg';
import { centralDeleteSql, centralUpsertSql } from './tables.js';
import type { LocalOutbox } from './outbox.js';

export interface ReplicaIdentity {
  replicaId: string;
  machine: string;
  developer: string;
  clientVersion: string;
}

export interface PushResult {
  /** Rows (upserts and deletions) applied centrally by this push. */
  rows: number;
  batches: number;
  /** The server's cursor for this replica when the push ended. */
  cursor: number;
  /** The server's cursor was ahead of every local change (a local database restored from an older copy): pushed from 0. */
  restarted: boolean;
}

export interface PushOptions {
  /** Outbox entries per PostgreSQL transaction. */
  batchRows?: number;
  /** Called after each committed batch (tests kill the pusher between batches). */
  onBatch?: (cursor: number, rows: number) => void;
}

export const DEFAULT_BATCH_ROWS = 2000;

/** Pushes everything after the server's cursor; resolves when the server holds all of it. */
export async function pushChanges(client: pg.ClientBase, outbox: LocalOutbox, replica: ReplicaIdentity, options: PushOptions = {}): Promise<PushResult> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const result: PushResult = { rows: 0, batches: 0, cursor: 0, restarted: false };
  for (;;) {
    await client.query('BEGIN');
    let committed = false;
    try {
      // The row lock on this replica serialises pushers of the same database (two by mistake).
      const locked = await client.query<{ cursor: string }>(
        `INSERT INTO claude_metrics.replicas (replica_id, machine, developer, client_version) VALUES ($1, $2, $3, $4)
         ON CONFLICT (replica_id) DO UPDATE SET machine = excluded.machine, developer = excluded.developer, client_version = excluded.client_version
         RETURNING cursor`,
        [replica.replicaId, replica.machine, replica.developer, replica.clientVersion],
      );
      let cursor = Number(locked.rows[0]!.cursor);
      if (cursor > outbox.maxSeq()) {
        // The server has seen changes this database never made: it was restored from an older
        // copy. Every row is sent again from the start (absolute values: nothing doubles).
        cursor = 0;
        result.restarted = true;
      }
      const batch = outbox.readChanges(cursor, batchRows);
      let rows = 0;
      for (const t of batch.tables) {
        const identity = [replica.replicaId, replica.machine, replica.developer];
        if (t.upserts.length) rows += (await client.query(centralUpsertSql(t.table), [JSON.stringify(t.upserts), ...identity])).rowCount ?? 0;
        // A deleted row's mark counts whether or not the server had the row.
        if (t.deletes.length) {
          await client.query(centralDeleteSql(t.table), [JSON.stringify(t.deletes), ...identity]);
          rows += t.deletes.length;
        }
      }
      await client.query(
        `UPDATE claude_metrics.replicas SET cursor = $2, rows_applied = rows_applied + $3,
           last_push_at = CASE WHEN $3 > 0 THEN now() ELSE last_push_at END
         WHERE replica_id = $1`,
        [replica.replicaId, batch.lastSeq, rows],
      );
      await client.query('COMMIT');
      committed = true;
      result.cursor = batch.lastSeq;
      if (batch.count === 0) return result;
      result.rows += rows;
      result.batches++;
      options.onBatch?.(batch.lastSeq, rows);
      if (batch.count < batchRows) return result;
    } finally {
      // The error itself goes to the caller; a ROLLBACK on a connection that is gone fails too.
      if (!committed) await client.query('ROLLBACK').catch(() => undefined);
    }
  }
}
