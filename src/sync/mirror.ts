// The team database as a local SQLite mirror, so that `report --postgres` and `dashboard
// --postgres` answer the team with the very SQL they run on one machine's database: a SQLite file
// with the local schema (the worker's migrations, minus the outbox triggers of 0010, which have
// nothing to do there; the rollup triggers of 0009 stay and fill usage_hours/usage_days as calls
// come in), `developer` and `machine` columns on its sessions, filled from the central rows that
// are not marked deleted (`deleted_at IS NULL`), filtered by developer and machine when asked.
//
// pullCentral reads in one REPEATABLE READ, READ ONLY transaction (one consistent picture of the
// five tables) through server-side cursors (a team's year never sits in memory at once) and
// writes in one SQLite transaction (a reader sees a pull whole or not at all). The first pull
// takes every live row (or, for a report over a range, the calls in the range and the sessions,
// models, tool uses and samples that go with them); a later one only the rows whose row_version
// is above the high-water mark: changes are upserted, rows marked deleted (or no longer matching
// the filters) are deleted from the mirror.
//
// The high-water mark is not a bare row_version: row versions are taken from a sequence when a
// row is written, not when its transaction commits, so a pusher's transaction still open at the
// pull's snapshot may commit later rows with versions below ones already seen. The mark keeps the
// transactions in flight at the snapshot (pg_snapshot_xip); the next pull also takes the rows
// those wrote (`xmin`), and the floor below which nothing can still appear moves up once they
// have all ended. Nothing is ever missed and, in the steady state, nothing is read twice.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { BLOCK_MS, chainStart, parseUtc, prepareProbes } from '../report/blocks.js';
import type { ReportKind } from '../report/queries.js';
import { loadMigrations, migrate } from '../worker/db.js';
import { CentralSchemaError, centralSchemaVersion, loadCentralMigrations } from './central-schema.js';
import { SYNCED_TABLES, type SyncedTable } from './tables.js';

export type MirrorDb = Database.Database;

/** Which rows to mirror: those of these developers and machines (empty = all). */
export interface MirrorFilters {
  developers: string[];
  machines: string[];
}

export const NO_FILTERS: MirrorFilters = { developers: [], machines: [] };

/** How far a mirror has read; see the file's head. */
export interface HighWater {
  /** The highest row_version seen. */
  rowVersion: number;
  /** No row with a version at or below this can still appear: every transaction that could write one has ended. */
  floor: number;
  /** The transactions (xid8, as text) in flight at the last pull's snapshot. */
  inFlight: string[];
}

/** A first pull limited to a time range: RFC 3339 UTC bounds, [from, to), null = open. */
export interface PullRange {
  from: string | null;
  to: string | null;
}

export interface PullResult {
  highWater: HighWater;
  /** Rows written into the mirror (inserted or changed). */
  upserts: number;
  /** Rows deleted from it (marked deleted centrally, or no longer matching the filters). */
  deletes: number;
}

/** The order a pull reads the tables in (the sessions first, as the worker writes them). */
const TABLE_ORDER = ['sessions', 'session_models', 'token_usage', 'tool_uses', 'statusline_samples'];
const TABLES: SyncedTable[] = TABLE_ORDER.map((name) => SYNCED_TABLES.find((t) => t.name === name)!);

/** Rows per FETCH from a server-side cursor. */
const FETCH_ROWS = 5000;

const quote = (column: string): string => (column === 'timestamp' ? '"timestamp"' : column);

/**
 * A mirror file (or ':memory:'): the local schema by the worker's own migrations, without the
 * outbox triggers, with `developer` and `machine` on sessions. Created 0600. Synchronous off: a
 * mirror is rebuilt from the team database whenever it is lost.
 */
