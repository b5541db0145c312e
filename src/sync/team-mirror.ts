// The team database as the report and the dashboard read it: a connection as a reader (bounded
// waits, the schema checked, never migrated: a reader may not own the schema), a mirror
// (mirror.ts) in a private temporary folder (0700, the file 0600, removed when done or when the
// process exits), and for the dashboard the live mirror: one first pull that must succeed, then
// every 2 s the rows changed since, the machines' push state (claude_metrics.replicas), and what
// went wrong when a pull fails (the dashboard then shows its figures as stale). Errors are told
// without the URL's password.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { ReplicaRow, TeamInfo } from '../report/dashboard-types.js';
import { describeSyncError } from './sync-error.js';
import { type HighWater, type MirrorDb, type MirrorFilters, type ReportPull, checkCentralSchema, openMirror, pullCentral, pullForReport } from './mirror.js';
import { clientSettings, redactUrl } from './target.js';

/** A connection to the team database as a reader, its schema checked; throws what went wrong. */
export async function connectReader(url: string, onLost?: (err: Error) => void): Promise<pg.Client> {
  const client = new pg.Client({ ...clientSettings(url), application_name: 'claude-metrics reader' });
  // A connection ended under us (a restart, pg_terminate_backend) emits 'error' outside any query.
  client.on('error', (err) => onLost?.(err));
  try {
    await client.connect();
    await checkCentralSchema(client);
  } catch (err) {
    await client.end().catch(() => undefined); // the error that matters is err
    throw err;
  }
  return client;
}

/** A private folder for a mirror: 0700 under the system's temp folder, removed by `remove()` or at exit. */
export function privateTempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-metrics-team-'));
  fs.chmodSync(dir, 0o700);
  const remove = (): void => {
    process.off('exit', remove);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', remove);
  return { dir, remove };
}

export interface ReportMirror {
  db: MirrorDb;
  /** Rows pulled, and how long the pull took (ms). */
  rows: number;
  ms: number;
  close(): void;
}

/** A mirror filled for one report; closing it removes it. Throws (password-free messages via describeSyncError) on failure. */
export async function reportMirror(url: string, pull: ReportPull): Promise<ReportMirror> {
  const temp = privateTempDir();
  let db: MirrorDb | null = null;
  let client: pg.Client | null = null;
  try {
    const started = performance.now();
    db = openMirror(path.join(temp.dir, 'mirror.db'));
    client = await connectReader(url);
    const { upserts } = await pullForReport(client, db, pull);
    const opened = db;
    return {
      db: opened,
      rows: upserts,
      ms: performance.now() - started,
      close: () => {
        opened.close();
        temp.remove();
      },
    };
  } catch (err) {
    db?.close();
    temp.remove();
    throw err;
  } finally {
    await client?.end().catch(() => undefined); // done with it; a broken one has nothing left to end
  }
}

export interface LiveMirrorOptions {
  url: string;
  filters: MirrorFilters;
  /** Between the end of a pull and the next (default 2000). */
  intervalMs?: number;
  /** Where a failed pull is told (once per failure streak, and its recovery). */
  log: (message: string) => void;
}

const REPLICAS_SQL = `SELECT replica_id::text AS replica_id, machine, developer, cursor, rows_applied, created_at, last_push_at, client_version
  FROM claude_metrics.replicas
  WHERE (cardinality($1::text[]) = 0 OR developer = ANY($1::text[])) AND (cardinality($2::text[]) = 0 OR machine = ANY($2::text[]))
  ORDER BY developer, machine, replica_id`;

/**
 * The dashboard's mirror of the team database, kept up to date every 2 s. `start` makes the first
 * pull and throws when it fails (the dashboard then does not start); later failures only mark
 * the figures stale until a pull succeeds again.
 */
export class LiveMirror {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private highWater: HighWater | null = null;
  private readonly state: TeamInfo;

  private constructor(
    private readonly o: LiveMirrorOptions,
    readonly file: string,
    private readonly db: MirrorDb,
    private readonly temp: { dir: string; remove: () => void },
  ) {
    this.state = {
      postgres: redactUrl(o.url),
      developers: o.filters.developers,
      machines: o.filters.machines,
      interval_ms: o.intervalMs ?? 2000,
      last_pull_at: null,
      last_attempt_at: null,
      last_error: null,
      last_error_at: null,
      stale: false,
      pulls: 0,
      rows_pulled: 0,
      row_version: 0,
      replicas: [],
    };
  }

  static async start(o: LiveMirrorOptions): Promise<LiveMirror> {
    const temp = privateTempDir();
    const file = path.join(temp.dir, 'mirror.db');
    let db: MirrorDb;
    try {
      db = openMirror(file);
    } catch (err) {
      temp.remove();
      throw err;
    }
    const mirror = new LiveMirror(o, file, db, temp);
    try {
      await mirror.pullOnce();
    } catch (err) {
      await mirror.stop();
      throw err;
    }
    mirror.schedule();
    return mirror;
  }

  /** What the dashboard shows of the team database (a copy). */
  info(): TeamInfo {
    return { ...this.state, replicas: [...this.state.replicas] };
  }

  /** One pull now; throws its error (recorded in info() first). */
  async pullOnce(): Promise<void> {
    this.state.last_attempt_at = new Date().toISOString();
    try {
      if (!this.client) {
        const client: pg.Client = await connectReader(this.o.url, () => {
          if (this.client === client) this.client = null;
        });
        this.client = client;
      }
      const r = await pullCentral(this.client, this.db, { since: this.highWater, filters: this.o.filters });
      const replicas = await this.client.query<Record<string, unknown>>({ text: REPLICAS_SQL, values: [this.o.filters.developers, this.o.filters.machines] });
      this.highWater = r.highWater;
      const wasStale = this.state.stale;
      Object.assign(this.state, {
        last_pull_at: new Date().toISOString(),
        last_error: null,
        last_error_at: null,
        stale: false,
        pulls: this.state.pulls + 1,
        rows_pulled: this.state.rows_pulled + r.upserts + r.deletes,
        row_version: r.highWater.rowVersion,
        replicas: replicas.rows.map(replicaRow),
      });
      if (wasStale) this.o.log(`team database reachable again; figures up to date (${this.state.postgres})`);
    } catch (err) {
      const client = this.client;
      this.client = null;
      await client?.end().catch(() => undefined); // it may be what failed
      const first = !this.state.stale;
      Object.assign(this.state, { last_error: describeSyncError(err, this.o.url), last_error_at: new Date().toISOString(), stale: true });
      if (first && this.state.pulls > 0) this.o.log(`cannot pull from the team database (figures shown are stale until it answers): ${this.state.last_error}`);
      throw err;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.pullOnce()
        .catch(() => undefined) // recorded in the state, told once by pullOnce
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.state.interval_ms);
  }

  /** Stops pulling (after the pull under way), closes the mirror and removes its folder. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined); // closing: nothing left to do with a broken one
    this.db.close();
    this.temp.remove();
  }
}

function replicaRow(r: Record<string, unknown>): ReplicaRow {
  const time = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v));
  return {
    replica_id: String(r.replica_id),
    machine: String(r.machine),
    developer: String(r.developer),
    cursor: Number(r.cursor),
    rows_applied: Number(r.rows_applied),
    created_at: time(r.created_at),
    last_push_at: time(r.last_push_at),
    client_version: r.client_version === null || r.client_version === undefined ? null : String(r.client_version),
  };
}
