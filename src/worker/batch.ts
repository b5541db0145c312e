// One batch through the middle of the pipeline: claim → read (on the claimer thread) → parse →
// apply, all in one BEGIN IMMEDIATE transaction, then acknowledge (delete) or dead-letter each
// file only after COMMIT. The worker runs one batch at a time and a stop waits for it to commit.
import type { SpoolDirs } from '../shared/spool-layout.js';
import { payloadKindOf, receivedAtOf } from '../shared/spool-layout.js';
import { type ApplyStatements, applyPayload } from './apply.js';
import { applyStatusLine } from './apply-statusline.js';
import type { Db } from './db.js';
import { classifyFailure, describeError } from './errors.js';
import { parsePayload } from './parse.js';
import { parseStatusLine } from './parse-statusline.js';
import { type DeadLetterReason, deadLetter, unclaimPayload } from './spool.js';
import { type ClaimReply, type ClaimedFile, type Claimer, bytesOf, claimError } from './claimer.js';

/** After this many unexpected errors on the same payload it is dead-lettered with the stack. */
export const MAX_UNEXPECTED_ATTEMPTS = 3;

export interface BatchContext {
  db: Db;
  dirs: SpoolDirs;
  statements: ApplyStatements;
  savepoint: { begin: () => void; release: () => void; rollback: () => void };
  /** Unexpected-error counts per file name, kept across batches by the worker. */
  unexpectedAttempts: Map<string, number>;
  /** The claim step (claim + read on the claimer thread). */
  claimer: Claimer;
  /** True once the worker is stopping: the batch claims no further chunk and commits what it has. */
  stopping: () => boolean;
}

export interface BatchResult {
  /** Committed payloads whose files the caller must now delete (acknowledgePayloads). */
  toAcknowledge: string[];
  applied: number;
  duplicates: number;
  deadLettered: number;
  /** Each payload moved to dead/ and why (for the log; the reason is also in its .error.json). */
  deadLetters: Array<{ name: string; reason: string }>;
  /** Names tried and put back for a later batch (an unexpected error short of the limit). */
  retryLater: string[];
  /** Claimed names, for the caller's bookkeeping. */
  claimed: number;
  /** Sessions whose figures could not be recomputed (their payloads applied all the same). */
  figureErrors: Array<{ sessionId: string; error: string }>;
  /** Set when moving a file to dead/ failed after COMMIT (e.g. disk full): it went back to incoming/. */
  deadLetterError?: unknown;
}

/**
 * Recomputes one session's figures in its own savepoint. A transient error fails the batch as
 * usual; an unexpected one (a transcript our parser trips on) leaves the figures as they were and
 * is reported, so the payloads still apply.
 */
function recomputeFigures(ctx: BatchContext, sessionId: string, transcriptPath: string, result: BatchResult): void {
  ctx.savepoint.begin();
  try {
    ctx.statements.figures.recompute(sessionId, transcriptPath);
    ctx.savepoint.release();
  } catch (err) {
    ctx.savepoint.rollback();
    ctx.savepoint.release();
    if (classifyFailure(err) !== 'unexpected') throw err;
    result.figureErrors.push({ sessionId, error: describeError(err) });
  }
}

export function prepareSavepoints(db: Db): BatchContext['savepoint'] {
  const begin = db.prepare('SAVEPOINT payload');
  const release = db.prepare('RELEASE payload');
  const rollback = db.prepare('ROLLBACK TO payload');
  return { begin: () => void begin.run(), release: () => void release.run(), rollback: () => void rollback.run() };
}

/**
 * Parses a payload by its id's kind (a status line snapshot or a hook payload, never guessed from
 * the content): a function that applies it and says whether it was new, or why it never can apply.
 */
function parseByKind(ctx: BatchContext, id: string, bytes: Buffer, now: string, recomputeAtEnd: Map<string, string>): (() => boolean) | string {
  const receivedAt = receivedAtOf(id).toISOString();
  if (payloadKindOf(id) === 'statusline') {
    const parsed = parseStatusLine(bytes);
    return parsed.ok ? () => applyStatusLine(ctx.statements, id, receivedAt, parsed.snapshot, now, (sid, tp) => recomputeAtEnd.set(sid, tp)).fresh : parsed.reason;
  }
  const parsed = parsePayload(bytes);
  return parsed.ok ? () => applyPayload(ctx.statements, id, receivedAt, parsed.payload, now, (sid, tp) => recomputeAtEnd.set(sid, tp)) : parsed.reason;
}

/** Applies one file the claimer gave back, inside the batch's transaction (a savepoint of its own). */
function applyClaimed(
  ctx: BatchContext,
  reply: ClaimReply,
  file: ClaimedFile,
  now: string,
  dead: Array<[string, DeadLetterReason]>,
  recomputeAtEnd: Map<string, string>,
  result: BatchResult,
): void {
  const { name } = file;
  if (file.kind === 'lost' || file.kind === 'gone') return; // another worker has it, or took it back
  if (file.kind === 'rejected') {
    dead.push([name, { reason: file.reason }]);
    return;
  }
  const id = name.slice(0, -'.json'.length);
  const apply = parseByKind(ctx, id, bytesOf(reply, file), now, recomputeAtEnd);
  if (typeof apply === 'string') {
    dead.push([name, { reason: apply }]);
    return;
  }
  ctx.savepoint.begin();
  try {
    const fresh = apply();
    ctx.savepoint.release();
    if (fresh) result.applied++;
    else result.duplicates++;
    result.toAcknowledge.push(name);
  } catch (err) {
    ctx.savepoint.rollback();
    ctx.savepoint.release();
    if (classifyFailure(err) !== 'unexpected') throw err;
    const attempts = (ctx.unexpectedAttempts.get(name) ?? 0) + 1;
    if (attempts >= MAX_UNEXPECTED_ATTEMPTS) {
      ctx.unexpectedAttempts.delete(name);
      dead.push([name, { reason: `failed ${attempts} times: ${describeError(err)}`, stack: (err as Error).stack, attempts }]);
    } else {
      ctx.unexpectedAttempts.set(name, attempts);
      result.retryLater.push(name);
    }
  }
}

