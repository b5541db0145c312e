// Reading what Claude Code pipes on stdin, with a size cap and a time bound, for the commands it
// runs (the hook, the status line), and telling a terminal from a pipe cheaply. Small and
// dependency-free: both bundles load it on every run, so how it reads decides their start-up.
//
// Three ways in, chosen by what fd 0 is:
// - a regular file (`< payload.json`): fs.readSync, which never waits.
// - a socket (what Claude Code gives) or a FIFO: libuv's own pipe handle, read on the event loop,
//   so a time bound can end it. process.stdin would do the same through net.Socket and streams,
//   but loading them costs ~15 % of a Node start (bench section 1); the bare handle costs nothing
//   measurable. It comes from process.binding (deprecated, DEP0111, but present in Node 22 and 24):
//   if it is missing or refuses, we fall back to process.stdin, never fail.
// - anything else (a character device that is not a terminal, an odd descriptor): process.stdin.
// Never fs.read on the thread pool: a read blocked there keeps process.exit() from returning.
import fs from 'node:fs';

export interface BoundedStdinOptions {
  /** Stop reading once this many bytes have arrived (the result holds at most this many). */
  capBytes: number;
  /** Give up on a stdin that neither sends nor closes for this long. */
  timeoutMs: number;
}

type Done = (bytes: Buffer, timedOut: boolean) => void;
type Failed = (err: Error) => void;

/**
 * Reads stdin to its end, at most `capBytes`, giving up after `timeoutMs`; calls `done` once with
 * what arrived and whether the time bound ended it, or `failed` once on a read error.
 */
export function readBoundedStdin(options: BoundedStdinOptions, done: Done, failed: Failed): void {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.fstatSync(0);
  } catch {
    stat = undefined; // no fd 0: process.stdin reports it in its own words
  }
  if (stat?.isFile()) return readFileStdin(options.capBytes, stat.size, done, failed);
  const raw = stat && (stat.isSocket() || stat.isFIFO()) ? openRawStdin() : undefined;
  const collector = collectBounded(options, done, failed, () => raw?.stop());
  if (raw) raw.start(collector);
  else readStreamStdin(collector);
}

/** What a source feeds: chunks, then an end or an error; the time bound lives here, once. */
interface Collector {
  add(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
}

function collectBounded(options: BoundedStdinOptions, done: Done, failed: Failed, stop: () => void): Collector {
  const { capBytes, timeoutMs } = options;
  const chunks: Buffer[] = [];
  let total = 0;
  let finished = false;
  const settle = (): boolean => {
    if (finished) return false;
    finished = true;
    clearTimeout(timer);
    stop();
    return true;
  };
  const finish = (timedOut: boolean): void => {
    if (settle()) done(Buffer.concat(chunks, total).subarray(0, capBytes), timedOut);
  };
  // When the timer fires, give up only once stdin has stopped making progress: a process starved
  // of CPU may find its timer expired at its first loop turn while the whole payload (and EOF)
  // already waits on stdin. Timers run before I/O in each turn of the event loop, and a pipe's
  // data and its EOF may come in different turns, so each check runs after a poll phase
  // (setImmediate) and waits for two turns in a row that brought nothing.
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
  return {
    add(chunk) {
      if (finished) return;
      chunks.push(chunk);
      total += chunk.length;
      if (total >= capBytes) finish(false);
    },
    end: () => finish(false),
    error(err) {
      if (settle()) failed(err);
    },
  };
}

/** A regular file cannot block: read it in place, up to the cap, in a buffer of its size. */
function readFileStdin(capBytes: number, size: number, done: Done, failed: Failed): void {
  let buffer = Buffer.allocUnsafe(Math.min(capBytes, size + 1));
  let total = 0;
  try {
    for (;;) {
      if (total === buffer.length) {
        if (total >= capBytes) break;
        // The file grew since fstat: room for more, up to the cap.
        const bigger = Buffer.allocUnsafe(Math.min(capBytes, buffer.length * 2));
        buffer.copy(bigger, 0, 0, total);
        buffer = bigger;
      }
      const n = fs.readSync(0, buffer, total, buffer.length - total, null);
      if (n === 0) break;
      total += n;
    }
  } catch (err) {
    return failed(err as Error);
  }
  done(buffer.subarray(0, total), false);
}

function readStreamStdin(collector: Collector): void {
  const stdin = process.stdin;
  stdin.on('data', (chunk: Buffer) => collector.add(chunk));
  stdin.on('end', () => collector.end());
  stdin.on('error', (err) => collector.error(err));
}

/** The parts of libuv's pipe handle (node's pipe_wrap) that reading uses. */
interface PipeHandle {
  open(fd: number): number;
  readStart(): number;
  readStop(): number;
  close(): void;
  onread: (buffer: ArrayBuffer | undefined) => void;
}

interface RawStdin {
  start(collector: Collector): void;
  stop(): void;
}

type Binding = (name: string) => Record<string, unknown>;

/**
 * fd 0 opened as a bare libuv pipe handle, or undefined where this Node does not offer one (then
 * process.stdin reads it). A handle's read reports its byte count (or error) in stream_wrap's
 * shared streamBaseState, as net.Socket reads it.
 */
function openRawStdin(): RawStdin | undefined {
  const binding = (process as unknown as { binding?: Binding }).binding;
  if (typeof binding !== 'function') return undefined;
  // Under --pending-deprecation process.binding prints DEP0111 on stderr, which would be a stray
  // line in a hook's output: this one use is contained and has a fallback, so it stays quiet.
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  let handle: PipeHandle | undefined;
  try {
    const pipeWrap = binding('pipe_wrap') as { Pipe?: new (type: number) => PipeHandle; constants?: { SOCKET?: number } };
    const streamWrap = binding('stream_wrap') as { streamBaseState?: unknown; kReadBytesOrError?: unknown; kArrayBufferOffset?: unknown };
    const eof = binding('uv').UV_EOF;
    const state = streamWrap.streamBaseState;
    const nreadAt = streamWrap.kReadBytesOrError;
    const offsetAt = streamWrap.kArrayBufferOffset;
    const Pipe = pipeWrap.Pipe;
    const socketType = pipeWrap.constants?.SOCKET;
    if (typeof Pipe !== 'function' || typeof socketType !== 'number' || !(state instanceof Int32Array)) return undefined;
    if (typeof nreadAt !== 'number' || typeof offsetAt !== 'number' || typeof eof !== 'number') return undefined;
    handle = new Pipe(socketType);
    if (handle.open(0) !== 0) return void handle.close();
    const opened = handle;
    return {
      start(collector) {
        opened.onread = (buffer) => {
          const nread = state[nreadAt]!;
          if (nread > 0 && buffer) collector.add(Buffer.from(buffer, state[offsetAt]!, nread));
          else if (nread === eof) collector.end();
          else if (nread < 0) collector.error(readError(nread));
        };
        const status = opened.readStart();
        if (status !== 0) collector.error(readError(status));
      },
      stop() {
        opened.readStop();
        opened.close();
      },
    };
  } catch {
    // An internal that changed shape in some Node: close what was opened, and process.stdin reads.
    handle?.close();
    return undefined;
  } finally {
    process.noDeprecation = quiet;
  }
}

function readError(status: number): Error {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const name = (require('node:util') as typeof import('node:util')).getSystemErrorName(status);
  return Object.assign(new Error(`${name} reading stdin`), { code: name });
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
