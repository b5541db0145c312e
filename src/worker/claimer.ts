// The claim step's main-thread side: hands chunks of names to the claimer thread
// (claimer-thread.ts, built as dist/claimer.js) and gives back what it claimed and read.
// Requests are answered in the order they were made; the thread starts on first use and again
// after it dies.
import { Worker as Thread } from 'node:worker_threads';
import type { SpoolDirs } from '../shared/spool-layout.js';

export interface ClaimRequest {
  names: string[];
}

export type ClaimedFile =
  /** Claimed and read: its bytes are `reply.bytes[start, end)`. */
  | { name: string; kind: 'bytes'; start: number; end: number }
  /** Claimed, but never to be applied (not a regular file, too large): dead-letter it. */
  | { name: string; kind: 'rejected'; reason: string }
  /** Claimed, then gone before its read (a concurrent worker's recovery took it back). */
  | { name: string; kind: 'gone' }
  /** Not claimed: the rename found nothing (another worker won it, or a stale hint). */
  | { name: string; kind: 'lost' };

export interface ClaimReply {
  /** One entry per name, in order, up to the error if there was one. */
  files: ClaimedFile[];
  bytes: ArrayBuffer;
  /** The claim or read that failed; the names after it were not touched. */
  error?: { name: string; claimed: boolean; code: string | undefined; message: string };
}

/** The claimed file's bytes (a view on the reply's buffer, not a copy). */
export function bytesOf(reply: ClaimReply, file: { start: number; end: number }): Buffer {
  return Buffer.from(reply.bytes, file.start, file.end - file.start);
}

/** The reply's error as the errno-style Error the failure classes expect (code kept). */
export function claimError(error: NonNullable<ClaimReply['error']>): NodeJS.ErrnoException {
  return Object.assign(new Error(`claiming ${error.name}: ${error.message}`), error.code ? { code: error.code } : {});
}

export class Claimer {
  private thread: Thread | undefined;
  /** Requests in flight, oldest first (the thread answers in order). */
  private readonly waiting: Array<{ resolve: (reply: ClaimReply) => void; reject: (err: Error) => void }> = [];

  /**
   * `onDeath` hears every unplanned end of the thread (requests in flight are also rejected).
   * `entry` is the thread's script: dist/claimer.js beside this bundle (tests pass their own).
   */
  constructor(
    private readonly dirs: SpoolDirs,
    private readonly onDeath: (err: Error) => void,
    private readonly entry: URL = new URL('./claimer.js', import.meta.url),
  ) {}

  /** Starts the thread now (it takes tens of milliseconds to boot), so the first claim need not wait. */
  warmUp(): void {
    this.thread ??= this.startThread();
  }

  /** Claims and reads `names`, in order, on the claimer thread. */
  claim(names: string[]): Promise<ClaimReply> {
    const thread = this.thread ?? this.startThread();
    return new Promise<ClaimReply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      thread.postMessage({ names } satisfies ClaimRequest);
    });
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    this.rejectWaiting(new Error('the claimer was closed with a request in flight'));
    await thread?.terminate();
  }

  private startThread(): Thread {
    const thread = new Thread(this.entry, { workerData: { dirs: this.dirs } });
    thread.on('message', (reply: ClaimReply) => this.waiting.shift()?.resolve(reply));
    const died = (err: Error): void => {
      if (this.thread !== thread) return; // closed on purpose, or already reported
      this.thread = undefined;
      this.onDeath(err);
      this.rejectWaiting(err);
    };
    thread.on('error', died);
    thread.on('exit', (code) => died(new Error(`the claimer thread exited (code ${code})`)));
    this.thread = thread;
    return thread;
  }

  private rejectWaiting(err: Error): void {
    for (const waiting of this.waiting.splice(0)) waiting.reject(err);
  }
}
