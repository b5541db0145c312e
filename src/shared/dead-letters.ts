// Dead letters as they lie in `<spool>/dead/`: listing them (payload and reason paired by id,
// and either one alone said as such), naming one from what a user types, and reading a reason
// safely (regular-file.ts: never following a symlink, never blocking on a FIFO, bounded).
// Read-only: moving and deleting dead letters is `src/cli/dead.ts`'s; writing them is
// `src/worker/spool.ts`'s.
import fs from 'node:fs';
import path from 'node:path';
import { type FileKind, kindOf, readRegularFile } from './regular-file.js';
import { PAYLOAD_FILE_RE, PAYLOAD_ID_PATTERN, payloadIdOf, receivedAtOf } from './spool-layout.js';

/** `<id>.error.json`, the reason written beside a dead-lettered payload. */
export const ERROR_FILE_RE = new RegExp(`^(${PAYLOAD_ID_PATTERN})\\.error\\.json$`);
const ID_RE = new RegExp(`^${PAYLOAD_ID_PATTERN}$`);

export interface DeadReason {
  reason: string | null;
  dead_lettered_at: string | null;
  attempts: number | null;
  stack: string | null;
  /** Why the error file itself could not be read, when it could not. */
  unreadable: string | null;
}

export interface DeadLetter {
  id: string;
  receivedAt: Date;
  /** The payload file's kind and size (lstat: a symlink is a symlink), or null when only the error file is there. */
  payload: { kind: FileKind; size: number } | null;
  /** The error file's contents, or null when only the payload is there. */
  error: DeadReason | null;
}

export function errorFileName(id: string): string {
  return `${id}.error.json`;
}

function lstatOrNull(file: string): fs.Stats | null {
  return fs.lstatSync(file, { throwIfNoEntry: false }) ?? null;
}

/** The ids of the dead letters in `deadDir` (a payload, its reason, or both), sorted; a missing folder has none. */
export function deadLetterIds(deadDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(deadDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids = new Set<string>();
  for (const name of names) {
    const id = payloadIdOf(name) ?? ERROR_FILE_RE.exec(name)?.[1];
    if (id) ids.add(id);
  }
  return [...ids].sort();
}

/** Every dead letter in `deadDir` by id (= by arrival), reasons read. */
export function listDeadLetters(deadDir: string): DeadLetter[] {
  return deadLetterIds(deadDir).map((id) => readDeadLetter(deadDir, id)).filter((d): d is DeadLetter => d !== null);
}

/** One dead letter's files, or null when neither is there. */
export function readDeadLetter(deadDir: string, id: string): DeadLetter | null {
  const payloadStat = lstatOrNull(path.join(deadDir, `${id}.json`));
  const errorFile = path.join(deadDir, errorFileName(id));
  const errorStat = lstatOrNull(errorFile);
  if (!payloadStat && !errorStat) return null;
  return {
    id,
    receivedAt: receivedAtOf(id),
    payload: payloadStat ? { kind: kindOf(payloadStat), size: payloadStat.size } : null,
    error: errorStat ? readReason(errorFile) : null,
  };
}

/** The error file's fields; whatever is wrong with the file is said in `unreadable`, never thrown. */
export function readReason(file: string): DeadReason {
  const none: DeadReason = { reason: null, dead_lettered_at: null, attempts: null, stack: null, unreadable: null };
  let text: string;
  try {
    const read = readRegularFile(file, 1024 * 1024);
    if (read.kind !== 'file') return { ...none, unreadable: `not a regular file: ${read.kind}` };
    text = read.bytes.toString('utf8');
  } catch (err) {
    return { ...none, unreadable: (err as Error).message };
  }
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ...none, unreadable: 'not a JSON object' };
    return {
      reason: typeof v.reason === 'string' ? v.reason : null,
      dead_lettered_at: typeof v.dead_lettered_at === 'string' ? v.dead_lettered_at : null,
      attempts: typeof v.attempts === 'number' ? v.attempts : null,
      stack: typeof v.stack === 'string' ? v.stack : null,
      unreadable: null,
    };
  } catch (err) {
    return { ...none, unreadable: `not JSON: ${(err as Error).message}` };
  }
}

/**
 * The dead letter's id from what a user typed: `<id>`, `<id>.json`, `<id>.error.json`, or a path
 * to one of those files in `deadDir`. Null when it names nothing of that form, or a file elsewhere.
 */
export function deadIdFromArg(arg: string, deadDir: string): string | null {
  const base = path.basename(arg);
  if (base !== arg && !sameDir(path.dirname(arg), deadDir)) return null;
  if (ID_RE.test(base)) return base;
  if (PAYLOAD_FILE_RE.test(base)) return payloadIdOf(base);
  return ERROR_FILE_RE.exec(base)?.[1] ?? null;
}

function sameDir(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}
