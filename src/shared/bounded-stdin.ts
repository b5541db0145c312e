// Reading what Claude Code pipes on stdin, with a size cap and a time bound, for the commands it
// runs (the hook, the status line), and telling a terminal from a pipe cheaply. Small and
// dependency-free: both bundles load it on every run.
import fs from 'node:fs';

export interface BoundedStdinOptions {
  /** Stop reading once this many bytes have arrived (the result holds at most this many). */
  capBytes: number;
  /** Give up on a stdin that neither sends nor closes for this long. */
  timeoutMs: number;
}

/**
 * Reads stdin to its end, at most `capBytes`, giving up after `timeoutMs`; calls `done` once with
 * what arrived and whether the time bound ended it, or `failed` once on a read error. It uses
 * process.stdin (an event-loop stream for pipes and sockets), not fs.read on fd 0: a read blocked
 * in libuv's thread pool would keep process.exit() from returning when stdin never closes.
 */
export function readBoundedStdin(
  options: BoundedStdinOptions,
  done: (bytes: Buffer, timedOut: boolean) => void,
  failed: (err: Error) => void,
): void {
  const { capBytes, timeoutMs } = options;
  const chunks: Buffer[] = [];
  let total = 0;
  let finished = false;
  const finish = (timedOut: boolean): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(Buffer.concat(chunks, total).subarray(0, capBytes), timedOut);
  };
  // When the timer fires, give up only once stdin has stopped making progress: a process starved
  // of CPU may find its timer expired at its first loop turn while the whole payload (and EOF)
  // already waits on stdin. Timers run before I/O in each turn of the event loop, and Node 24
  // delivers a pipe's data and its EOF in different turns (Node 22 in one), so each check runs
  // after a poll phase (setImmediate) and waits for two turns in a row that brought nothing.
  const IDLE_TURNS = 2;
  const giveUpWhenIdle = (seen: number, idle: number): void => {
    if (finished) return;
    if (total !== seen) return void setImmediate(() => giveUpWhenIdle(total, 0));
    if (idle + 1 >= IDLE_TURNS) return finish(true);
    setImmediate(() => giveUpWhenIdle(seen, idle + 1));
  };
  const timer = setTimeout(() => {
    const seen = total;
    setImmediate(() => giveUpWhenIdle(seen, 0));
  }, timeoutMs);
  const stdin = process.stdin;
  stdin.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= capBytes) finish(false);
  });
  stdin.on('end', () => finish(false));
  stdin.on('error', (err) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    failed(err);
  });
}

/** Whether `fd` is a terminal; node:tty is loaded only for a character device (a terminal or /dev/null), never for a pipe. */
export function isTerminal(fd: number): boolean {
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch {
    return false; // no such descriptor: reading or writing it reports the problem
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return stat.isCharacterDevice() && (require('node:tty') as typeof import('node:tty')).isatty(fd);
}
