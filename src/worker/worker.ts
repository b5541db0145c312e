// The worker: drives batches through the pipeline, serially (p-queue, concurrency 1). It learns
// of payloads from chokidar (a hint), from a rescan timer (the truth), and at start from
// recovery; retries transient failures with backoff and jitter; stops cleanly on SIGINT/SIGTERM.
import fs from 'node:fs';
import type { FSWatcher } from 'chokidar';
import PQueue from 'p-queue';
import type { Logger } from '../shared/log.js';
import { type HeldLock, type LockState, acquireWorkerLock, probeWorkerLock } from '../shared/worker-lock.js';
import { PAYLOAD_FILE_RE, type SpoolDirs } from '../shared/spool-layout.js';
import { prepareApplyStatements } from './apply.js';
import { DEFAULT_PRICES, mergePriceOverrides, priceResolver } from './pricing.js';
import { type BatchContext, applyBatch, prepareSavepoints } from './batch.js';
import { type Db, openDatabase } from './db.js';
import { backoffDelayMs, classifyFailure, describeError } from './errors.js';
import { Claimer } from './claimer.js';
import { acknowledgePayloads, ensureSpool, listPayloads, recoverProcessing, sweepStaleTemps, unclaimPayload } from './spool.js';

export interface WorkerOptions {
  spoolDir: string;
  dbPath: string;
  drain: boolean;
  logger: Logger;
  batchSize?: number;
  rescanMs?: number;
  /** A JSON file of price overrides (see pricing.ts); null for the built-in table only. */
  pricesFile?: string | null;
  /** Called after each batch with the running totals and how many payloads are still queued. */
  onBatch?: (summary: Readonly<WorkerSummary>, queued: number) => void;
  /** Called once the database is open and migrated, before the first batch (the pusher starts here). */
  onReady?: () => void;
}

export interface WorkerSummary {
  applied: number;
  duplicates: number;
  deadLettered: number;
  retried: number;
  recovered: number;
}

const TEMP_MAX_AGE_MS = 60 * 60 * 1000;
/** Consecutive batch failures of an unexpected kind after which the worker gives up (exit 1). */
const MAX_UNEXPECTED_BATCH_FAILURES = 10;

export class FatalWorkerError extends Error {}

/** A watching worker already holds this spool's lock: this one must not start. */
export class WorkerAlreadyRunningError extends Error {
  constructor(readonly holder: LockState) {
    super(`another worker is already watching this spool${holder.pid ? ` (pid ${holder.pid}${holder.since ? `, since ${holder.since}` : ''})` : ''}`);
  }
}

/** How long a starting watcher keeps asking for the lock (a `status` probe holds it for an instant). */
const LOCK_ATTEMPTS = 5;
const LOCK_RETRY_MS = 100;

export class Worker {
  readonly summary: WorkerSummary = { applied: 0, duplicates: 0, deadLettered: 0, retried: 0, recovered: 0 };
  private readonly dirs: SpoolDirs;
  private readonly log: Logger;
  private readonly batchSize: number;
  private readonly rescanMs: number;
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly pending = new Set<string>();
  private readonly claimer: Claimer;
  /** A batch is between BEGIN and its last dead-letter move (it awaits the claimer thread). */
  private batchRunning = false;
  /** Deletes of committed payloads still under way (awaited before drain ends or close). */
  private readonly acknowledging = new Set<Promise<void>>();
  private db: Db | undefined;
  private lock: HeldLock | undefined;
  private ctx: BatchContext | undefined;
  private watcher: FSWatcher | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopping = false;
  private failures = 0;
  private unexpectedBatchFailures = 0;
  private finish!: (err?: unknown) => void;
  private readonly finished: Promise<void>;

