// The pusher: keeps this machine's team database up to date, beside the watching worker (which
// tells it of each committed batch) or alone (`claude-metrics sync`). It owns its own read-only
// connection to the local database and one PostgreSQL connection; it pushes at most 200 ms after
// a local change (what commits meanwhile goes in the same push), checks every few seconds
// otherwise, and when the server is unreachable or refuses, records the error (sync-state.ts),
// retries with backoff and jitter, and never touches the local pipeline. Opened, used and closed
// by the caller.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Logger } from '../shared/log.js';
import { migrateCentral } from './central-schema.js';
import { type LocalOutbox, localOutbox } from './outbox.js';
import { type PushResult, pushChanges } from './push.js';
import { type SyncState, readSyncState, writeSyncState } from './sync-state.js';
import { describeSyncError } from './sync-error.js';
import { type SyncTarget, clientSettings } from './target.js';

export interface PusherOptions {
  target: SyncTarget;
  dbFile: string;
  clientVersion: string;
  log: Logger;
  /**
   * After a local change, push within this long: the changes committed meanwhile go in the same
   * push. A push already due is never put back, so changes that keep coming (a batch every 100 ms)
   * are pushed every settleMs rather than when they stop.
   */
  settleMs?: number;
  /** Without a change, look again this often (and ask the server for its cursor at most once a minute). */
  pollMs?: number;
  batchRows?: number;
  /** Writes the state file (sync-state.ts); off for a `--once` run that only prints. */
  writeState?: boolean;
}

const MAX_BACKOFF_MS = 60_000;
const VERIFY_MS = 60_000;

export class Pusher {
  private client: pg.Client | null = null;
  private db: Database.Database | null = null;
  private outbox: LocalOutbox | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (Date.now() ms). */
  private timerDue = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastVerifiedAt = 0;
  readonly state: SyncState;

  constructor(private readonly opts: PusherOptions) {
    this.state = {
      target: opts.target.shown,
      replica_id: null,
      machine: opts.target.machine,
      developer: opts.target.developer,
      acked_seq: 0,
      last_success_at: null,
      last_attempt_at: null,
      last_error: null,
      last_error_at: null,
      consecutive_failures: 0,
      pid: process.pid,
    };
    // What an earlier pusher of this database recorded for the same server goes on (a failure
    // now must not make status forget the last success).
    const previous = this.readPreviousState();
    if (previous && previous.target === opts.target.shown) {
      const { acked_seq, last_success_at, last_error, last_error_at, consecutive_failures } = previous;
      Object.assign(this.state, { acked_seq, last_success_at, last_error, last_error_at, consecutive_failures });
    }
  }

  private readPreviousState(): SyncState | null {
    if (this.opts.writeState === false) return null;
    try {
      return readSyncState(this.opts.dbFile);
    } catch (err) {
      this.opts.log.warn('the sync state file cannot be read; starting a new one', { error: (err as Error).message });
      return null;
    }
  }

  /** Starts the loop: a first push at once, then on notify() and every pollMs. */
  start(): void {
    this.schedule(0);
  }

  /** Local changes committed: push them within settleMs (with whatever else commits until then). */
  notify(): void {
    if (this.state.consecutive_failures === 0) this.scheduleWithin(this.opts.settleMs ?? 200);
  }

  /** One push of everything now (connects, migrates the team database when behind); throws its error. */
  async pushNow(): Promise<PushResult> {
    this.state.last_attempt_at = new Date().toISOString();
    try {
      const outbox = this.openLocal();
      const client = await this.connect();
      const replica = { replicaId: outbox.replicaId(), machine: this.opts.target.machine, developer: this.opts.target.developer, clientVersion: this.opts.clientVersion };
      const started = performance.now();
      const result = await pushChanges(client, outbox, replica, { batchRows: this.opts.batchRows });
      this.lastVerifiedAt = Date.now();
      const wasFailing = this.state.consecutive_failures > 0;
      Object.assign(this.state, { acked_seq: result.cursor, last_success_at: new Date().toISOString(), last_error: null, last_error_at: null, consecutive_failures: 0 });
      if (wasFailing) this.opts.log.info('sync recovered', { target: this.opts.target.shown });
      if (result.rows > 0 || result.restarted) {
        this.opts.log.info('sync pushed', { rows: result.rows, batches: result.batches, cursor: result.cursor, ms: Math.round(performance.now() - started), ...(result.restarted ? { restarted: true } : {}) });
      }
      this.saveState();
      return result;
    } catch (err) {
      await this.dropConnection();
      Object.assign(this.state, {
        last_error: describeSyncError(err, this.opts.target.url),
        last_error_at: new Date().toISOString(),
        consecutive_failures: this.state.consecutive_failures + 1,
      });
      this.saveState();
      throw err;
    }
  }

  /** Stops the loop after the push under way (its transaction commits or rolls back), then closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.dropConnection();
    this.db?.close();
    this.db = null;
    this.outbox = null;
  }

  /** Arms the timer for delayMs from now, replacing whatever was armed. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) {
        // A push is under way: look again when it ends.
        void this.running.then(() => this.schedule(0));
        return;
      }
      this.running = this.tick().finally(() => {
        this.running = null;
      });
    }, delayMs);
  }

  /** Arms the timer for delayMs from now at the latest: a timer armed to fire sooner is kept. */
  private scheduleWithin(delayMs: number): void {
    if (this.timer && this.timerDue <= Date.now() + delayMs) return;
    this.schedule(delayMs);
  }

  private async tick(): Promise<void> {
    try {
      // Nothing new since the last push, and the server's cursor confirmed lately: no round trip.
      if (this.outbox && this.state.consecutive_failures === 0 && this.outbox.maxSeq() === this.state.acked_seq && Date.now() - this.lastVerifiedAt < VERIFY_MS) {
        this.scheduleWithin(this.opts.pollMs ?? 5000);
        return;
      }
      await this.pushNow();
      // A change committed during the push (notify() armed the timer) is pushed next, not at the next poll.
      this.scheduleWithin(this.opts.pollMs ?? 5000);
    } catch {
      // pushNow recorded the error in this.state; the loop only waits and tries again.
      const n = this.state.consecutive_failures;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(n - 1, 16)) * (0.5 + Math.random() / 2);
      this.opts.log.warn('sync failed', { target: this.opts.target.shown, error: this.state.last_error, failures: n, retry_in_ms: Math.round(delay) });
      this.schedule(delay);
    }
  }

  private openLocal(): LocalOutbox {
    if (this.outbox) return this.outbox;
    const db = new Database(this.opts.dbFile, { readonly: true, fileMustExist: true, timeout: 1000 });
    try {
      this.outbox = localOutbox(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    this.state.replica_id = this.outbox.replicaId();
    return this.outbox;
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client(clientSettings(this.opts.target.url));
    // A connection ended under us (a restart, pg_terminate_backend) emits 'error' outside any
    // query: noted, and the next push connects again.
    client.on('error', (err) => {
      this.opts.log.debug('sync connection lost', { error: describeSyncError(err, this.opts.target.url) });
      if (this.client === client) this.client = null;
    });
    try {
      await client.connect();
      await migrateCentral(client);
    } catch (err) {
      await client.end().catch(() => undefined); // the error that matters is err
      throw err;
    }
    this.client = client;
    return client;
  }

  private async dropConnection(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined); // already broken: ending it can only fail the same way
  }

  private saveState(): void {
    if (this.opts.writeState === false) return;
    try {
      writeSyncState(this.opts.dbFile, this.state);
    } catch (err) {
      this.opts.log.warn('could not write the sync state file', { error: (err as Error).message });
    }
  }
}