export function openMirror(file: string): MirrorDb {
  if (file !== ':memory:') fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('temp_store = MEMORY');
    // A range pull holds calls whose session row it did not take (and the reverse).
    db.pragma('foreign_keys = OFF');
    migrate(db, loadMigrations());
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'sync_outbox_*'").pluck().all() as string[];
    for (const name of triggers) db.exec(`DROP TRIGGER "${name}"`);
    db.exec(`ALTER TABLE sessions ADD COLUMN developer TEXT;
      ALTER TABLE sessions ADD COLUMN machine TEXT;
      CREATE INDEX mirror_sessions_developer ON sessions(developer, start_time);`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** The team database must have the schema this version reads: neither empty nor newer. */
export async function checkCentralSchema(client: pg.ClientBase): Promise<void> {
  const version = await centralSchemaVersion(client);
  const known = loadCentralMigrations().length;
  if (version === 0) throw new CentralSchemaError('the team database has no claude-metrics schema yet: nothing was ever pushed to it (claude-metrics sync --postgres URL --once)');
  if (version > known) throw new CentralSchemaError(`the team database's schema is version ${version}, newer than this claude-metrics knows (${known}): upgrade claude-metrics`);
}

/** Query parameters, numbered as they are added. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function filterSql(alias: string, f: MirrorFilters, p: Params): string[] {
  const out: string[] = [];
  if (f.developers.length) out.push(`${alias}.developer = ANY(${p.add(f.developers)}::text[])`);
  if (f.machines.length) out.push(`${alias}.machine = ANY(${p.add(f.machines)}::text[])`);
  return out;
}

function timeRangeSql(column: string, r: PullRange, p: Params): string[] {
  const out: string[] = [];
  if (r.from !== null) out.push(`${column} >= ${p.add(r.from)}::timestamptz`);
  if (r.to !== null) out.push(`${column} < ${p.add(r.to)}::timestamptz`);
  return out;
}

const and = (parts: string[]): string => (parts.length ? parts.join(' AND ') : 'true');

/** The sessions a range pull takes: those that started in it (by their end when they have no start), and those with a call in it. */
function rangeSessionsSql(r: PullRange, f: MirrorFilters, p: Params): string {
  const started = and(timeRangeSql('s.start_time', r, p));
  const ended = and(timeRangeSql('s.end_time', r, p));
  const calls = and(['u.deleted_at IS NULL', ...filterSql('u', f, p), ...timeRangeSql('u."timestamp"', r, p)]);
  return `SELECT s.session_id FROM claude_metrics.sessions s WHERE ${and(['s.deleted_at IS NULL', ...filterSql('s', f, p)])}
      AND ((${started}) OR (s.start_time IS NULL AND ${ended}))
    UNION SELECT u.session_id FROM claude_metrics.token_usage u WHERE ${calls}`;
}

/** Which rows of a table a first pull over a range takes. */
function rangeSql(t: SyncedTable, r: PullRange, f: MirrorFilters, p: Params): string {
  if (t.name === 'token_usage') return and(timeRangeSql('t."timestamp"', r, p));
  const sessions = `t.session_id IN (${rangeSessionsSql(r, f, p)})`;
  if (t.name === 'statusline_samples') return `(${sessions} OR (${and(timeRangeSql('t.sampled_at', r, p))}))`;
  return sessions;
}

/** Row versions a later pull takes: above the mark, and those written by the transactions in flight at the last one. */
function changedSql(hw: HighWater, p: Params): string {
  if (hw.inFlight.length === 0) return `t.row_version > ${p.add(hw.rowVersion)}::bigint`;
  // xmin is a 32-bit xid: the low half of the xid8 the snapshot names.
  const xids = hw.inFlight.map((x) => String(BigInt(x) & 0xffffffffn));
  return `t.row_version > ${p.add(hw.floor)}::bigint AND (t.row_version > ${p.add(hw.rowVersion)}::bigint OR t.xmin = ANY(${p.add(xids)}::xid[]))`;
}

/** The columns a pull reads: the table's, then who wrote it, whether it is marked deleted, its version. */
function selectList(t: SyncedTable): string {
  return [...t.columns.map(([c]) => `t.${quote(c)}`), 't.machine', 't.developer', 't.deleted_at IS NOT NULL', 't.row_version'].join(', ');
}

/** PostgreSQL's text of a timestamptz in UTC with DateStyle ISO (set for the pull): '2026-11-23 19:40:31.123+00'. */
const PG_UTC = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

/**
 * bigint as a number (every count, token figure and version fits in 2^53); timestamptz as the
 * local text form, RFC 3339 UTC with milliseconds (what Date#toISOString writes), by rewriting
 * the server's ISO text (a Date for each of a team's million times costs ~1 s), through a Date
 * for anything else (years past 9999, BC).
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    if (oid === pg.types.builtins.TIMESTAMPTZ) {
      const parse = pg.types.getTypeParser(oid, 'text') as (v: string) => Date;
      return (v: string) => {
        const m = PG_UTC.exec(v);
        if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
        const d = parse(v);
        return Number.isNaN(d.getTime()) ? null : d.toISOString();
      };
    }
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Migration 0009's own backfill of the rollups from token_usage: its two INSERT … SELECT statements. */
function rollupBackfill(): string[] {
  const sql = loadMigrations().find((m) => m.version === 9)!.sql;
  const statements = sql.match(/^INSERT INTO usage_(?:hours|days)\b[\s\S]*?;$/gm) ?? [];
  if (statements.length !== 2) throw new Error('migration 0009 no longer holds its two backfill statements (src/sync/mirror.ts reads them)');
  return statements;
}

interface TableWriter {
  upsert: Database.Statement;
  remove: Database.Statement;
  /** The mirror's values from a central row (its first columns). */
  values: (row: unknown[]) => unknown[];
}

function writerFor(db: MirrorDb, t: SyncedTable): TableWriter {
  const cols = t.columns.map(([c]) => c);
  const keys = t.itemColumn === null ? ['session_id'] : ['session_id', t.itemColumn];
  const extra = t.name === 'sessions' ? ['developer', 'machine'] : [];
  const all = [...cols, ...extra];
  // statusline_samples is unique on payload_id alone locally.
  const conflict = t.name === 'statusline_samples' ? ['payload_id'] : keys;
  const updates = all.filter((c) => !conflict.includes(c)).map((c) => `${quote(c)} = excluded.${quote(c)}`);
  const upsert = db.prepare(`INSERT INTO ${t.name} (${all.map(quote).join(', ')}) VALUES (${all.map(() => '?').join(', ')})
    ON CONFLICT (${conflict.join(', ')}) DO UPDATE SET ${updates.join(', ')}`);
  const remove = db.prepare(`DELETE FROM ${t.name} WHERE ${keys.map((k) => `${k} = ?`).join(' AND ')}`);
  const n = cols.length;
  // A call's or sample's time is NOT NULL locally; the central row has none where the local text
  // was unreadable. '' keeps the row (the session's detail counts it) out of every time range,
  // as the local reports leave out a time SQLite cannot read.
  const notNullTime = t.name === 'token_usage' ? cols.indexOf('timestamp') : t.name === 'statusline_samples' ? cols.indexOf('sampled_at') : -1;
  return {
    upsert,
    remove,
    values: (row) => {
      const v = row.slice(0, n);
      if (notNullTime >= 0 && v[notNullTime] === null) v[notNullTime] = '';
      if (extra.length) v.push(row[n + 1], row[n]); // developer, machine
      return v;
    },
  };
}

export interface PullOptions {
  /** The mark of the last pull into this mirror; null for a first pull (every live row). */
  since?: HighWater | null;
  filters?: MirrorFilters;
  /** A first pull only: the calls in this range and what goes with them. */
  range?: PullRange | null;
  /** Only these tables (a report's blocks reach further back for calls only). */
  tables?: string[];
}

/**
 * One pull from the team database into the mirror; returns the new high-water mark. Uses the
 * client's connection for its transaction (a caller's own transaction must not be open).
 */
export async function pullCentral(client: pg.ClientBase, db: MirrorDb, options: PullOptions = {}): Promise<PullResult> {
  const since = options.since ?? null;
  const filters = options.filters ?? NO_FILTERS;
  const range = since === null ? (options.range ?? null) : null;
  const tables = TABLES.filter((t) => options.tables === undefined || options.tables.includes(t.name));
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  // Times as PG_UTC expects them.
  await client.query("SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO'");
  let upserts = 0;
  let deletes = 0;
  let maxVersion = since?.rowVersion ?? 0;
  let open = true;
  try {
    // The first query fixes the transaction's snapshot: what was in flight at it, and whether
    // the last pull's in-flight transactions have all ended before it.
    const snap = (
      await client.query<{ xip: string[]; settled: boolean }>(
        `SELECT ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) x) AS xip,
           COALESCE((SELECT bool_and(pg_visible_in_snapshot(x::xid8, pg_current_snapshot())) FROM unnest($1::text[]) x), true) AS settled`,
        [since?.inFlight ?? []],
      )
    ).rows[0]!;
    const writers = new Map(tables.map((t) => [t.name, writerFor(db, t)]));
    // Each chunk is written as it comes (reading everything first would hold a team's year in
    // memory), all in one SQLite transaction: a reader of the mirror sees the pull whole or not at all.
    db.exec('BEGIN IMMEDIATE');
    try {
      // Calls into an empty mirror: the rollups are filled afterwards as migration 0009 filled them
      // from the calls before it (one GROUP BY, ~2 s less for 200,000 calls than the insert
      // trigger's two upserts a call), and the trigger is put back for every later write.
      const bulk = tables.some((t) => t.name === 'token_usage') && db.prepare('SELECT (SELECT count(*) FROM token_usage) + (SELECT count(*) FROM usage_hours)').pluck().get() === 0;
      const trigger = bulk ? (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'usage_rollups_insert'").pluck().get() as string) : null;
      if (trigger) db.exec('DROP TRIGGER usage_rollups_insert');
      for (const t of tables) {
        const w = writers.get(t.name)!;
        const n = t.columns.length;
        const p = new Params();
        const where =
          since === null
            ? and(['t.deleted_at IS NULL', ...filterSql('t', filters, p), ...(range ? [rangeSql(t, range, filters, p)] : [])])
            : and([changedSql(since, p), ...filterSql('t', filters, p)]);
        // A first pull in key order: the mirror's indexes then grow at their end (a shuffled
        // insert of 200,000 calls takes twice as long).
        const order = since === null ? ` ORDER BY t.session_id${t.itemColumn === null ? '' : `, t.${t.itemColumn}`}` : '';
        await client.query(`DECLARE mirror_${t.name} NO SCROLL CURSOR FOR SELECT ${selectList(t)} FROM claude_metrics.${t.name} t WHERE ${where}${order}`, p.values);
        const fetch = () => client.query<unknown[]>({ text: `FETCH ${FETCH_ROWS} FROM mirror_${t.name}`, rowMode: 'array', types: TYPES });
        // The server reads the next chunk while this one is written (a failure is thrown by the await).
        const ahead = () => {
          const q = fetch();
          q.catch(() => undefined);
          return q;
        };
        let next = ahead();
        for (;;) {
          const r = await next;
          if (r.rows.length === FETCH_ROWS) next = ahead();
          for (const row of r.rows) {
            const version = row[n + 3] as number;
            if (version > maxVersion) maxVersion = version;
            if (row[n + 2] === true) {
              w.remove.run(...keyOf(t, row));
              deletes++;
            } else {
              w.upsert.run(...w.values(row));
              upserts++;
            }
          }
          if (r.rows.length < FETCH_ROWS) break;
        }
        await client.query(`CLOSE mirror_${t.name}`);
        // A changed row that no longer matches the filters (its machine pushed under another
        // name) leaves the mirror: its key only.
        if (since !== null && (filters.developers.length || filters.machines.length)) {
          const q = new Params();
          const keys = t.itemColumn === null ? 't.session_id' : `t.session_id, t.${t.itemColumn}`;
          const match = and(filterSql('t', filters, q));
          const r = await client.query<unknown[]>({
            text: `SELECT ${keys}, t.row_version FROM claude_metrics.${t.name} t WHERE ${changedSql(since, q)} AND NOT (${match})`,
            values: q.values,
            rowMode: 'array',
            types: TYPES,
          });
          for (const row of r.rows) {
            const version = row.at(-1) as number;
            if (version > maxVersion) maxVersion = version;
            deletes += w.remove.run(...row.slice(0, -1)).changes;
          }
        }
      }
      if (trigger) {
        for (const statement of rollupBackfill()) db.exec(statement);
        db.exec(trigger);
      }
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
    // A read-only transaction: its end changes nothing of what was read.
    await client.query('COMMIT');
    open = false;
    // The floor moves up to the last mark once every transaction in flight then has ended.
    const floor = since === null ? 0 : snap.settled ? since.rowVersion : since.floor;
    return { highWater: { rowVersion: maxVersion, floor, inFlight: snap.xip }, upserts, deletes };
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    if (open) await client.query('ROLLBACK').catch(() => undefined); // the connection may be what failed
  }
}

function keyOf(t: SyncedTable, row: unknown[]): unknown[] {
  if (t.itemColumn === null) return [row[0]];
  return [row[0], row[t.columns.findIndex(([c]) => c === t.itemColumn)]];
}

/**
 * The tables each report kind reads (src/report): only those cross the wire. The usage reports
 * read the calls and the sessions (working folder, developer, the old hook's sessions without
 * calls), the session report the sessions and their per-model sums, the blocks the calls and the
 * status line's samples (official limits). No report reads tool uses.
 */
export const REPORT_TABLES: Record<ReportKind, string[]> = {
  daily: ['sessions', 'token_usage'],
  weekly: ['sessions', 'token_usage'],
  monthly: ['sessions', 'token_usage'],
  model: ['sessions', 'token_usage'],
  project: ['sessions', 'token_usage'],
  developer: ['sessions', 'token_usage'],
  session: ['sessions', 'session_models'],
  blocks: ['token_usage', 'statusline_samples'],
};

/** A report's range pull: the local days asked for, as UTC instants, with slack. */
export interface ReportPull {
  kind: ReportKind;
  filters: MirrorFilters;
  /** The report's UTC bounds (null = open). */
  fromMs: number | null;
  toMs: number | null;
}

const DAY_MS = 86_400_000;
/** How far back the blocks report's chain is followed before the range (beyond: blocks start there). */
export const MAX_CHAIN_LOOKBACK_MS = 64 * DAY_MS;

/**
 * Fills a fresh mirror for one report with the tables its kind reads (REPORT_TABLES): every
 * (filtered) row when the range is open, else the calls from a day before it to a day after it
 * (local days of any zone lie within) and the sessions, models and samples that go with them
 * (sessions started in the range, or with a call in it); for the blocks report, calls further
 * back (1, 2, 4… days, up to MAX_CHAIN_LOOKBACK_MS) until the range's first block chain starts
 * after a gap of 5 hours inside what was pulled.
 */
export async function pullForReport(client: pg.ClientBase, db: MirrorDb, o: ReportPull): Promise<{ upserts: number }> {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const range = o.fromMs === null && o.toMs === null ? null : { from: o.fromMs === null ? null : iso(o.fromMs - DAY_MS), to: o.toMs === null ? null : iso(o.toMs + DAY_MS) };
  let { upserts } = await pullCentral(client, db, { filters: o.filters, range, tables: REPORT_TABLES[o.kind] });
  if (o.kind === 'blocks' && o.fromMs !== null) {
    let lo = o.fromMs - DAY_MS;
    let step = DAY_MS;
    const probes = prepareProbes(db);
    while (o.fromMs - lo < MAX_CHAIN_LOOKBACK_MS) {
      const first = chainStart(probes, o.fromMs - 1);
      // The chain's first call has no call in the 5 h before it among those pulled: if those 5 h lie within what was pulled, it is its real start.
      if (first === undefined || parseUtc(first) - BLOCK_MS >= lo) break;
      const next = Math.max(lo - step, o.fromMs - MAX_CHAIN_LOOKBACK_MS);
      upserts += (await pullCentral(client, db, { filters: o.filters, range: { from: iso(next), to: iso(lo) }, tables: ['token_usage'] })).upserts;
      lo = next;
      step *= 2;
    }
  }
  return { upserts };
}