  constructor(private readonly opts: WorkerOptions) {
    this.dirs = ensureSpool(opts.spoolDir);
    this.log = opts.logger;
    this.claimer = new Claimer(this.dirs, (err) => this.log.error('the claimer thread died; starting another', { error: describeError(err) }));
    this.batchSize = opts.batchSize ?? 1000;
    this.rescanMs = opts.rescanMs ?? 2000;
    this.finished = new Promise((resolve, reject) => {
      this.finish = (err) => (err === undefined ? resolve() : reject(err));
    });
  }

  /** Runs until drained (--drain) or stopped; rejects on a fatal error. */
  async run(): Promise<WorkerSummary> {
    if (!this.opts.drain) await this.takeLock();
    try {
      return await this.runLocked();
    } finally {
      await this.close();
    }
  }

  private async runLocked(): Promise<WorkerSummary> {
    // processing/ holds what a dead worker had claimed; a drain beside a live watcher leaves the
    // watcher's claims alone.
    const watcher = this.opts.drain ? this.probeWatcher() : undefined;
    if (!watcher?.running) this.summary.recovered = recoverProcessing(this.dirs);
    const swept = sweepStaleTemps(this.dirs, TEMP_MAX_AGE_MS);
    this.log.info('worker starting', {
      mode: this.opts.drain ? 'drain' : 'watch',
      pid: process.pid,
      spool: this.dirs.root,
      db: this.opts.dbPath,
      recovered: this.summary.recovered,
      stale_temps_removed: swept,
      ...(watcher?.running ? { watcher_pid: watcher.pid } : {}),
    });
    this.claimer.warmUp(); // boots beside the database's opening
    const priceFor = this.loadPrices();
    await this.openDatabaseWithRetry(priceFor);
    if (this.stopping) return this.summary;
    if (!this.opts.drain) await this.startWatching();
    const waiting = this.listIncoming(); // the directory, in name order, before any watcher event is trusted
    this.log.info('worker ready', { mode: this.opts.drain ? 'drain' : 'watch', waiting: waiting.length });
    this.opts.onReady?.();
    this.enqueue(waiting);
    await this.finished;
    return this.summary;
  }

  /** Finish the current transaction, then close: the rest stays queued in the spool. */
  stop(signal: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('worker stopping', { signal, pending: this.pending.size });
    this.finish();
  }

