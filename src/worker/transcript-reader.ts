// Read transcripts: the I/O half of the transcript step. Finds a session's files (its main
// transcript and <session>/subagents/*.jsonl), reads only the bytes added since the last read,
// and feeds complete lines to the pure accumulator in transcript.ts. Never holds a whole file.
import fs from 'node:fs';
import path from 'node:path';
import { type LineSource, type TranscriptState, applyTranscriptLine, countOversizeLine, createTranscriptState } from './transcript.js';

/** Lines longer than this are skipped (and counted): no real transcript line comes near it. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const { O_RDONLY, O_NONBLOCK } = fs.constants;

/** Where reading of one file stopped: the file's identity and the offset after the last complete line. */
export interface FileProgress {
  dev: number;
  ino: number;
  offset: number;
  /** True while inside a line longer than MAX_LINE_BYTES that is being skipped. */
  skipping?: boolean;
}

/** A session's saved reading state: the accumulator plus per-file progress. JSON-serialisable. */
export interface SessionReadState {
  state: TranscriptState;
  files: Record<string, FileProgress>;
}

export interface ReadOutcome {
  /** True when any file gained bytes, shrank or was replaced (the figures may have changed). */
  changed: boolean;
  bytesRead: number;
  /** Files that could not be read, and why (missing, not a regular file, …): not failures. */
  skipped: Array<{ file: string; reason: string }>;
  /**
   * True when the session was read again from the start: some file shrank or was replaced, or
   * `fromStart` was asked and every file read before is still there.
   */
  restarted: boolean;
}

export interface ReadOptions {
  /** Receives the key of every call the new lines created or updated. */
  touched?: Set<string>;
  /**
   * Read every file again from the start (a fresh accumulator), but only when every file read
   * before is still there: a session whose transcript or one of its subagents' files is gone
   * keeps its saved state and reads on from it (what is gone could not be read again).
   */
  fromStart?: boolean;
}

export function emptyReadState(): SessionReadState {
  return { state: createTranscriptState(), files: {} };
}

/** The session's transcript files: the main one, then its subagents' (sorted). */
export function sessionFiles(transcriptPath: string, sessionId: string): Array<{ file: string; agentId: string | null }> {
  const files: Array<{ file: string; agentId: string | null }> = [{ file: transcriptPath, agentId: null }];
  const subagents = path.join(path.dirname(transcriptPath), sessionId, 'subagents');
  let names: string[] = [];
  try {
    // Most sessions have no subagents: check without throwing (an ENOENT error per Stop is costly).
    if (fs.statSync(subagents, { throwIfNoEntry: false })?.isDirectory()) {
      names = fs.readdirSync(subagents).filter((n) => n.endsWith('.jsonl')).sort();
    }
  } catch (err) {
    // A path through a regular file, a loop, a name too long or with a NUL: no subagents to read.
    if (isResourceShortage(err)) throw err;
  }
  for (const name of names) {
    const agentId = /^agent-(.+)\.jsonl$/.exec(name)?.[1] ?? name.replace(/\.jsonl$/, '');
    files.push({ file: path.join(subagents, name), agentId });
  }
  return files;
}

/** Whether a session can be read again from the start: it was read before, and every file it read is still there. */
export function canReadAgain(saved: SessionReadState, present: ReadonlySet<string>): boolean {
  const files = Object.keys(saved.files);
  return files.length > 0 && files.every((f) => present.has(f));
}

/**
 * Brings `saved` up to date with the files on disk, reading only new bytes. When a file shrank or
 * was replaced (other device/inode), the whole session is read again from a fresh state, since
 * the accumulator cannot take lines back; likewise when `fromStart` is asked and possible.
 */