/**
 * After a failure: waits for a chunk still being claimed and returns the names it may have
 * moved to processing/. If the thread died, which of them it claimed is unknown: all are
 * returned (unclaiming one it never claimed finds nothing, or hands a concurrent worker's claim
 * back to incoming/, where the ledger keeps it from applying twice).
 */
async function settleInFlight(inFlight: InFlightChunk): Promise<string[]> {
  try {
    const reply = await inFlight.reply;
    const names = reply.files.filter((f) => f.kind !== 'lost').map((f) => f.name);
    if (reply.error?.claimed) names.push(reply.error.name);
    return names;
  } catch {
    // The thread died mid-chunk: Claimer's onDeath has logged why; the batch's own error is
    // what the caller handles.
    return inFlight.names;
  }
}

/** Names per request to the claimer thread: small, so the first chunk of a batch comes back fast. */
const CLAIM_CHUNK = 100;
/** Requests kept in flight, so the claimer thread never waits for this one to ask. */
const CLAIM_DEPTH = 3;

interface InFlightChunk {
  names: string[];
  reply: Promise<ClaimReply>;
}

/**
 * Applies `names` (sorted) in one transaction. The claimer thread claims and reads chunk n+1
 * while this thread applies chunk n. Throws on a transient or fatal error after rolling back and
 * returning every claimed file to incoming/: nothing is lost or half-done. Once `ctx.stopping()`
 * says so, no further chunk is claimed and what was applied commits.
 */
export async function applyBatch(ctx: BatchContext, names: readonly string[]): Promise<BatchResult> {
  const { db, dirs } = ctx;
  const result: BatchResult = { toAcknowledge: [], applied: 0, duplicates: 0, deadLettered: 0, deadLetters: [], retryLater: [], claimed: 0, figureErrors: [] };
  const claimed: string[] = [];
  const dead: Array<[string, DeadLetterReason]> = [];
  /** Sessions whose figures this batch must recompute (once each, after its payloads): id → transcript. */
  const recomputeAtEnd = new Map<string, string>();
  const chunks: string[][] = [];
  for (let i = 0; i < names.length; i += CLAIM_CHUNK) chunks.push(names.slice(i, i + CLAIM_CHUNK));
  /** Chunks asked of the claimer thread and not yet applied, oldest first. */
  const inFlight: InFlightChunk[] = [];
  let nextChunk = 0;
  const requestMore = (): void => {
    while (inFlight.length < CLAIM_DEPTH && nextChunk < chunks.length && !ctx.stopping()) {
      const chunk = chunks[nextChunk++]!;
      inFlight.push({ names: chunk, reply: ctx.claimer.claim(chunk) });
    }
  };
  db.exec('BEGIN IMMEDIATE'); // waits for the write lock first, so a busy database claims nothing
  try {
    const now = new Date().toISOString();
    requestMore();
    while (inFlight.length > 0) {
      const reply = await inFlight[0]!.reply;
      inFlight.shift();
      for (const file of reply.files) if (file.kind !== 'lost') claimed.push(file.name);
      if (reply.error) {
        if (reply.error.claimed) claimed.push(reply.error.name);
        throw claimError(reply.error);
      }
      requestMore();
      for (const file of reply.files) applyClaimed(ctx, reply, file, now, dead, recomputeAtEnd, result);
    }
    for (const [sessionId, transcriptPath] of recomputeAtEnd) recomputeFigures(ctx, sessionId, transcriptPath, result);
    for (const [name, why] of dead) {
      const id = name.slice(0, -'.json'.length);
      ctx.statements.recordDeadLetter(id, why.reason, receivedAtOf(id).toISOString(), now);
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    // Every chunk still in flight gets its handler now (a dead thread rejects them all at once).
    for (const names of await Promise.all(inFlight.splice(0).map(settleInFlight))) claimed.push(...names);
    for (const name of claimed) unclaimPayload(dirs, name);
    throw err;
  }
  // Only now, after COMMIT, may files leave processing/: committed ones are handed back to the
  // caller to delete (asynchronously, overlapping the next batch); dead letters are moved here.
  // A dead-letter step that fails puts its file back in incoming/ and reports the error.
  result.claimed = claimed.length;
  result.deadLettered = dead.length;
  for (const name of result.toAcknowledge) ctx.unexpectedAttempts.delete(name);
  let firstError: unknown;
  for (const [name, why] of dead) {
    try {
      deadLetter(dirs, name, why);
      result.deadLetters.push({ name, reason: why.reason });
    } catch (err) {
      firstError ??= err;
      unclaimPayload(dirs, name);
    }
  }
  for (const name of result.retryLater) unclaimPayload(dirs, name);
  result.deadLetterError = firstError;
  return result;
}