  private async takeLock(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let result: ReturnType<typeof acquireWorkerLock>;
      try {
        result = acquireWorkerLock(this.dirs.root);
      } catch (err) {
        // The lock file cannot even be made (a full or read-only spool disk). The lock only keeps
        // a second watcher out, which the spool protocol makes safe anyway: applying payloads,
        // and freeing their space, matters more.
        this.log.warn('cannot take the worker lock; running without it', { error: describeError(err) });
        return;
      }
      if ('held' in result) {
        this.lock = result.held;
        if (result.held.pidFileError) this.log.warn('cannot write worker.pid', { error: result.held.pidFileError });
        return;
      }
      if (attempt >= LOCK_ATTEMPTS) throw new WorkerAlreadyRunningError(result.holder);
      await new Promise((r) => setTimeout(r, LOCK_RETRY_MS));
    }
  }

  /**
   * Whether a watcher holds the spool. When the lock file cannot be read, say no: recovering
   * processing/ beside a live watcher is safe (a claim it loses is skipped, the ledger dedupes),
   * while leaving a dead worker's claims there would keep this drain waiting forever.
   */
  private probeWatcher(): LockState {
    try {
      return probeWorkerLock(this.dirs.root);
    } catch (err) {
      this.log.warn('cannot probe the worker lock; recovering processing/ all the same', { error: describeError(err) });
      return { running: false, pid: null, since: null };
    }
  }

  private loadPrices(): ReturnType<typeof priceResolver> {
    const file = this.opts.pricesFile;
    if (!file) return priceResolver(DEFAULT_PRICES);
    try {
      return priceResolver(mergePriceOverrides(DEFAULT_PRICES, JSON.parse(fs.readFileSync(file, 'utf8'))));
    } catch (err) {
      throw new FatalWorkerError(`price overrides ${file}: ${describeError(err)}`);
    }
  }

  private async openDatabaseWithRetry(priceFor: ReturnType<typeof priceResolver>): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        this.db = openDatabase(this.opts.dbPath);
        this.ctx = {
          db: this.db,
          dirs: this.dirs,
          statements: prepareApplyStatements(this.db, priceFor),
          savepoint: prepareSavepoints(this.db),
          unexpectedAttempts: new Map(),
          claimer: this.claimer,
          stopping: () => this.stopping,
        };
        return;
      } catch (err) {
        if (classifyFailure(err) !== 'transient') throw new FatalWorkerError(`cannot open database ${this.opts.dbPath}: ${describeError(err)}`);
        const delay = backoffDelayMs(attempt);
        this.summary.retried++;
        this.log.warn('database busy at start; retrying', { error: describeError(err), retry_in_ms: delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async startWatching(): Promise<void> {
    const { watch } = await import('chokidar');
    const incoming = this.dirs.incoming;
    // Every child is ignored: chokidar then keeps one watch on incoming/ itself instead of one per
    // file (a burst of thousands would cost thousands of inotify watches), and its raw events
    // name each file that arrives.
    this.watcher = watch(incoming, { ignored: (p) => p !== incoming, ignoreInitial: true, depth: 0, persistent: true });
    const watcher = this.watcher;
    watcher.on('raw', (_event, fileName) => {
      if (typeof fileName === 'string' && PAYLOAD_FILE_RE.test(fileName)) this.enqueue([fileName]);
      else if (!fileName) this.rescan();
    });
    watcher.on('error', (err) => {
      // The timer rescan keeps finding files; say so loudly rather than fail silently.
      this.log.error('watcher error; relying on the rescan timer', { error: describeError(err), rescan_ms: this.rescanMs });
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.rescanTimer = setInterval(() => this.rescan(), this.rescanMs);
  }

  /** Lists incoming/ and queues what is there. */
  private rescan(): void {
    this.enqueue(this.listIncoming());
  }

  /** The payloads in incoming/; recreates the folder (and the watch) if it was removed under us. */
  private listIncoming(): string[] {
    if (this.stopping) return [];
    try {
      return listPayloads(this.dirs.incoming);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.fail(err);
        return [];
      }
      this.log.warn('spool folder vanished; recreating it', { incoming: this.dirs.incoming });
      ensureSpool(this.dirs.root);
      if (this.watcher) void this.restartWatching();
      return [];
    }
  }

  private async restartWatching(): Promise<void> {
    const old = this.watcher;
    this.watcher = undefined;
    clearInterval(this.rescanTimer);
    try {
      await old?.close();
      if (!this.stopping) await this.startWatching();
    } catch (err) {
      this.fail(err);
    }
  }

  private enqueue(names: Iterable<string>): void {
    for (const name of names) this.pending.add(name); // a Set: a name queued twice is tried once
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping || this.scheduled || this.batchRunning || this.backoffTimer) return;
    if (this.pending.size === 0) {
      if (this.opts.drain) this.checkDrained();
      return;
    }
    this.scheduled = true;
    // A rejected add() would end the process: route every error to fail().
    this.queue.add(() => this.runBatch()).catch((err: unknown) => this.fail(err));
  }

  private async runBatch(): Promise<void> {
    this.scheduled = false;
    if (this.stopping || !this.ctx) return;
    this.batchRunning = true;
    try {
      await this.runOneBatch(this.ctx);
    } finally {
      this.batchRunning = false;
    }
    this.schedule();
  }

  private async runOneBatch(ctx: BatchContext): Promise<void> {
    const names = [...this.pending].sort().slice(0, this.batchSize);
    for (const name of names) this.pending.delete(name);
    let retryLater: string[] = [];
    let error: string | undefined;
    try {
      const started = performance.now();
      const result = await applyBatch(ctx, names);
      const batchMs = performance.now() - started;
      this.acknowledge(result.toAcknowledge);
      this.summary.applied += result.applied;
      this.summary.duplicates += result.duplicates;
      this.summary.deadLettered += result.deadLettered;
      retryLater = result.retryLater;
      for (const f of result.figureErrors) this.log.error('could not compute session figures', { session_id: f.sessionId, error: f.error });
      for (const d of result.deadLetters) this.log.warn('dead-lettered', { id: d.name.slice(0, -'.json'.length), reason: d.reason, dead: this.dirs.dead });
      if (result.claimed > 0) {
        const t = ctx.statements.figures.stats;
        // One line per batch (a watching worker's batch is usually one event; a drain's, up to --batch-size).
        this.log.info('batch applied', {
          ms: Number(batchMs.toFixed(3)),
          applied: result.applied,
          duplicates: result.duplicates,
          dead_lettered: result.deadLettered,
          transcript_bytes_read_total: t.bytesRead,
          transcript_restarts_total: t.restarts,
          transcript_files_skipped_total: t.filesSkipped,
        });
      }
      this.opts.onBatch?.(this.summary, this.pending.size);
      if (result.deadLetterError !== undefined) throw result.deadLetterError;
      this.failures = 0;
      this.unexpectedBatchFailures = 0;
    } catch (err) {
      const kind = classifyFailure(err);
      if (kind === 'fatal') throw new FatalWorkerError(describeError(err), { cause: err });
      if (kind === 'unexpected' && ++this.unexpectedBatchFailures >= MAX_UNEXPECTED_BATCH_FAILURES) {
        throw new FatalWorkerError(`batch failed ${this.unexpectedBatchFailures} times: ${describeError(err)}`, { cause: err });
      }
      retryLater = names;
      error = describeError(err);
    }
    if (retryLater.length > 0) {
      for (const name of retryLater) this.pending.add(name);
      this.summary.retried++;
      const delay = backoffDelayMs(this.failures++);
      this.log.warn('batch will be retried', { payloads: retryLater.length, retry_in_ms: delay, attempt: this.failures, error });
      this.backoffTimer = setTimeout(() => {
        this.backoffTimer = undefined;
        this.schedule();
      }, delay);
    }
  }

  /** Deletes committed payloads; one that cannot be deleted goes back to incoming/ (then a duplicate). */
  private acknowledge(names: string[]): void {
    if (names.length === 0) return;
    const done: Promise<void> = acknowledgePayloads(this.dirs, names)
      .then((failed) => {
        for (const [name, err] of failed) {
          this.log.warn('could not delete an applied payload; requeued as a duplicate', { name, error: describeError(err) });
          unclaimPayload(this.dirs, name);
        }
      })
      .catch((err: unknown) => this.fail(err))
      .finally(() => this.acknowledging.delete(done));
    this.acknowledging.add(done);
  }

  /** --drain ends when incoming/ and processing/ are both empty (another worker may hold some). */
  private checkDrained(): void {
    if (this.acknowledging.size > 0) {
      void Promise.all(this.acknowledging).then(() => this.schedule());
      return;
    }
    const incoming = listPayloads(this.dirs.incoming);
    if (incoming.length > 0) return this.enqueue(incoming);
    if (listPayloads(this.dirs.processing).length > 0) {
      this.backoffTimer = setTimeout(() => {
        this.backoffTimer = undefined;
        this.schedule();
      }, 20);
      return;
    }
    this.finish();
  }

  private fail(err: unknown): void {
    this.stopping = true;
    this.finish(err);
  }

  private async close(): Promise<WorkerSummary> {
    this.stopping = true;
    clearInterval(this.rescanTimer);
    clearTimeout(this.backoffTimer);
    await this.watcher?.close();
    await this.queue.onIdle();
    await this.claimer.close();
    await Promise.all(this.acknowledging);
    this.db?.close();
    this.db = undefined;
    this.lock?.release();
    this.lock = undefined;
    return this.summary;
  }
}