export function readSessionTranscripts(
  saved: SessionReadState,
  transcriptPath: string,
  sessionId: string,
  { touched, fromStart = false }: ReadOptions = {},
): ReadOutcome {
  const outcome: ReadOutcome = { changed: false, bytesRead: 0, skipped: [], restarted: false };
  const files = sessionFiles(transcriptPath, sessionId);
  const opened = new Map<string, { fd: number; size: number; dev: number; ino: number }>();
  try {
    for (const { file } of files) {
      const result = openRegular(file);
      if (typeof result === 'string') {
        outcome.skipped.push({ file, reason: result });
        continue;
      }
      opened.set(file, result);
      const progress = saved.files[file];
      if (progress && (progress.dev !== result.dev || progress.ino !== result.ino || result.size < progress.offset)) {
        outcome.restarted = true;
      }
    }
    if (fromStart && canReadAgain(saved, new Set(opened.keys()))) outcome.restarted = true;
    if (outcome.restarted) {
      saved.state = createTranscriptState();
      saved.files = {};
      outcome.changed = true;
    }
    for (const { file, agentId } of files) {
      const f = opened.get(file);
      if (!f) continue;
      const progress = saved.files[file] ?? { dev: f.dev, ino: f.ino, offset: 0 };
      saved.files[file] = progress;
      if (f.size <= progress.offset) continue;
      const read = readNewLines(f.fd, f.size, progress, saved.state, { agentId, touched });
      outcome.bytesRead += read;
      if (read > 0) outcome.changed = true;
    }
  } finally {
    for (const { fd } of opened.values()) fs.closeSync(fd);
  }
  return outcome;
}

/** Errors that say "try again later" rather than "this file cannot be read". */
function isResourceShortage(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM' || code === 'EIO';
}

/** Opens a regular file without blocking (a FIFO or device must not hang us); a reason string if not. */
function openRegular(file: string): { fd: number; size: number; dev: number; ino: number } | string {
  let fd: number;
  try {
    if (!fs.statSync(file, { throwIfNoEntry: false })) return 'missing';
    fd = fs.openSync(file, O_RDONLY | O_NONBLOCK);
  } catch (err) {
    // Unreadable is not a failure (ENOTDIR, ELOOP, EACCES, ENAMETOOLONG, a NUL in the path…),
    // but running out of file descriptors or memory is: the batch is retried later.
    if (isResourceShortage(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    return `cannot open (${code ?? (err as Error).message})`;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      fs.closeSync(fd);
      return 'not a regular file';
    }
    return { fd, size: st.size, dev: st.dev, ino: st.ino };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/**
 * Reads [progress.offset, size) in chunks, applying each complete line; a final line without its
 * newline is left for the next read. Returns the bytes consumed.
 */
function readNewLines(fd: number, size: number, progress: FileProgress, state: TranscriptState, source: LineSource): number {
  const start = progress.offset;
  let pos = start;
  let carry: Buffer = Buffer.alloc(0);
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  while (pos + carry.length < size) {
    const want = Math.min(CHUNK_BYTES, size - pos - carry.length);
    const n = fs.readSync(fd, chunk, 0, want, pos + carry.length);
    if (n === 0) break; // the file shrank while we read: the next read restarts it
    let data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let lineStart = 0;
    for (let nl = data.indexOf(10, lineStart); nl !== -1; nl = data.indexOf(10, lineStart)) {
      if (progress.skipping) progress.skipping = false; // the end of an oversize line
      else applyTranscriptLine(state, data.toString('utf8', lineStart, nl), source);
      lineStart = nl + 1;
    }
    pos += lineStart;
    data = data.subarray(lineStart);
    if (data.length > MAX_LINE_BYTES || (progress.skipping && data.length > 0)) {
      // Inside an oversize line: drop what we have and skip on to its newline.
      if (!progress.skipping) countOversizeLine(state);
      progress.skipping = true;
      pos += data.length;
      data = Buffer.alloc(0);
    }
    carry = Buffer.from(data); // copy: `chunk` is reused
  }
  progress.offset = pos;
  return pos - start;
}
