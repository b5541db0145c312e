// Reading the local outbox (migration 0010) for a push: this database's replica id, and the
// changes after a cursor in sequence order with each row as it is now (absent = deleted); the lag
// behind a cursor that status shows is sync-status.ts's. Reads only, each in one read
// transaction so that a batch is one consistent picture of the database; the pusher's own
// connection, never the worker's (whose batch transaction may be open across awaits).
import type Database from 'better-sqlite3';
import { SYNCED_TABLES, type SyncedTable, keyOf, localRowSql } from './tables.js';

export type Row = Record<string, unknown>;

export interface TableChanges {
  table: SyncedTable;
  upserts: Row[];
  deletes: Array<Record<string, string>>;
}

export interface ChangeBatch {
  /** The outbox entries read (each one row's latest change). */
  count: number;
  /** The highest sequence number in the batch: the cursor once it is applied. */
  lastSeq: number;
  tables: TableChanges[];
}

export interface LocalOutbox {
  replicaId(): string;
  /** The highest sequence number given out (0 for none). */
  maxSeq(): number;
  /** Up to `limit` changes after `cursor`, in sequence order. */
  readChanges(cursor: number, limit: number): ChangeBatch;
}

interface OutboxEntry {
  tbl: string;
  session_id: string;
  item: string;
  seq: number;
}

/** The outbox of an open connection (schema 10 or later). */
export function localOutbox(db: Database.Database): LocalOutbox {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < 10) throw new Error(`the database's schema is ${version}; the outbox needs 10 (run the worker once to migrate it)`);
  const replica = db.prepare('SELECT replica_id FROM sync_replica').pluck();
  const maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM sync_outbox').pluck();
  const entries = db.prepare('SELECT tbl, session_id, item, seq FROM sync_outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  const readers = new Map(
    SYNCED_TABLES.map((t) => {
      const sql = localRowSql(t);
      return [t.name, { table: t, byKey: db.prepare(sql.byKey), byRowId: sql.byRowId === null ? null : db.prepare(sql.byRowId) }] as const;
    }),
  );
  const readBatch = db.transaction((cursor: number, limit: number): ChangeBatch => {
    const list = entries.all(cursor, limit) as OutboxEntry[];
    const byTable = new Map<string, TableChanges>();
    for (const e of list) {
      const reader = readers.get(e.tbl);
      if (!reader) throw new Error(`outbox entry ${e.seq} names an unknown table ${JSON.stringify(e.tbl)}`);
      let changes = byTable.get(e.tbl);
      if (!changes) byTable.set(e.tbl, (changes = { table: reader.table, upserts: [], deletes: [] }));
      const row =
        reader.byRowId !== null && e.item.startsWith('row:')
          ? (reader.byRowId.get(e.session_id, Number(e.item.slice(4))) as Row | undefined)
          : reader.table.itemColumn === null
            ? (reader.byKey.get(e.session_id) as Row | undefined)
            : (reader.byKey.get(e.session_id, e.item) as Row | undefined);
      if (row) changes.upserts.push(row);
      else changes.deletes.push(keyOf(reader.table, e.session_id, e.item));
    }
    return { count: list.length, lastSeq: list.length ? list[list.length - 1]!.seq : cursor, tables: [...byTable.values()] };
  });
  return {
    replicaId: () => replica.get() as string,
    maxSeq: () => maxSeq.get() as number,
    // better-sqlite3's transaction() on a connection without writes is a BEGIN…COMMIT of reads.
    readChanges: (cursor, limit) => readBatch(cursor, limit),
  };
}
